"""The trace model: a trace is one JSON record a line (the format is in
docs/visualizations/trace.md); the program's own output is inside it as records, so that
each step knows what was printed before it. A trace cut short (time limit, output limit, a
killed run) is read up to its last whole step.

A trace is read lazily: one pass indexes where each step's records end, and the state at a
step is rebuilt from the nearest checkpoint, so a trace of a million steps opens in seconds
and steps in both directions instantly.
"""

from __future__ import annotations

import bisect
import io
import json
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

FORMAT_VERSION = 1
CHECKPOINT_EVERY = 512
EVENTS = {"c": "call", "r": "return", "e": "exception", "u": "uncaught_exception"}
STOP_REASONS = {
    "steps": "stopped recording after {steps:,} steps (viz.max_steps); lines and calls were "
    "counted to the end",
    "time": "the run reached its time limit after {steps:,} steps",
    "cpu": "the run reached its CPU limit after {steps:,} steps",
    "signal": "the run was stopped after {steps:,} steps",
    "recursion": "the program went deeper than the tracer follows, after {steps:,} steps",
    "error": "the tracer stopped after {steps:,} steps: {detail}",
}


@dataclass
class Frame:
    """A frame as the trace knows it at a step."""

    fid: int
    name: str
    code: int
    parents: tuple[int, ...]
    variables: dict[str, Any] = field(default_factory=dict)
    zombie: bool = False
    unwound: bool = False  # it returned because an exception went through

    def copy(self) -> Frame:
        return replace(self, variables=dict(self.variables))


@dataclass
class State:
    """Everything drawn at one step. Heap encodings are never changed in place (a change
    makes a new list), so states can share them."""

    frames: dict[int, Frame] = field(default_factory=dict)
    stack: list[int] = field(default_factory=list)  # live frames, outermost first
    globals: dict[str, Any] = field(default_factory=dict)
    heap: dict[int, list[Any]] = field(default_factory=dict)
    parents: set[int] = field(default_factory=set)  # frames that made a function
    pop_next: int = 0  # 1: the top frame returned; 2: it returned and is suspended

    def copy(self) -> State:
        return State(
            {fid: frame.copy() for fid, frame in self.frames.items()},
            list(self.stack),
            dict(self.globals),
            dict(self.heap),
            set(self.parents),
            self.pop_next,
        )

    def top(self) -> Frame | None:
        return self.frames[self.stack[-1]] if self.stack else None

    def shown_frames(self) -> list[Frame]:
        """Live frames and zombies (returned frames still parents of closures), by id."""
        shown = [self.frames[fid] for fid in self.stack]
        shown += [f for f in self.frames.values() if f.zombie]
        return sorted(shown, key=lambda frame: frame.fid)


@dataclass(frozen=True)
class Step:
    index: int
    line: int
    event: str  # step_line | call | return | exception | uncaught_exception
    exception: str = ""


