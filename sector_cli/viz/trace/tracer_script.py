"""Sector's execution tracer: the program copied into the sandbox next to the learner's code.

    python3 tracer_script.py MAX_STEPS WALL_SECONDS PROGRAM [ARGS...]

It runs PROGRAM as `__main__` under `sys.settrace` and writes the trace on file descriptor 1
as newline-separated JSON records (see docs/visualizations/trace.md). The program's own
`sys.stdout`/`sys.stderr` become records of the trace, so that the trace knows what was
printed before each step; writes straight to descriptor 1 (os.write, child processes) go to
standard error instead, so that they never break a record.

It must stay standard-library-only and run on the sandbox's Python (3.11; python3-minimal has
no `json`, so records are encoded here). Speed matters: a step is a few microseconds. Only the
frame that ran, and only when its bytecode since the last event could store a variable, has
its variables compared (by identity); the heap is walked only after bytecode that can mutate
(calls, item and attribute stores, in-place operators), and a container is compared with a
shallow copy of itself, in C, before anything is encoded. Objects are encoded once and then
sent as deltas (list splices, changed dict entries, set additions and removals).
"""

from __future__ import annotations

import _collections  # type: ignore[import-not-found]
import os
import sys
from itertools import compress, repeat
from operator import indexOf, is_, is_not, ne, or_

TYPE_CHECKING = False  # not `typing`'s: importing typing costs the tracer's start 5 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from types import CodeType, FrameType
    from typing import Any, NoReturn, TextIO

    Entry = list[Any]  # a heap entry: see Heap
    Record = list[Any]  # a frame record: see FRAME, FID...
    Hook = Callable[[FrameType, str, Any], Any]

VERSION = 1
LOCALS, HEAP, GLOBALS = 1, 2, 4
ALL = LOCALS | HEAP | GLOBALS
ATOMS = (int, float, str, bool, type(None))
FIXED = (tuple, frozenset)  # inside a printed container: taken as unchanging
FUNCTION, MODULE, BUILTIN = type(lambda: 0), type(sys), type(len)


class _Probe:
    def method(self) -> None:
        pass


METHOD = type(_Probe().method)
HIDDEN_ATTRS = frozenset(
    ("__doc__", "__module__", "__return__", "__dict__", "__locals__", "__weakref__",
     "__qualname__", "__firstlineno__", "__static_attributes__", "__classcell__")
)  # fmt: skip
CO_OPTIMIZED, CO_VARARGS, CO_VARKEYWORDS = 0x1, 0x4, 0x8
HEAPTYPE, TYPE_SUBCLASS = 1 << 9, 1 << 31  # type flags: a class made by Python code; a class
FLUSH_EVERY = 4095  # steps between writes (and at every input() and at the end)

# kinds of heap objects; the mutable ones are compared with their shadow on every heap walk
K_LIST, K_DICT, K_SET, K_INST, K_CLASS, K_DEQUE, K_SLOTS, K_PRINTED = 1, 2, 3, 4, 5, 6, 7, 8
K_TUPLE, K_FROZEN, K_OTHER, K_FUNCTION, K_IMPORTED = 9, 10, 11, 12, 13
MUTABLE_MAX = K_PRINTED
PRINTED_REFRESH = 64  # at most this many printed objects re-printed after any change
PRINTED_CHARS = 2000  # a printed form is cut there

