"""One step of a trace in Python Tutor's format (pg_logger's), with what its users write in
their code: `#break` at the end of a line (only those lines and the steps after them are
kept), `#pythontutor_hide: a, _*` (variables and attributes not shown) and
`#pythontutor_hide_type: list, Node` (objects of those types drawn as a label, not
drawn out). Lambdas are named as pg_logger names them, `<lambda> <line N>`, once their
function object has been drawn."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sector_cli.viz.trace.model import reachable

if TYPE_CHECKING:
    from sector_cli.viz.trace.model import Frame, State, Step, Trace

BREAK = "#break"
HIDE = "#pythontutor_hide:"
HIDE_TYPE = "#pythontutor_hide_type:"
LAMBDA_LINE = re.compile(r"<lambda>\(.*\) <line (\d+)>")
Matcher = Callable[[str], Any]


def _patterns(text: str) -> list[Matcher]:
    """A comma-separated list of shell globs (pg_logger's syntax)."""
    return [re.compile(fnmatch.translate(p.strip())).match for p in text.split(",") if p.strip()]


class Directives:
    """What the program's comments ask of the trace."""

    def __init__(self, source: str) -> None:
        self.breakpoints: set[int] = set()
        self.hidden: list[Matcher] = []
        self.inline: list[Matcher] = []
        for number, line in enumerate(source.splitlines(), start=1):
            # a line that is only `#break` is a commented-out break statement, not a stop
            if line.endswith(BREAK) and not line.strip().startswith(BREAK):
                self.breakpoints.add(number)
            if line.startswith(HIDE):
                self.hidden += _patterns(line[len(HIDE) :])
            if line.startswith(HIDE_TYPE):
                self.inline += _patterns(line[len(HIDE_TYPE) :])

    def hides(self, name: str) -> bool:
        return any(match(name) for match in self.hidden)

    def inlined(self, encoding: list[Any]) -> list[Any] | None:
        """The label an object of a hidden type is drawn as, else None."""
        names = _type_names(encoding)
        if names is None or not self.inline:
            return None
        typename, alternative, label = names
        for match in self.inline:
            if match(typename) or (alternative and match(alternative)):
                return ["IMPORTED_FAUX_PRIMITIVE", f"{label} (hidden)"]
        return None


def _type_names(encoding: list[Any]) -> tuple[str, str, str] | None:
    """pg_encoder's names for an object's type: its type name, the other name it matches
    by (a class's or an instance's class name), and its label."""
    tag = encoding[0] if encoding else ""
    if tag in ("LIST", "TUPLE", "SET", "DICT"):
        name = tag.lower()
        return "instance", name, f"{name} instance"
    if tag in ("INSTANCE", "INSTANCE_PPRINT") and len(encoding) > 1:
        return "instance", str(encoding[1]), f"{encoding[1]} instance"
    if tag == "CLASS" and len(encoding) > 1:
        return "type", "class", f"{encoding[1]} class"
    if tag == "FUNCTION":
        return "function", "", "function instance"
    return None


class TutorExport:
    """Turns a trace's states into pg_logger's steps, one at a time, in order."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.directives = Directives(trace.source)
        self.globals_order: list[str] = []
        self.previous_line = -1
        self.lambda_lines: set[int] = set()  # lambdas whose function object was drawn
        self.lambdas = any(name == "<lambda>" for name, _ in trace.codes.values())
        self.plain = not (self.directives.hidden or self.directives.inline)
        self.heap: dict[int, list[Any]] = {}  # the step's heap, while a step is made

    def step(self, step: Step, state: State, stdout: str) -> dict[str, Any] | None:
        """The step as pg_logger writes it; None when `#break` lines leave it out."""
        breakpoints = self.directives.breakpoints
        kept = (
            not breakpoints
            or step.line in breakpoints
            or self.previous_line in breakpoints
            or step.event == "exception"
        )
        self.previous_line = step.line
        self.heap = state.heap
        top = state.top()
        names = self._frame_names(state, top)
        if not kept:
            return None
        for name in state.globals:
            if name not in self.globals_order:
                self.globals_order.append(name)
        frames = state.shown_frames()
        rendered = [self._frame(frame, state, top, names[frame.fid]) for frame in frames]
        shown_globals = {n: self.value(v) for n, v in state.globals.items() if not self._hid(n)}
        roots = [*shown_globals.values()]
        for frame in rendered:
            roots += frame["encoded_locals"].values()
        entry: dict[str, Any] = {
            "line": step.line,
            "event": step.event,
            "func_name": top.name if top else "<module>",
            "globals": shown_globals,
            "ordered_globals": [n for n in self.globals_order if n in shown_globals],
            "stack_to_render": rendered,
            "heap": {str(sid): enc for sid, enc in self._reachable(state.heap, roots).items()},
            "stdout": stdout,
        }
        if step.exception:
            entry["exception_msg"] = step.exception
        return entry

    # names --------------------------------------------------------------------------------

    def _frame_names(self, state: State, top: Frame | None) -> dict[int, str]:
        """Frame names as pg_logger gives them: it names frames from the top of the stack
        down, then the zombies, and a lambda's frame gets its line once the lambda has been
        drawn (at an earlier step, or by a frame named before it)."""
        frames = state.shown_frames()
        if not self.lambdas:
            return {frame.fid: frame.name for frame in frames}
        order = [state.frames[fid] for fid in reversed(state.stack)]
        order += [frame for frame in frames if frame.zombie]
        names: dict[int, str] = {}
        for frame in order:
            line = self.trace.code_lines.get(frame.code)
            if frame.name == "<lambda>" and line in self.lambda_lines:
                names[frame.fid] = f"<lambda> <line {line}>"
            else:
                names[frame.fid] = frame.name
            self._saw_lambdas(state, list(frame.variables.values()))
        self._saw_lambdas(state, list(state.globals.values()))
        return names

    def _saw_lambdas(self, state: State, roots: list[Any]) -> None:
        for encoding in reachable(state.heap, roots).values():
            if encoding[:1] == ["FUNCTION"] and len(encoding) > 1:
                found = LAMBDA_LINE.fullmatch(str(encoding[1]))
                if found:
                    self.lambda_lines.add(int(found.group(1)))

    # frames and values --------------------------------------------------------------------

    def _hid(self, name: str) -> bool:
        return bool(self.directives.hidden) and self.directives.hides(name)

    def _frame(self, frame: Frame, state: State, top: Frame | None, name: str) -> dict[str, Any]:
        variables = dict(frame.variables)
        if frame.unwound and "__return__" not in variables:  # pg_logger's None, as it raised
            variables["__return__"] = None
        varnames = self.trace.codes.get(frame.code, ("", []))[1]
        present = [n for n in varnames if n in variables]
        others = sorted(n for n in variables if n not in present and n != "__return__")
        ordered = present + others + (["__return__"] if "__return__" in variables else [])
        ordered = [n for n in ordered if not self._hid(n)]
        is_parent = frame.fid in state.parents
        unique = f"{name}_f{frame.fid}" + ("_p" if is_parent else "")
        return {
            "func_name": name,
            "frame_id": frame.fid,
            "unique_hash": unique + ("_z" if frame.zombie else ""),
            "is_highlighted": top is not None and frame.fid == top.fid,
            "is_parent": is_parent,
            "is_zombie": frame.zombie,
            "parent_frame_id_list": list(frame.parents),
            "encoded_locals": {n: self.value(variables[n]) for n in ordered},
            "ordered_varnames": ordered,
        }

    def value(self, value: Any) -> Any:
        """A value as drawn: hidden types become labels (only with #pythontutor_hide_type)."""
        if self.directives.inline and isinstance(value, list) and len(value) == 2:
            encoding = self.heap.get(value[1]) if value[0] == "REF" else None
            if encoding is not None:
                return self.directives.inlined(encoding) or value
        return value

    def _reachable(self, heap: dict[int, list[Any]], roots: list[Any]) -> dict[int, list[Any]]:
        """The objects the roots lead to, as drawn (hidden attributes lead nowhere)."""
        return reachable(heap, roots, None if self.plain else self._conceal)

    def _conceal(self, encoding: list[Any]) -> list[Any]:
        """An object's encoding without hidden attributes, with hidden types as labels."""
        tag = encoding[0] if encoding else ""
        if tag == "DICT":
            pairs = [p for p in encoding[1:] if isinstance(p, list) and len(p) == 2]
            return ["DICT", *([self.value(k), self.value(v)] for k, v in pairs)]
        if tag in ("LIST", "TUPLE", "SET"):
            return [tag, *(self.value(item) for item in encoding[1:])]
        start = {"INSTANCE": 2, "INSTANCE_PPRINT": 3, "CLASS": 3}.get(tag)
        if start is None:
            return encoding
        pairs = [
            [pair[0], self.value(pair[1])]
            for pair in encoding[start:]
            if isinstance(pair, list) and len(pair) == 2 and not self._hid(str(pair[0]))
        ]
        return [*encoding[:start], *pairs]