class Trace:
    """A decoded trace: its steps, the state at any step, output so far, and what the
    tracer said about the run (stopped, counts, exit)."""

    def __init__(self, data: bytes, source: str, label: str) -> None:
        self.data = data
        self.source = source
        self.label = label
        self.run_id: int | None = None
        self.runner = ""
        self.verdict: str | None = None
        self.exit_code: int | None = None
        self.raw_stderr = ""
        self.python = ""
        self.codes: dict[int, tuple[str, list[str]]] = {}
        self.code_lines: dict[int, int] = {}  # code -> its first line (lambdas are named by it)
        self.stopped = ""
        self.stop_detail = ""
        self.stop_steps = 0
        self.line_counts: dict[int, int] = {}
        self.call_counts: dict[str, int] = {}
        self.finished = False  # the tracer wrote its last record (the run was not cut)
        self.syntax_error = ""
        self.uncaught = ""
        self._ends = array("Q")  # byte offset after each step's record
        self._lines = array("I")
        self._events = bytearray()
        self._calls = array("I")  # per step: the code entered by a call step, else 0
        self._live: list[tuple[int, int]] = []  # while indexing: (fid, code) of live frames
        self._suspended: dict[int, int] = {}  # fid -> code of suspended generators
        self._exceptions: dict[int, str] = {}
        self._out_steps: list[int] = []  # output i is visible from step _out_steps[i]
        self._out: list[tuple[str, str]] = []
        self._out_at_stop = -1  # outputs written before the tracer stopped recording
        self._checkpoints: list[State] = [State()]
        self._index()

    # indexing ---------------------------------------------------------------------------

    def _index(self) -> None:
        stream = io.BytesIO(self.data)
        offset = 0
        for raw in stream:
            offset += len(raw)
            if not raw.endswith(b"\n"):
                break  # cut in the middle of a record
            line = raw[:-1]
            if line[:1].isdigit():
                if not self.stopped:
                    self._add_step(offset, int(line), 0)
                continue
            if line[:2] != b'["' or len(line) < 4:
                continue
            tag = line[2]
            if tag in b"crue" and self.stopped:
                continue
            if tag in b"crueFH123CTKXS":
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                self._meta(record, offset)

    def _add_step(self, offset: int, line: int, event: int, code: int = 0) -> None:
        self._ends.append(offset)
        self._lines.append(max(line, 0))
        self._events.append(event)
        self._calls.append(code)

    def _meta(self, record: list[Any], offset: int) -> None:
        tag = record[0]
        if tag in ("c", "r", "e", "u"):
            index = len(self._ends)
            code = self._live[-1][1] if tag == "c" and self._live else 0
            self._add_step(offset, int(record[1]), ord(tag), code)
            if tag in ("e", "u"):
                self._exceptions[index] = str(record[2])
            if tag == "u":
                self.uncaught = str(record[2])
            if tag == "r" and self._live:
                fid, code = self._live.pop()
                if len(record) > 3 and record[3] == 1:
                    self._suspended[fid] = code
        elif tag == "F":
            fid = int(record[1])
            code = int(record[2]) if len(record) > 2 else self._suspended.pop(fid, 0)
            self._live.append((fid, code))
        elif tag in ("1", "2", "3"):  # 3: the echo of what input() read, in stdout
            self._out_steps.append(len(self._ends))
            self._out.append(("stderr" if tag == "2" else "stdout", str(record[1])))
        elif tag == "C":
            self.codes[int(record[1])] = (str(record[2]), [str(n) for n in record[3]])
            if len(record) > 4:
                self.code_lines[int(record[1])] = int(record[4])
        elif tag == "H":
            self.python = str(record[2].get("python", ""))
        elif tag == "T" and not self.stopped:
            self.stopped, self.stop_detail, self.stop_steps = record[1], record[2], record[3]
            self._out_at_stop = len(self._out)
        elif tag == "K":
            for line, count in record[1].get("lines", {}).items():
                self.line_counts[int(line)] = self.line_counts.get(int(line), 0) + count
            for name, count in record[1].get("calls", {}).items():
                self.call_counts[name] = self.call_counts.get(name, 0) + count
        elif tag == "X":
            self.finished = True
        elif tag == "S":
            self.syntax_error = f"{self.label}:{record[1]}: {record[3]}"

    # steps ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ends)

    def step(self, index: int) -> Step:
        kind = self._events[index]
        event = EVENTS[chr(kind)] if kind else "step_line"
        return Step(index, self._lines[index], event, self._exceptions.get(index, ""))

    def lines(self) -> array[int]:
        return self._lines

    def find_line(self, line: int, start: int, backwards: bool = False) -> int | None:
        """The next step (after `start`) where `line` is about to run; the previous one with
        `backwards`. A line runs once per step_line step: its return step, or the call step
        of a function defined on it, is not another stop."""
        return self.find_lines({line}, start, backwards)

    def find_lines(self, lines: set[int], start: int, backwards: bool = False) -> int | None:
        """The next step_line step (after `start`) at one of `lines` (breakpoints)."""
        indexes = range(start - 1, -1, -1) if backwards else range(start + 1, len(self))
        found, events = self._lines, self._events
        return next((i for i in indexes if found[i] in lines and not events[i]), None)

    def stop_message(self) -> str:
        if not self.stopped:
            return "" if self.finished else "the trace was cut short (the run was killed)"
        template = STOP_REASONS.get(self.stopped, "stopped after {steps:,} steps: {detail}")
        return template.format(steps=self.stop_steps, detail=self.stop_detail)

    def output(self, index: int, stream: str = "stdout") -> str:
        """What the program wrote on `stream` before step `index` (all of it at the last)."""
        count = (
            self._out_after_last()
            if index >= len(self) - 1
            else bisect.bisect_right(self._out_steps, index)
        )
        return "".join(text for name, text in self._out[:count] if name == stream)

    def _out_after_last(self) -> int:
        """The outputs the last step shows: all of them, or, when the tracer stopped
        recording, those written before it stopped (not a whole run's worth after it)."""
        return len(self._out) if self._out_at_stop < 0 else self._out_at_stop

    def counts(self) -> tuple[dict[int, int], dict[str, int]]:
        """Executions of each line and calls of each function: those of the recorded steps,
        plus those counted past the step budget."""
        lines = dict(self.line_counts)
        calls = dict(self.call_counts)
        for index in range(len(self)):
            if not self._events[index]:
                line = self._lines[index]
                lines[line] = lines.get(line, 0) + 1
            elif self._calls[index]:
                name = self.code_name(self._calls[index])
                calls[name] = calls.get(name, 0) + 1
        return dict(sorted(lines.items())), calls

    def code_name(self, code: int) -> str:
        return self.codes.get(code, ("?", []))[0]

    def called(self, index: int) -> str:
        """The function a call step enters ("" for other steps)."""
        code = self._calls[index]
        return self.code_name(code) if code else ""

    def state(self, index: int) -> State:
        """The state at step `index` (0-based)."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        slot = index // CHECKPOINT_EVERY
        while len(self._checkpoints) <= slot:  # build the checkpoints on the way
            last = len(self._checkpoints) - 1
            state = self._checkpoints[last].copy()
            self._advance(state, last * CHECKPOINT_EVERY, (last + 1) * CHECKPOINT_EVERY - 1)
            self._finish_step(state)
            self._checkpoints.append(state)
        state = self._checkpoints[slot].copy()
        self._advance(state, slot * CHECKPOINT_EVERY, index)
        return state

    def states(self) -> Iterator[tuple[Step, State]]:
        """Every step with its state, in order (states are shared: copy to keep one)."""
        state = State()
        for index in range(len(self)):
            self._finish_step(state)
            self._advance(state, index, index)
            yield self.step(index), state

    def _advance(self, state: State, first: int, last: int) -> None:
        """Apply the records of steps first..last; `state` is then at step `last`."""
        start = self._ends[first - 1] if first else 0
        end = self._ends[last]
        for line in self.data[start:end].split(b"\n"):
            if not line or line[:1].isdigit():
                if line:
                    self._finish_step(state)
                continue
            tag = line[2:3]
            if tag in b"1:2:3:C:H:T:K:X:S".split(b":"):
                continue
            record = json.loads(line)
            if tag in (b"c", b"e", b"u"):
                self._finish_step(state)
            elif tag == b"r":
                self._finish_step(state)
                flag = record[3] if len(record) > 3 else 0
                top = state.top()
                if top is not None and flag != 2:  # 2: an exception goes through, no value
                    top.variables["__return__"] = record[2]
                elif top is not None:
                    top.unwound = True
                state.pop_next = 2 if flag == 1 else 1
            else:
                self._finish_step(state)
                _apply(state, record, self.codes)

    @staticmethod
    def _finish_step(state: State) -> None:
        """What happens after a return step is drawn: the frame leaves the stack."""
        if not state.pop_next or not state.stack:
            state.pop_next = 0
            return
        frame = state.frames[state.stack.pop()]
        if state.pop_next == 1:
            if frame.fid in state.parents:
                frame.zombie = True
            else:
                del state.frames[frame.fid]
        state.pop_next = 0

    # Python Tutor ---------------------------------------------------------------------

    def to_tutor(self) -> dict[str, Any]:
        """The whole trace in Python Tutor's format (see `tutor_trace`)."""
        from sector_cli.viz.trace.tutor_export import TutorExport

        export = TutorExport(self)
        drop_uncaught = ord("e") in self._events  # pg_logger reports an exception once
        steps: list[dict[str, Any]] = []
        stdout_parts: list[str] = []
        out_index, last_out = 0, self._out_after_last()
        for step, state in self.states():
            while out_index < len(self._out) and self._out_steps[out_index] <= step.index:
                if self._out[out_index][0] == "stdout":
                    stdout_parts.append(self._out[out_index][1])
                out_index += 1
            if step.index == len(self) - 1:
                stdout_parts += [t for n, t in self._out[out_index:last_out] if n == "stdout"]
            if step.event == "uncaught_exception" and drop_uncaught:
                continue
            entry = export.step(step, state, "".join(stdout_parts))
            if entry is not None:
                steps.append(entry)
        if self.stopped and steps:
            last = dict(steps[-1])
            last.update(event="instruction_limit_reached", exception_msg=self.stop_message())
            steps.append(last)
        lines, calls = self.counts()
        return {
            "code": self.source,
            "trace": steps,
            "sector": {
                "format": FORMAT_VERSION,
                "run": self.run_id,
                "steps": len(self),
                "stopped": self.stopped or None,
                "message": self.stop_message() or None,
                "line_counts": {str(line): count for line, count in lines.items()},
                "call_counts": calls,
            },
        }