_ESC = {i: f"\\u{i:04x}" for i in range(32)}
_ESC.update({i: f"\\u{i:04x}" for i in range(0xD800, 0xE000)})
_ESC.update({34: '\\"', 92: "\\\\", 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"})


def qstr(text: str) -> str:
    """`text` as a JSON string."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return '"' + text.translate(_ESC) + '"'


def num(value: float) -> str:
    """A float in Python Tutor's encoding: special and whole floats are spelled out, others
    rounded to 4 decimals (pg_encoder's FLOAT_PRECISION)."""
    if value != value:
        return '["SPECIAL_FLOAT","NaN"]'
    if value in (float("inf"), float("-inf")):
        return f'["SPECIAL_FLOAT","{"Infinity" if value > 0 else "-Infinity"}"]'
    if value == int(value):
        return f'["SPECIAL_FLOAT","{value:.1f}"]'
    return repr(round(value, 4))


def _classify(name: str, arg: int) -> int:
    """What one instruction may change: bits of LOCALS, HEAP, GLOBALS."""
    if name in ("STORE_GLOBAL", "DELETE_GLOBAL"):
        return GLOBALS
    if name in ("STORE_NAME", "DELETE_NAME"):
        return LOCALS | GLOBALS
    if name.startswith(("STORE_FAST", "DELETE_FAST", "STORE_DEREF", "DELETE_DEREF")):
        return LOCALS
    if name.startswith(("STORE_", "DELETE_")):
        return HEAP  # subscripts, attributes, slices
    if name == "LOAD_FAST_AND_CLEAR":
        return LOCALS
    if name == "BINARY_OP":
        return HEAP if 13 <= arg <= 25 else 0  # in-place operators may mutate
    if name.startswith("IMPORT_"):
        return ALL
    if name.startswith(("LOAD_", "POP_JUMP", "JUMP", "BUILD_", "UNARY_", "MATCH_", "RETURN_")):
        return 0
    if name in _SAFE:
        return 0
    return HEAP  # calls and anything not known: assume the worst


# Instructions that change nothing a trace shows (or only what the next event shows).
_SAFE = frozenset((
    "CACHE", "POP_TOP", "PUSH_NULL", "NOP", "RESUME", "EXTENDED_ARG", "COMPARE_OP", "IS_OP",
    "CONTAINS_OP", "COPY", "SWAP", "LIST_APPEND", "SET_ADD", "MAP_ADD", "LIST_EXTEND",
    "SET_UPDATE", "DICT_UPDATE", "DICT_MERGE", "LIST_TO_TUPLE", "FORMAT_VALUE", "FORMAT_SIMPLE",
    "FORMAT_WITH_SPEC", "CONVERT_VALUE", "GET_ITER", "FOR_ITER", "END_FOR", "POP_ITER", "GET_LEN",
    "UNPACK_SEQUENCE", "UNPACK_EX", "BINARY_SUBSCR", "BINARY_SLICE", "MAKE_FUNCTION",
    "SET_FUNCTION_ATTRIBUTE", "MAKE_CELL", "COPY_FREE_VARS", "KW_NAMES", "PRECALL", "TO_BOOL",
    "NOT_TAKEN", "CHECK_EXC_MATCH", "PUSH_EXC_INFO", "POP_EXCEPT", "RERAISE", "RAISE_VARARGS",
    "YIELD_VALUE", "INTERPRETER_EXIT", "END_SEND", "GET_YIELD_FROM_ITER", "SETUP_ANNOTATIONS",
))  # fmt: skip


class CodeInfo:
    """Per code object: its index in the trace and what each stretch of its bytecode may
    change (computed on first use, per instruction offset where a segment starts)."""

    __slots__ = ("code", "flags", "index", "nested", "runs")

    def __init__(self, index: int, code: CodeType, nested: bool) -> None:
        self.index = index
        self.code = code
        self.nested = nested
        self.flags = [-1] * (len(code.co_code) // 2 + 1)
        self.runs: list[list[int]] | None = None

    def segment(self, lasti: int) -> int:
        """What the bytecode from `lasti` to the end of its line may change (cached)."""
        if not 0 <= lasti < len(self.flags) * 2:
            return ALL
        flags = self.flags[lasti >> 1]
        return flags if flags >= 0 else self._segment(lasti)

    def _segment(self, lasti: int) -> int:
        import opcode

        if self.runs is None:
            runs: list[list[int]] = []
            for start, end, line in self.code.co_lines():
                if runs and runs[-1][2] == line and runs[-1][1] == start:
                    runs[-1][1] = end
                else:
                    runs.append([start, end, line or 0])
            self.runs = runs
        raw = self.code.co_code
        for start, end, _line in self.runs:
            if start <= lasti < end:
                break
        else:
            start, end = lasti, len(raw)
        names = opcode.opname
        ops = [(i, names[raw[i]], raw[i + 1]) for i in range(start, end, 2)]
        first = lasti
        if any("BACKWARD" in name for _, name, _ in ops):
            first = start  # a loop inside the line: all of it may run again
        flags = 0
        for offset, name, arg in ops:
            if offset >= first:
                flags |= _classify(name, arg)
        self.flags[lasti >> 1] = flags
        return flags


OBJ, SID, KIND, SHADOW, POS, TEXT = range(6)  # the fields of a heap entry
_TYPE_MODULE = type.__dict__["__module__"].__get__  # a class's module, without its own code
_TYPE_DICT = type.__dict__["__dict__"].__get__
_HEX = frozenset("0123456789abcdefABCDEF")


def strip_addresses(text: str) -> str:
    """`<function f at 0x7f..>` -> `<function f>`: addresses change on every run."""
    while " at 0x" in text:
        start = text.index(" at 0x")
        end = start + 6
        while end < len(text) and text[end] in _HEX:
            end += 1
        text = text[:start] + text[end:]
    return text


class Guard:
    """Runs the program's own code for the tracer (an object's __str__, an exception's
    message) with its output silenced, any exception swallowed, and a CPU-time limit
    (SIGPROF raises Overtime inside it); tracing is off inside a trace hook already."""

    def __init__(self, setitimer: Callable[..., Any] | None = None, timer: int = 0) -> None:
        self.setitimer = setitimer
        self.timer = timer
        self.active = False

    def call(self, function: Callable[[Any], Any], arg: Any) -> Any:
        if self.active:
            return None
        out, err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = _NULL
        self.active = True
        try:
            if self.setitimer is not None:
                self.setitimer(self.timer, 0.25, 0.05)
            return function(arg)
        except BaseException:  # whatever the program's code raises
            return None
        finally:
            if self.setitimer is not None:
                self.setitimer(self.timer, 0)
            self.active = False
            sys.stdout, sys.stderr = out, err


class Overtime(BaseException):
    """Raised inside the program's __str__ when it runs too long for the tracer."""


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


_NULL = _Null()


class Heap:
    """The program's objects as the trace knows them: each has a small id, its encoding is
    written once, and a shallow copy of it (its shadow) tells when it changed, so that only
    the change is written.

    Every mutable object known is compared with its shadow after bytecode that may mutate,
    element by element by identity (`map(is_not, ...)`, in C): the program's own __eq__
    never runs, and an element replaced by an equal but distinct object (1 by 1.0) is a
    change. The heap holds a reference to every object it knows, so
    an id is never reused while it is known; `sweep` forgets what the program cannot reach."""

    def __init__(
        self,
        emit: Callable[[str], None],
        find_parent: Callable[[CodeType], int],
        guard: Guard | None = None,
        program: Any = None,
    ) -> None:
        self.emit = emit
        self.find_parent = find_parent  # code -> fid of the frame that defines it, or 0
        self.guard = guard or Guard()
        self.program = program  # the program's module: its functions are not imported
        self.printed: list[Entry] = []  # objects drawn by their printed form
        self.known: dict[int, Entry] = {}  # id(obj) -> [obj, sid, kind, shadow, pos]
        self.new: list[Entry] = []  # entries whose encoding is not written yet
        self.sid = 0
        self.sweep_at = 4096
        self.nested: set[int] = set()  # ids of the code of functions made inside functions
        self.closures: dict[int, list[tuple[Any, int]]] = {}  # id(code) -> [(function, fid)]
        self.parents: set[int] = set()  # fids of frames that made a function
        # the mutable objects, compared in C: a list, dict or set, or an instance's __dict__
        self.objects: list[Any] = []
        self.shadows: list[Any] = []
        # a dict's values (live views), and its shadow's: () for lists and sets
        self.views: list[Any] = []
        self.view_shadows: list[Any] = []
        self.entries: list[Entry] = []  # entry[POS] is the index in these three
        self.slow: list[Entry] = []  # deques, classes, instances with slots: one by one

    def val(self, value: Any) -> str:
        """A value's encoding: atoms as JSON, anything else as ["REF", id]."""
        kind = type(value)
        if kind is int:
            try:
                return str(value)
            except ValueError:  # more digits than str() allows
                return qstr(f"<int of {value.bit_length()} bits>")
        if kind is str:
            return qstr(value)
        if kind is bool:
            return "true" if value else "false"
        if value is None:
            return "null"
        if kind is float:
            return num(value)
        entry = self.known.get(id(value))
        if entry is None:
            entry = self.add(value, kind)
        return entry[TEXT]  # type: ignore[no-any-return]

    def add(self, value: Any, kind: type) -> Entry:
        """A value seen for the first time: a new heap object, or an imported one."""
        imported = self.imported(value, kind)
        if imported:
            entry = [value, 0, K_IMPORTED, None, -1, imported]
        else:
            self.sid += 1
            entry = [value, self.sid, 0, None, -1, f'["REF",{self.sid}]']
            self.new.append(entry)
        self.known[id(value)] = entry
        return entry

    def imported(self, value: Any, kind: type) -> str:
        """Python Tutor's IMPORTED_FAUX_PRIMITIVE for a function, class or module that comes
        from a module file (not the program, not one built into the interpreter), so that
        `from collections import Counter` is not drawn with its 40 methods. A module itself
        is drawn (as pg_encoder does: it counts as an instance)."""
        try:
            if kind is FUNCTION or kind is METHOD or kind is BUILTIN:
                module, label = sys.modules.get(value.__module__), "object"
            elif kind.__flags__ & TYPE_SUBCLASS:
                module, label = sys.modules.get(_TYPE_MODULE(value)), "class"
            else:
                return ""
        except Exception:  # an odd __module__
            return ""
        if type(module) is not MODULE or module is self.program:
            return ""
        path = module.__dict__.get("__file__")
        if type(path) is str and path[:1] == "/":
            return f'["IMPORTED_FAUX_PRIMITIVE","imported {label}"]'
        return ""

    def drain(self) -> None:
        """Write the encodings of new objects (which may find more new objects)."""
        new, emit = self.new, self.emit
        while new:
            entry = new.pop()
            emit(f'["o",{entry[SID]},{self.encode(entry)}]')
            self.track(entry)

    def track(self, entry: Entry) -> None:
        kind = entry[KIND]
        if kind in (K_LIST, K_DICT, K_INST):  # sets iterate in no fixed order: one by one
            entry[POS] = len(self.objects)
            obj = instance_dict(entry[OBJ]) if kind == K_INST else entry[OBJ]
            self.objects.append(obj)
            self.shadows.append(entry[SHADOW])
            self.views.append(obj.values() if type(obj) is dict else ())
            self.view_shadows.append(_values(entry[SHADOW]))
            self.entries.append(entry)
        elif kind <= MUTABLE_MAX:
            self.slow.append(entry)
            if kind == K_PRINTED:
                self.printed.append(entry)

    def vals(self, items: Iterable[Any]) -> str:
        val = self.val
        return "".join(["," + val(item) for item in items])

    def encode(self, entry: Entry) -> str:
        """An object's Python Tutor encoding; sets its kind and shadow."""
        obj = entry[OBJ]
        kind = type(obj)
        if kind is list:
            entry[KIND], entry[SHADOW] = K_LIST, obj.copy()
            return f'["LIST"{self.vals(obj)}]'
        if kind is tuple:
            entry[KIND], entry[SHADOW] = K_TUPLE, obj
            return f'["TUPLE"{self.vals(obj)}]'
        if kind is dict:
            entry[KIND], entry[SHADOW] = K_DICT, obj.copy()
            val = self.val
            pairs = "".join([f",[{val(k)},{val(v)}]" for k, v in obj.items()])
            return f'["DICT"{pairs}]'
        if kind is set:
            entry[KIND], entry[SHADOW] = K_SET, obj.copy()
            return f'["SET"{self.vals(obj)}]'
        if kind is FUNCTION:
            return self.function(entry, obj, obj.__name__, obj.__code__)
        if kind is METHOD:
            func = obj.__func__
            code = func.__code__ if type(func) is FUNCTION else None
            return self.function(entry, func, getattr(func, "__name__", "?"), code)
        if kind is BUILTIN:
            entry[KIND] = K_OTHER
            return f'["FUNCTION",{qstr(getattr(obj, "__name__", "?") + "(...)")},null]'
        if kind.__flags__ & TYPE_SUBCLASS:
            return self.klass(entry)
        if kind is MODULE:  # what pg_logger makes of a module it does not call imported
            entry[KIND] = K_OTHER
            return '["INSTANCE","module"]'
        return self.instance(entry)

    def function(self, entry: Entry, func: Any, name: str, code: CodeType | None) -> str:
        """A function: its signature, the frame it was made in (for closures), and its
        default values (pg_encoder's optional fourth element)."""
        entry[KIND] = K_FUNCTION
        parent = "null"
        if code is not None and id(code) in self.nested:
            fid = self.find_parent(code)
            if fid:
                self.closures.setdefault(id(code), []).append((entry[OBJ], fid))
                self.parents.add(fid)
                parent = str(fid)
        args = []
        if code is not None:
            count = code.co_argcount + code.co_kwonlyargcount
            args = list(code.co_varnames[: code.co_argcount])
            if code.co_flags & CO_VARARGS:
                args.append("*" + code.co_varnames[count])
            args += code.co_varnames[code.co_argcount : count]
            if code.co_flags & CO_VARKEYWORDS:
                args.append("**" + code.co_varnames[count + bool(code.co_flags & CO_VARARGS)])
        signature = f"{name}({', '.join(args)})"
        if name == "<lambda>" and code is not None:  # pg_encoder tells lambdas by their line
            signature += f" <line {code.co_firstlineno}>"
        pairs, values = self.defaults(func, code)
        entry[SHADOW] = values
        tail = f",[{','.join(pairs)}]" if pairs else ""
        return f'["FUNCTION",{qstr(signature)},{parent}{tail}]'

    def defaults(self, func: Any, code: CodeType | None) -> tuple[list[str], tuple[Any, ...]]:
        """A function's default values as [name, value] pairs: positional ones, then
        keyword-only ones in the order they are declared."""
        if code is None or type(func) is not FUNCTION:
            return [], ()
        positional = func.__defaults__ or ()
        keywords = func.__kwdefaults__ or {}
        names = code.co_varnames[code.co_argcount - len(positional) : code.co_argcount]
        found = list(zip(names, positional, strict=False))
        count = code.co_argcount + code.co_kwonlyargcount
        kwonly = code.co_varnames[code.co_argcount : count]
        found += [(n, keywords[n]) for n in kwonly if n in keywords]
        val = self.val
        return [f"[{qstr(n)},{val(v)}]" for n, v in found], tuple(v for _, v in found)

    def klass(self, entry: Entry) -> str:
        obj = entry[OBJ]
        bases = ",".join(qstr(base.__name__) for base in obj.__bases__ if base is not object)
        if not obj.__flags__ & HEAPTYPE:  # int, list...: their insides are not the program's
            entry[KIND] = K_OTHER
            return f'["CLASS",{qstr(obj.__name__)},[{bases}]]'
        entry[KIND], entry[SHADOW] = K_CLASS, dict(instance_dict(obj) or {})
        return f'["CLASS",{qstr(obj.__name__)},[{bases}]{self.attrs(entry[SHADOW])}]'

    def attrs(self, mapping: Mapping[Any, Any]) -> str:
        val = self.val
        names = sorted(k for k in mapping if type(k) is str and k not in HIDDEN_ATTRS)
        return "".join(f",[{qstr(k)},{val(mapping[k])}]" for k in names)

    def instance(self, entry: Entry) -> str:
        """Any other object, as pg_encoder draws it: INSTANCE_PPRINT with its str() when
        that says more than `<X object at 0x...>`, else INSTANCE; then its attributes."""
        obj = entry[OBJ]
        kind = type(obj)
        name = qstr(kind.__name__)
        text = self.printed_form(obj)
        content = contents_of(obj, kind)
        if content:  # mutable items known, so that d['k'].append(...) prints it again
            items = [*content, *content.values()] if type(content) is dict else content
            self.vals([i for i in items if type(i) not in ATOMS and type(i) not in FIXED])
        mapping = instance_dict(obj)
        if type(mapping) is not dict:
            mapping = slot_values(obj) if kind.__flags__ & HEAPTYPE else None
        attrs = self.attrs(mapping) if mapping else ""
        if text is None and content is None and not prints_itself(kind):
            if type(instance_dict(obj)) is dict:
                entry[KIND], entry[SHADOW] = K_INST, instance_dict(obj).copy()
            elif mapping is not None:
                entry[KIND], entry[SHADOW] = K_SLOTS, mapping
            else:
                entry[KIND] = K_OTHER
            return f'["INSTANCE",{name}{attrs}]'
        entry[KIND] = K_PRINTED
        entry[SHADOW] = (
            content,
            dict(mapping) if mapping else None,
            text,
            self.deep(kind, content),
        )
        if text is None:
            return f'["INSTANCE",{name}{attrs}]'
        return f'["INSTANCE_PPRINT",{name},{qstr(text)}{attrs}]'

    def printed_form(self, obj: Any) -> str | None:
        """str(obj), run guarded; None when it fails or says nothing (pg_encoder's rule)."""
        text = self.guard.call(str, obj)
        if type(text) is not str or not text:
            return None
        if text[0] == "<" and text[-1] == ">" and (" at " in text or text.startswith("<module")):
            return None
        text = strip_addresses(text)
        return text if len(text) <= PRINTED_CHARS else text[: PRINTED_CHARS - 3] + "..."

    def deep(self, kind: type, content: Any) -> bool:
        """Whether a printed form may change while the object does not: a class's own
        __str__ may show anything; a container's text shows its mutable items."""
        if prints_itself(kind):
            return True
        items = [*content, *content.values()] if type(content) is dict else content or ()
        return any(type(item) not in ATOMS and type(item) not in FIXED for item in items)

    def reprint(self) -> None:
        """After a change anywhere: an object's printed form may show other objects (a
        linked list's __str__), so print the printed objects again, when few."""
        if len(self.printed) > PRINTED_REFRESH:
            return
        for entry in self.printed:
            shadow = entry[SHADOW]
            if (
                entry[KIND] == K_PRINTED
                and shadow[3]
                and self.printed_form(entry[OBJ]) != shadow[2]
            ):
                self.emit(f'["o",{entry[SID]},{self.encode(entry)}]')

    def walk(self) -> None:
        """Write what changed in the mutable objects known. Objects are compared by identity
        only: the program's own __eq__ never runs, and 1 replaced by 1.0 is a change."""
        objects, shadows, entries, update = self.objects, self.shadows, self.entries, self.update
        # All in C, no Python call per object: lengths, then items (keys), then dict values.
        resized = map(ne, map(len, objects), map(len, shadows))
        moved = map(any, map(map, repeat(is_not), objects, shadows))
        revalued = map(any, map(map, repeat(is_not), self.views, self.view_shadows))
        changed = map(or_, map(or_, resized, moved), revalued)
        found = list(compress(range(len(objects)), changed))
        for index in found:
            update(entries[index])
        same = self.same
        for entry in self.slow:
            if not same(entry):
                update(entry)
                found.append(-1)
        if self.new:
            found.append(-1)
            self.drain()
        if found and self.printed:
            self.reprint()
            if self.new:
                self.drain()

    def same(self, entry: Entry) -> bool:
        """Whether an object still holds exactly the objects its shadow holds."""
        kind, obj, shadow = entry[KIND], entry[OBJ], entry[SHADOW]
        if kind == K_PRINTED:
            mapping = instance_dict(obj)
            if type(mapping) is not dict:
                mapping = slot_values(obj) if type(obj).__flags__ & HEAPTYPE else None
            return same_items(contents_of(obj, type(obj)), shadow[0]) and same_items(
                mapping or None, shadow[1]
            )
        if kind == K_SLOTS:
            obj = slot_values(obj)
        elif kind == K_CLASS:
            obj = dict(instance_dict(obj) or {})
        elif kind == K_INST:
            obj = instance_dict(obj)
            if obj is None:
                return True
        if len(obj) != len(shadow):
            return False
        if kind == K_SET:
            return all(item in shadow for item in obj)
        if kind in (K_LIST, K_DEQUE):
            return not any(map(is_not, obj, shadow))
        return not any(map(is_not, obj, shadow)) and not any(
            map(is_not, obj.values(), shadow.values())
        )

    def update(self, entry: Entry) -> None:
        """Write how a changed object changed, and take a new shadow of it."""
        kind, obj, shadow = entry[KIND], entry[OBJ], entry[SHADOW]
        if kind == K_LIST:
            self.splice(entry, obj, shadow)
        elif kind == K_DICT:
            self.changed_keys(entry, obj, shadow, False)
        elif kind == K_INST:
            self.changed_keys(entry, instance_dict(obj) or {}, shadow, True)
        elif kind == K_SET:
            added, removed = self.vals(obj - shadow)[1:], self.vals(shadow - obj)[1:]
            self.emit(f'["a",{entry[SID]},[{added}],[{removed}]]')
            entry[SHADOW] = obj.copy()
        else:
            self.emit(f'["o",{entry[SID]},{self.encode(entry)}]')
        if entry[POS] >= 0:
            self.shadows[entry[POS]] = entry[SHADOW]
            self.view_shadows[entry[POS]] = _values(entry[SHADOW])

    def splice(self, entry: Entry, obj: list[Any], shadow: list[Any]) -> None:
        """A list changed: write the stretch that differs (a swap writes two items)."""
        new_len, old_len = len(obj), len(shadow)
        low = min(_first_difference(obj, shadow), new_len, old_len)
        high = _first_difference(reversed(obj), reversed(shadow))
        high = min(high, new_len - low, old_len - low)
        body = self.vals(obj[low : new_len - high])[1:]
        self.emit(f'["s",{entry[SID]},{low},{old_len - high},[{body}]]')
        entry[SHADOW] = obj.copy()

    def changed_keys(
        self, entry: Entry, mapping: dict[Any, Any], shadow: dict[Any, Any], is_instance: bool
    ) -> None:
        """A dict or an instance changed: write the keys set and the keys removed."""
        val, changed, missing = self.val, [], object()
        for key, value in mapping.items():
            if shadow.get(key, missing) is not value and (
                not is_instance or (type(key) is str and key not in HIDDEN_ATTRS)
            ):
                changed.append(f"[{val(key)},{val(value)}]")
        gone = ",".join([val(key) for key in shadow if key not in mapping])
        self.emit(f'["d",{entry[SID]},[{",".join(changed)}],[{gone}]]')
        entry[SHADOW] = mapping.copy()

    def children(self, entry: Entry) -> list[Entry]:
        """The known objects directly inside an object, per its shadow."""
        kind, shadow = entry[KIND], entry[SHADOW]
        if kind == K_DICT:
            items = [*shadow, *shadow.values()]
        elif kind in (K_INST, K_CLASS, K_SLOTS):
            items = list(shadow.values())
        elif kind == K_PRINTED:
            items = list(shadow[1].values()) if shadow[1] else []
            content = shadow[0] or ()
            items += [*content, *content.values()] if type(content) is dict else content
        elif kind <= K_FROZEN or kind == K_FUNCTION:
            items = shadow
        else:
            return []
        known = self.known
        return [known[id(item)] for item in items if type(item) not in ATOMS and id(item) in known]

    def sweep(self, values: Iterable[Any]) -> None:
        """Forget the objects not reachable from `values` (their ids may then be reused)."""
        known, marked = self.known, set()
        todo = [known[id(v)] for v in values if type(v) not in ATOMS and id(v) in known]
        todo += self.new
        for pairs in self.closures.values():
            todo += [known[id(func)] for func, _ in pairs if id(func) in known]
        while todo:
            entry = todo.pop()
            if id(entry[OBJ]) not in marked:
                marked.add(id(entry[OBJ]))
                todo += self.children(entry)
        for key in [key for key in known if key not in marked]:
            del known[key]
        self.objects, self.shadows, self.entries, self.slow = [], [], [], []
        self.printed = []
        self.views, self.view_shadows = [], []
        for entry in known.values():
            if entry[KIND]:
                self.track(entry)
        self.sweep_at = max(4096, 2 * len(known))


def _values(shadow: Any) -> Any:
    return shadow.values() if type(shadow) is dict else ()


def _first_difference(new: Iterable[Any], old: Iterable[Any]) -> int:
    """The first index where two lists hold different objects (C speed: no Python loop)."""
    try:
        return indexOf(map(is_, new, old), False)
    except ValueError:
        return 1 << 62  # no difference as far as the shorter one goes


_UNSET = object()


def instance_dict(obj: Any) -> Any:
    """An object's own __dict__, read without running the program's code (a __getattribute__
    or a __dict__ property of its class); None when it has none."""
    try:
        return object.__getattribute__(obj, "__dict__")
    except Exception:
        return None


def slot_values(obj: Any) -> dict[str, Any]:
    """An object's slots, read by their descriptors (never its own __getattribute__)."""
    values = {}
    for cls in type(obj).__mro__:
        namespace = _TYPE_DICT(cls)
        names = namespace.get("__slots__", ())
        for name in (names,) if type(names) is str else names:
            slot = namespace.get(name) if type(name) is str else None
            if slot is None or type(slot) is not _MEMBER:
                continue
            try:
                values[name] = slot.__get__(obj, cls)
            except AttributeError:  # a slot never set has no value
                continue
    return values


class _Slotted:
    __slots__ = ("slot",)


_MEMBER = type(_Slotted.__dict__["slot"])
_DEQUE = _collections.deque


def contents_of(obj: Any, kind: type) -> Any:
    """A snapshot of what a container of a subclass (Counter, OrderedDict, class X(list)) or a
    deque holds, taken by the base class's own C methods; None for other objects."""
    if kind.__flags__ & (1 << 29):  # Py_TPFLAGS_DICT_SUBCLASS
        return dict.copy(obj)
    if kind.__flags__ & (1 << 25):  # Py_TPFLAGS_LIST_SUBCLASS
        return list.copy(obj)
    if kind.__flags__ & (1 << 26):  # Py_TPFLAGS_TUPLE_SUBCLASS: a namedtuple
        return list(tuple.__iter__(obj))
    if issubclass(kind, set):
        return set.copy(obj)
    if issubclass(kind, _DEQUE):
        return list(_DEQUE.__iter__(obj))
    return None


def prints_itself(kind: type) -> bool:
    """Whether a class of the program's has its own __str__ or __repr__ (whose text may
    change with the object, or say nothing yet, in __init__)."""
    if not kind.__flags__ & HEAPTYPE:
        return False
    for cls in kind.__mro__:
        if cls is object:
            return False
        namespace = _TYPE_DICT(cls)
        if "__str__" in namespace or "__repr__" in namespace:
            return True
    return False


def same_items(now: Any, then: Any) -> bool:
    """Whether two snapshots (dicts, lists, sets or None) hold the same objects."""
    if now is None or then is None:
        return now is then
    if len(now) != len(then):
        return False
    if type(now) is set:
        return all(item in then for item in now)
    if any(map(is_not, now, then)):
        return False
    return type(now) is not dict or not any(map(is_not, now.values(), then.values()))


# A frame record: the frame, its id, whether it is a function's, its variables' names and
# values as last written, free variables (name -> fid of the frame owning the cell), its
# CodeInfo, the fids of its parent frames, and whether an exception is unwinding it.
FRAME, FID, IS_FUNCTION, NAMES, VALUES, HIDDEN, INFO, PARENTS, UNWINDING = range(9)


class Tracer:
    """One traced run: the records written so far, and the hooks for sys.settrace."""

    def __init__(self, path: str, max_steps: int, out_fd: int) -> None:
        self.path = path
        self.max_steps = max_steps
        self.out_fd = out_fd
        self.buf: list[str] = []
        self.steps = 0
        self.stopped = ""
        self.flushing = False
        self.counting = False
        self.line_counts: dict[int, int] = {}
        self.call_counts: dict[CodeType, int] = {}
        self.last_output: list[Any] = ["", -1, ""]  # stream, records before it + 1, text
        self.guard = Guard()
        self.program: Any = None
        self.forked = False

    # output -------------------------------------------------------------------------------

    def flush(self) -> None:
        if self.forked:  # a child process's records would break the parent's trace
            self.buf.clear()
            return
        self.flushing = True
        try:
            buf = self.buf
            while buf:
                count = len(buf)
                data = ("\n".join(buf[:count]) + "\n").encode("utf-8", "surrogatepass")
                del buf[:count]
                while data:
                    try:
                        data = data[os.write(self.out_fd, data) :]
                    except InterruptedError:
                        continue
        finally:
            self.flushing = False

    def write(self, tag: str, text: str) -> None:
        """Program output, as a record in its place among the steps; writes with nothing in
        between (the pieces of one print) share a record."""
        if self.forked:  # a child process's output goes where raw writes go (stderr)
            os.write(1, text.encode("utf-8", "replace"))
            return
        buf = self.buf
        last = self.last_output
        if last[0] == tag and last[1] == len(buf) and len(last[2]) < 4096:
            last[2] += text
            buf[-1] = f'["{tag}",{qstr(last[2])}]'
        else:
            buf.append(f'["{tag}",{qstr(text)}]')
            self.last_output = [tag, len(buf), text]
        if self.stopped and not self.flushing:
            self.flush()

    def child(self) -> None:
        """After os.fork, in the child: stop tracing and leave the trace to the parent."""
        self.forked = True
        self.stopped = "fork"
        self.buf.clear()
        sys.settrace(None)
        frame: FrameType | None = sys._getframe()
        while frame is not None:
            frame.f_trace = None
            frame = frame.f_back
        if self.out_fd > 2:  # the parent's trace: the child cannot write into it
            os.close(self.out_fd)

    def stop(self, reason: str, detail: str = "") -> None:
        """Stop recording (time limit, CPU limit, a signal): say so and write it all."""
        if self.stopped:
            return
        self.stopped = reason
        sys.settrace(None)
        frame: FrameType | None = sys._getframe()
        while frame is not None:
            frame.f_trace = None
            frame = frame.f_back
        self.last_output = ["", -1, ""]
        self.buf.append(f'["T",{qstr(reason)},{qstr(detail)},{self.steps}]')
        self.emit_counts()
        if not self.flushing:
            self.flush()

    def emit_counts(self) -> None:
        if not self.counting:
            return
        lines = ",".join(f'"{line}":{n}' for line, n in sorted(self.line_counts.items()))
        calls: dict[str, int] = {}
        for code, count in self.call_counts.items():
            calls[code.co_name] = calls.get(code.co_name, 0) + count
        calls_text = ",".join(f"{qstr(name)}:{n}" for name, n in calls.items())
        self.buf.append(f'["K",{{"lines":{{{lines}}},"calls":{{{calls_text}}}}}]')
        self.line_counts.clear()
        self.call_counts.clear()

    # tracing ------------------------------------------------------------------------------

    def install(self, module_code: CodeType, globals_dict: dict[str, Any]) -> Hook:
        """The sys.settrace hook. Its state lives in closures: the fastest a hook can read."""
        path, emit, flush, max_steps = self.path, self.buf.append, self.flush, self.max_steps
        tracer = self
        codes: dict[int, CodeInfo] = {}  # id(code) -> CodeInfo
        frames: dict[FrameType, Record] = {}  # frames running or suspended (generators)
        by_fid: dict[int, Record] = {}  # fid -> record, for frames running, suspended or zombie
        shown: list[Record] = []  # records whose variables are drawn: globals, live frames, zombies
        fids = [0]
        limit = sys.getrecursionlimit() - 60
        depth = [0]
        yield_op = _opnum("YIELD_VALUE")
        loop_ops = {_opnum("FOR_ITER"), _opnum("SEND"), _opnum("END_ASYNC_FOR")}
        qnames: dict[str, str] = {}

        def find_parent(code: CodeType) -> int:
            """The function frame nearest the top of the stack whose code made `code`."""
            frame: FrameType | None = sys._getframe()
            while frame is not None:
                record = frames.get(frame)
                if record is not None and record[IS_FUNCTION]:
                    for const in frame.f_code.co_consts:
                        if const is code:
                            return int(record[FID])
                frame = frame.f_back
            return 0

        heap = Heap(emit, find_parent, self.guard, self.program)
        val, drain, new = heap.val, heap.drain, heap.new
        _find_nested(module_code, False, heap.nested)
        class_bodies: set[int] = set()
        _find_class_bodies(module_code, class_bodies)
        skipping = [0]  # class bodies running: Python Tutor steps over a class statement

        def walk() -> None:
            heap.walk()
            if len(heap.known) > heap.sweep_at:
                values = [v for record in [*frames.values(), *shown] for v in record[VALUES]]
                heap.sweep(values)

        def qname(name: str) -> str:
            quoted = qnames.get(name)
            if quoted is None:
                quoted = qnames[name] = qstr(name)
            return quoted

        def changed(record: Record, name: str, value: Any) -> None:
            """Write a variable's new value."""
            hidden = record[HIDDEN]
            if name in hidden:  # a free variable: drawn in the frame that owns its cell
                if hidden[name]:
                    emit(f'["v",{hidden[name]},{qname(name)},{val(value)}]')
            elif name[0] != "." and (record[IS_FUNCTION] or not _dunder(name)):
                emit(f'["v",{record[FID]},{qname(name)},{val(value)}]')

        def check_locals(record: Record, mapping: Mapping[str, Any] | None = None) -> None:
            """Compare a frame's variables with what was last written, by identity."""
            if mapping is None:
                mapping = record[FRAME].f_locals
            values = record[VALUES]
            if len(mapping) == len(values) and all(map(is_, mapping.values(), values)):
                return
            names = record[NAMES]
            if len(mapping) == len(values) and list(mapping) == names:
                for index, value in enumerate(mapping.values()):
                    if value is not values[index]:
                        values[index] = value
                        changed(record, names[index], value)
            else:
                old = dict(zip(names, values, strict=True))
                missing = object()
                for name, value in mapping.items():
                    if old.pop(name, missing) is not value:
                        changed(record, name, value)
                for name in old:
                    hidden = name in record[HIDDEN] or name[0] == "."
                    if not hidden and (record[IS_FUNCTION] or not _dunder(name)):
                        emit(f'["x",{record[FID]},{qname(name)}]')
                record[NAMES], record[VALUES] = list(mapping), list(mapping.values())
            if new:
                drain()

        def check_globals() -> None:
            check_locals(globals_record, globals_dict)

        globals_record: Record = [None, 0, False, [], [], {}, None, (), False]
        shown.append(globals_record)

        def code_info(code: CodeType) -> CodeInfo:
            info = codes.get(id(code))
            if info is None:
                info = codes[id(code)] = CodeInfo(len(codes) + 1, code, id(code) in heap.nested)
                names = ",".join(qstr(name) for name in code.co_varnames)
                line = code.co_firstlineno
                emit(f'["C",{info.index},{qstr(code.co_name)},[{names}],{line}]')
            return info

        def parents_of(frame: FrameType, code: CodeType) -> tuple[int, ...]:
            """The frames whose variables a nested function's frame sees (nearest first)."""
            candidates = heap.closures.get(id(code))
            if not candidates:
                fid = find_parent(code)
                if not fid:
                    return ()
                candidates = [(None, fid)]
            chosen = candidates[-1][1]
            if code.co_freevars and len(candidates) > 1:  # the function whose cells match
                mapping = frame.f_locals
                for func, fid in reversed(candidates):
                    try:
                        cells = func.__closure__ or ()
                        if all(
                            mapping.get(name) is cell.cell_contents
                            for name, cell in zip(code.co_freevars, cells, strict=False)
                        ):
                            chosen = fid
                            break
                    except ValueError:  # an empty cell
                        continue
            heap.parents.add(chosen)
            parent = by_fid.get(chosen)
            return (chosen, *(parent[PARENTS] if parent is not None else ()))

        def owner_of(name: str, parents: tuple[int, ...]) -> int:
            for fid in parents:
                record = by_fid.get(fid)
                if record is not None and name in record[INFO].code.co_cellvars:
                    return fid
            return 0

        def enter(frame: FrameType) -> Record:
            """A 'call' event: a new frame, or a generator resumed."""
            record = frames.get(frame)
            if record is not None:  # a generator resumed: what it holds may have changed
                emit(f'["F",{record[FID]}]')
                shown.append(record)
                check_locals(record)
                walk()
                return record
            code = frame.f_code
            info = code_info(code)
            fids[0] += 1
            fid = fids[0]
            parents = parents_of(frame, code) if info.nested else ()
            hidden = {name: owner_of(name, parents) for name in code.co_freevars} if parents else {}
            function = bool(code.co_flags & CO_OPTIMIZED)
            record = [frame, fid, function, [], [], hidden, info, parents, False]
            frames[frame] = by_fid[fid] = record
            shown.append(record)
            tail = f",[{','.join(map(str, parents))}]" if parents else ""
            emit(f'["F",{fid},{info.index}{tail}]')
            check_locals(record)
            return record

        def leave(record: Record, suspended: bool) -> None:
            if shown[-1] is record:
                shown.pop()
            else:
                shown.remove(record)
            if suspended:
                return
            del frames[record[FRAME]]
            record[FRAME] = None
            if record[FID] in heap.parents:  # a zombie: still drawn, as its closures' parent
                shown.append(record)
            else:
                del by_fid[record[FID]]

        def settle(flags: int, record: Record) -> None:
            """Write what the code run since the last event changed."""
            if flags & LOCALS:
                if record[FID]:
                    check_locals(record)
                else:
                    check_globals()
            if (flags & GLOBALS and record[FID]) or flags & HEAP:  # exec() and globals() too
                check_globals()
            if new:
                drain()
            if flags & HEAP:
                walk()

        line_counts, call_counts = self.line_counts, self.call_counts

        def count_line(frame: FrameType, event: str, arg: Any) -> Hook:
            if event == "line":
                lineno = frame.f_lineno
                line_counts[lineno] = line_counts.get(lineno, 0) + 1
            return count_line

        def count_call(frame: FrameType, event: str, arg: Any) -> Hook | None:
            code = frame.f_code
            if code.co_filename != path:
                return None
            if id(code) in class_bodies:
                return count_line
            call_counts[code] = call_counts.get(code, 0) + 1
            return count_line

        def go_counting(frame: FrameType | None) -> None:
            """Past the step budget: keep counting lines and calls, nothing else."""
            tracer.counting = True
            emit(f'["T","steps","",{max_steps}]')
            sys.settrace(count_call)
            while frame is not None:
                if frame.f_code.co_filename == path:
                    frame.f_trace = count_line
                frame = frame.f_back
            flush()

        def fail(error: Exception) -> None:
            tracer.stop("error", f"the tracer failed: {exception_message(type(error), error)}")

        pending: list[Any] = [
            0,
            None,
        ]  # what the code since the last event may have changed, and where

        def trace(frame: FrameType, event: str, arg: Any) -> Hook | None:
            if frame.f_code.co_filename != path or tracer.stopped or skipping[0]:
                return None
            try:
                if id(frame.f_code) in class_bodies:
                    return skip_class(frame)
                return start(frame)
            except Exception as error:
                fail(error)
                return None

        def skip_class(frame: FrameType) -> Hook:
            """A class body runs untraced, with whatever it calls, like pg_logger's."""
            if pending[0]:
                settle(pending[0], pending[1])
            skipping[0] += 1
            frame.f_trace_lines = False
            back = frame.f_back
            caller = frames.get(back) if back is not None else None

            def inside(frame: FrameType, event: str, arg: Any) -> Hook | None:
                if event == "return":
                    skipping[0] -= 1
                    pending[0], pending[1] = ALL, caller or globals_record
                    return None
                return inside

            return inside

        def leaving(frame: FrameType, arg: Any, record: Record, module: bool) -> None:
            """A 'return' event: a frame returns, raises out, or a generator yields."""
            raw, lasti = frame.f_code.co_code, frame.f_lasti
            suspended = 0 <= lasti < len(raw) and raw[lasti] == yield_op
            if not module:
                depth[0] -= 1
            if not (module and record[UNWINDING]):
                tracer.steps += 1
                if tracer.steps > max_steps:
                    go_counting(frame)
                    return
                if record[UNWINDING] and not suspended:  # an exception goes through
                    emit(f'["r",{frame.f_lineno or 0},null,2]')
                else:
                    tail = ",1" if suspended else ""
                    returned = val(arg)
                    if new:  # the value's encoding first: the return step shows it
                        drain()
                    emit(f'["r",{frame.f_lineno or 0},{returned}{tail}]')
            if not module:
                leave(record, suspended)
            back = frame.f_back
            caller = frames.get(back) if back is not None else None
            if back is not None and caller is not None:
                pending[0] = caller[INFO].segment(back.f_lasti)
                pending[1] = caller
            else:
                pending[0] = 0

        def raised(frame: FrameType, arg: Any, record: Record) -> bool:
            """An 'exception' event: False when it is a loop ending (Python's bookkeeping)."""
            kind, value = arg[0], arg[1]
            if kind is StopIteration and frame.f_code.co_code[frame.f_lasti] in loop_ops:
                return False
            record[UNWINDING] = True
            tracer.steps += 1
            if tracer.steps > max_steps:
                go_counting(frame)
                return True
            message = exception_message(kind, value, tracer.guard)
            emit(f'["e",{frame.f_lineno or 0},{qstr(message)}]')
            pending[0], pending[1] = ALL, record
            return True

        def start(frame: FrameType) -> Hook | None:
            code = frame.f_code
            if depth[0] > limit:
                tracer.stop("recursion", "the program went deeper than the tracer follows")
                return None
            if pending[0]:
                settle(pending[0], pending[1])
            module = code is module_code and frame not in frames
            if module:
                record = globals_record
                frames[frame] = record
                record[INFO] = code_info(code)
            else:
                depth[0] += 1
                record = enter(frame)
                tracer.steps += 1
                if tracer.steps > max_steps:
                    go_counting(frame)
                    return count_line
                emit(f'["c",{frame.f_lineno or code.co_firstlineno}]')
            info = record[INFO]
            flags = info.flags
            pending[0] = ALL if module else info.segment(frame.f_lasti)
            pending[1] = record

            def local(frame: FrameType, event: str, arg: Any) -> Hook | None:
                try:
                    if pending[0]:
                        settle(pending[0], pending[1])
                    if event == "line":
                        record[UNWINDING] = False
                        tracer.steps += 1
                        if tracer.steps > max_steps:
                            go_counting(frame)
                            return count_line(frame, event, arg)
                        if not tracer.steps & FLUSH_EVERY:
                            flush()
                        lasti = frame.f_lasti
                        segment = flags[lasti >> 1]
                        pending[0] = segment if segment >= 0 else info.segment(lasti)
                        pending[1] = record
                        emit(str(frame.f_lineno))
                        return local
                    if event == "return":
                        leaving(frame, arg, record, module)
                        return None
                    if event == "exception" and raised(frame, arg, record):
                        return count_line if tracer.counting else local
                    return local
                except Exception as error:
                    fail(error)
                    return None

            return local

        return trace


def _find_nested(code: CodeType, inside_function: bool, found: set[int]) -> None:
    """Collect the ids of the code of functions defined inside functions."""
    for const in code.co_consts:
        if type(const) is type(code):
            if inside_function:
                found.add(id(const))
            _find_nested(const, inside_function or bool(const.co_flags & CO_OPTIMIZED), found)


def _find_class_bodies(code: CodeType, found: set[int]) -> None:
    """Collect the ids of class bodies: the only code inside a module that is not optimized
    (functions, lambdas and comprehensions are)."""
    for const in code.co_consts:
        if type(const) is type(code):
            if not const.co_flags & CO_OPTIMIZED:
                found.add(id(const))
            _find_class_bodies(const, found)


def _dunder(name: str) -> bool:
    return name[:2] == "__" and name[-2:] == "__"


def _opnum(name: str) -> int:
    import opcode

    return opcode.opmap.get(name, -1)


def exception_message(
    kind: type[BaseException], value: BaseException, guard: Guard | None = None
) -> str:
    text = (guard or Guard()).call(str, value)
    if type(text) is not str:
        text = "?"
    return kind.__name__ + (": " + text if text else "")


class Capture:
    """The program's sys.stdout / sys.stderr: what it writes becomes records of the trace."""

    encoding = "utf-8"
    errors = "strict"
    newlines = None
    line_buffering = False

    def __init__(self, tracer: Tracer, tag: str, fd: int) -> None:
        self.tracer = tracer
        self.tag = tag
        self.fd = fd
        self.buffer = _BinaryCapture(self)

    def write(self, text: str) -> int:
        if type(text) is not str:
            if not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            text = str(text)
        if text:
            self.tracer.write(self.tag, text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fd

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:
        pass


class _BinaryCapture:
    def __init__(self, text: Capture) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        self.text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass


class FlushingStdin:
    """The program's sys.stdin: writes the trace before every read, so that a prompt shows
    before the program waits (interactive runs)."""

    def __init__(self, tracer: Tracer, stream: TextIO) -> None:
        self._tracer = tracer
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __iter__(self) -> FlushingStdin:
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def read(self, *args: Any) -> str:
        self._tracer.flush()
        return self._stream.read(*args)

    def readline(self, *args: Any) -> str:
        self._tracer.flush()
        return self._stream.readline(*args)

    def readlines(self, *args: Any) -> list[str]:
        self._tracer.flush()
        return self._stream.readlines(*args)


def _user_traceback(error: BaseException, path: str) -> tuple[str, int | None]:
    """The program's traceback, without the tracer's own frames (the start, and any in
    between: input() at the end of input raises inside the tracer's own input)."""
    import traceback

    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != path:
        tb = tb.tb_next
    report = traceback.TracebackException(type(error), error, tb)
    mine = os.path.abspath(__file__)  # noqa: PTH100
    seen: set[int] = set()
    todo = [report]
    while todo:  # chained exceptions too
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        kept = [f for f in item.stack if os.path.abspath(f.filename) != mine]  # noqa: PTH100
        item.stack = traceback.StackSummary.from_list(kept)
        todo += [e for e in (item.__cause__, item.__context__) if e is not None]
    lines = list(report.format())
    last = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            last = tb.tb_lineno
        tb = tb.tb_next
    return "".join(lines), last


def main(argv: list[str]) -> int:
    import builtins

    if TYPE_CHECKING:
        import signal
    else:  # the C module: `signal` imports enum, 4 ms of the tracer's start
        import _signal as signal
    import time

    started = time.monotonic()
    max_steps, wall, path = int(argv[1]), float(argv[2]), os.path.abspath(argv[3])  # noqa: PTH100
    out_fd = os.dup(1)
    os.dup2(2, 1)  # raw writes to descriptor 1 go to stderr: the trace stays whole
    tracer = Tracer(path, max_steps, out_fd)
    os.register_at_fork(after_in_child=tracer.child)
    emit = tracer.buf.append
    python = qstr(sys.version.split()[0])
    emit(f'["H",{VERSION},{{"file":{qstr(path)},"python":{python},"max_steps":{max_steps}}}]')
    with open(path, "rb") as handle:  # noqa: PTH123 (no pathlib: a fast start)
        source = handle.read()
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None) or 0
        column = getattr(error, "offset", None) or 0
        message = f"{type(error).__name__}: {getattr(error, 'msg', None) or error}"
        emit(f'["S",{line},{column},{qstr(message)}]')
        tracer.flush()
        return 2

    module = MODULE("__main__")
    module.__file__ = path
    tracer.program = module
    sys.modules["__main__"] = module
    sys.argv = [argv[3], *argv[4:]]
    sys.path[0] = os.path.dirname(path)  # noqa: PTH120
    sys.stdout = Capture(tracer, "1", 1)
    sys.stderr = Capture(tracer, "2", 2)
    sys.stdin = FlushingStdin(tracer, sys.stdin)
    real_input = builtins.input

    def traced_input(prompt: object = "") -> str:
        if tracer.guard.active:  # a __str__ the tracer runs must not read the input
            raise RuntimeError("input() inside __str__")
        if prompt:
            sys.stdout.write(str(prompt))
        tracer.flush()
        line = real_input()
        if type(sys.stdout) is Capture:  # the echo a terminal shows, as its own record
            tracer.write("3", line + "\n")
        return line

    builtins.input = traced_input

    def on_signal(number: int, frame: FrameType | None) -> None:
        reason = {int(signal.SIGALRM): "time", int(signal.SIGXCPU): "cpu"}.get(number, "signal")
        tracer.stop(reason, "the run reached its limit")
        if number != signal.SIGALRM:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)

    for number in (signal.SIGALRM, signal.SIGXCPU, signal.SIGTERM):
        signal.signal(number, on_signal)

    def on_overtime(number: int, frame: FrameType | None) -> None:
        if tracer.guard.active:
            raise Overtime

    signal.signal(signal.SIGPROF, on_overtime)
    tracer.guard = Guard(signal.setitimer, signal.ITIMER_PROF)
    margin = min(1.5, max(0.3, wall * 0.15))
    signal.setitimer(signal.ITIMER_REAL, max(0.05, wall - margin - (time.monotonic() - started)))

    import atexit

    result = [0]

    def finish() -> None:  # registered first, so it runs last: after the program's own handlers
        tracer.emit_counts()
        emit(f'["X",{result[0]},{tracer.steps}]')
        tracer.flush()

    atexit.register(finish)
    real_exit = os._exit

    def exit_now(status: int) -> NoReturn:  # os._exit skips atexit: write the trace first
        result[0] = status
        finish()
        real_exit(status)

    os._exit = exit_now
    hook = tracer.install(code, module.__dict__)
    status = 0
    sys.settrace(hook)
    try:
        exec(code, module.__dict__)
    except SystemExit as error:
        sys.settrace(None)
        status = _exit_status(error, sys.stderr)
    except BaseException as error:
        sys.settrace(None)
        text, line = _user_traceback(error, path)
        if not tracer.stopped:
            tracer.steps += 1
            message = exception_message(type(error), error)
            emit(f'["u",{line or 0},{qstr(message)}]')
        sys.stderr.write(text)
        status = 1
    finally:
        sys.settrace(None)
    signal.setitimer(signal.ITIMER_REAL, 0)
    result[0] = status
    return status


def _exit_status(error: SystemExit, stderr: Capture) -> int:
    code = error.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    stderr.write(str(code) + "\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