def reachable(
    heap: dict[int, list[Any]],
    roots: list[Any],
    shown: Callable[[list[Any]], list[Any]] | None = None,
) -> dict[int, list[Any]]:
    """The heap objects that `roots` (encoded values) lead to, by ["REF", id], by id;
    `shown` rewrites each object before its references are followed (hidden parts lead
    nowhere)."""
    found: dict[int, list[Any]] = {}
    todo = list(roots)
    while todo:
        value = todo.pop()
        if isinstance(value, list) and len(value) == 2 and value[0] == "REF":
            sid = value[1]
            if sid not in found and sid in heap:
                found[sid] = shown(heap[sid]) if shown else heap[sid]
                todo += contents(found[sid])
    return dict(sorted(found.items()))


def contents(encoding: list[Any]) -> list[Any]:
    """The encoded values inside a heap object's encoding."""
    tag = encoding[0] if encoding else ""
    if tag in ("LIST", "TUPLE", "SET"):
        return encoding[1:]
    if tag == "DICT":
        return [value for pair in encoding[1:] for value in pair]
    if tag in HEADER:
        return [pair[1] for pair in encoding[HEADER[tag] :] if isinstance(pair, list)]
    if tag == "INSTANCE_PPRINT":  # its attributes follow its printed form
        return [pair[1] for pair in encoding[3:] if isinstance(pair, list) and len(pair) == 2]
    if tag == "FUNCTION" and len(encoding) > 3 and isinstance(encoding[3], list):
        return [pair[1] for pair in encoding[3] if isinstance(pair, list) and len(pair) == 2]
    return []


HEADER = {"DICT": 1, "INSTANCE": 2, "CLASS": 3}


def _key(value: Any) -> str:
    return json.dumps(value)


def _apply(state: State, record: list[Any], codes: dict[int, tuple[str, list[str]]]) -> None:
    """Apply one state record (not a step) of the trace."""
    tag = record[0]
    if tag == "v":
        fid, name, value = record[1], record[2], record[3]
        target = state.globals if fid == 0 else _frame(state, fid).variables
        target[name] = value
    elif tag == "x":
        fid, name = record[1], record[2]
        target = state.globals if fid == 0 else _frame(state, fid).variables
        target.pop(name, None)
    elif tag == "o":
        encoding = record[2]
        state.heap[record[1]] = encoding
        if encoding[:1] == ["FUNCTION"] and len(encoding) > 2 and encoding[2]:
            state.parents.add(int(encoding[2]))
    elif tag == "s":
        old = state.heap.get(record[1], ["LIST"])
        start, stop = 1 + record[2], 1 + record[3]
        state.heap[record[1]] = old[:start] + record[4] + old[stop:]
    elif tag == "d":
        _apply_entries(state, record[1], record[2], record[3])
    elif tag == "a":
        old = state.heap.get(record[1], ["SET"])
        gone = {_key(value) for value in record[3]}
        state.heap[record[1]] = [old[0], *(v for v in old[1:] if _key(v) not in gone), *record[2]]
    elif tag == "F":
        _enter(state, record, codes)


def _frame(state: State, fid: int) -> Frame:
    frame = state.frames.get(fid)
    if frame is None:  # a frame the trace never introduced: keep going
        frame = state.frames[fid] = Frame(fid, "?", 0, ())
    return frame


def _enter(state: State, record: list[Any], codes: dict[int, tuple[str, list[str]]]) -> None:
    fid = int(record[1])
    if len(record) == 2:  # a generator resumed
        frame = _frame(state, fid)
        frame.variables.pop("__return__", None)
    else:
        code = int(record[2])
        parents = tuple(int(p) for p in record[3]) if len(record) > 3 else ()
        name = codes.get(code, ("?", []))[0]
        frame = Frame(fid, name, code, parents)
        state.frames[fid] = frame
        state.parents.update(parents[:1])
    state.stack.append(fid)


def _apply_entries(state: State, sid: int, changed: list[Any], gone: list[Any]) -> None:
    old = state.heap.get(sid)
    if old is None:
        return
    header = HEADER.get(old[0], 1)
    pairs = [list(pair) for pair in old[header:]]
    index = {_key(pair[0]): i for i, pair in enumerate(pairs)}
    removed = {_key(key) for key in gone}
    for key, value in changed:
        position = index.get(_key(key))
        if position is None:
            index[_key(key)] = len(pairs)
            pairs.append([key, value])
        else:
            pairs[position] = [key, value]
    pairs = [pair for pair in pairs if _key(pair[0]) not in removed]
    if old[0] == "INSTANCE":
        pairs.sort(key=lambda pair: str(pair[0]))
    state.heap[sid] = [*old[:header], *pairs]
