"""A small sys.settrace tracer that writes Python Tutor's documented trace format (pg_logger),
so that the call-tree and data-structure views are tested on realistic traces without the
sandbox. It follows pg_logger's conventions: frame ids in order of first appearance, stack
frames sorted by frame id with the innermost one highlighted, `__return__` among a returning
frame's locals, small heap ids that stay stable for an object's life, `exception_msg` on
exception steps, and a final `uncaught_exception` step.
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
import types
from typing import Any

FILENAME = "<traced>"
HIDDEN = {"__builtins__", "__name__", "__doc__", "__loader__", "__spec__", "__package__"}


class _Encoder:
    def __init__(self) -> None:
        self.small: dict[int, int] = {}
        self.keep: list[Any] = []  # objects stay alive so that id() is never reused
        self.heap: dict[int, list[Any]] = {}

    def encode(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            if math.isinf(value):
                return ["SPECIAL_FLOAT", "Infinity" if value > 0 else "-Infinity"]
            if math.isnan(value):
                return ["SPECIAL_FLOAT", "NaN"]
            return ["SPECIAL_FLOAT", f"{value:.1f}"] if value == int(value) else round(value, 4)
        if id(value) not in self.small:
            self.small[id(value)] = len(self.small) + 1
            self.keep.append(value)
        ref = self.small[id(value)]
        if ref in self.heap:
            return ["REF", ref]
        entry: list[Any] = []
        self.heap[ref] = entry
        if isinstance(value, list | tuple | set):
            tag = {list: "LIST", tuple: "TUPLE", set: "SET"}[type(value)]
            entry.extend([tag, *(self.encode(item) for item in value)])
        elif isinstance(value, dict):
            entry.append("DICT")
            entry.extend([self.encode(k), self.encode(v)] for k, v in value.items())
        elif isinstance(value, types.FunctionType):
            args = value.__code__.co_varnames[: value.__code__.co_argcount]
            entry.extend(["FUNCTION", f"{value.__name__}({', '.join(args)})", None])
        elif isinstance(value, type):
            bases = [b.__name__ for b in value.__bases__ if b is not object]
            entry.extend(["CLASS", value.__name__, bases])
            for name in sorted(vars(value)):
                if not name.startswith("__"):
                    entry.append([name, self.encode(vars(value)[name])])
        elif hasattr(value, "__dict__"):
            entry.extend(["INSTANCE", type(value).__name__])
            for name in sorted(vars(value)):
                entry.append([name, self.encode(vars(value)[name])])
        else:
            entry.extend([type(value).__name__, str(value)])
        return ["REF", ref]


class _Tracer:
    def __init__(self, code: str) -> None:
        self.code = code
        self.steps: list[dict[str, Any]] = []
        self.encoder = _Encoder()
        self.frame_ids: dict[int, int] = {}
        self.frames: list[types.FrameType] = []
        self.stack: list[types.FrameType] = []
        self.stdout = io.StringIO()
        self.globals: dict[str, Any] = {"__name__": "__main__"}

    def run(self, max_steps: int) -> dict[str, Any]:
        self.max_steps = max_steps
        compiled = compile(self.code, FILENAME, "exec")
        try:
            with contextlib.redirect_stdout(self.stdout):
                sys.settrace(self.trace)
                try:
                    exec(compiled, self.globals)
                finally:
                    sys.settrace(None)
        except Exception as exc:  # the traced program's own error
            line = self.steps[-1]["line"] if self.steps else 1
            tb = exc.__traceback__
            while tb is not None:
                if tb.tb_frame.f_code.co_filename == FILENAME:
                    line = tb.tb_lineno
                tb = tb.tb_next
            self.steps.append(
                {
                    "event": "uncaught_exception",
                    "line": line,
                    "exception_msg": f"{type(exc).__name__}: {exc}",
                }
            )
        return {"code": self.code, "trace": self.steps}

    def trace(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != FILENAME or len(self.steps) >= self.max_steps:
            return None
        if event == "call" and frame.f_code.co_name == "<module>":
            return self.trace  # pg_logger starts at the module's first line
        if event == "call":
            self.stack.append(frame)
        self.record(frame, event, arg)
        if event == "return" and self.stack and self.stack[-1] is frame:
            self.stack.pop()
        return self.trace

    def frame_id(self, frame: types.FrameType) -> int:
        if id(frame) not in self.frame_ids:
            self.frame_ids[id(frame)] = len(self.frame_ids) + 1
            self.frames.append(frame)
        return self.frame_ids[id(frame)]

    def record(self, frame: types.FrameType, event: str, arg: Any) -> None:
        self.encoder.heap = {}
        names = [n for n in self.globals if n not in HIDDEN and not n.startswith("__")]
        names = [n for n in names if not isinstance(self.globals[n], types.ModuleType)]
        encoded_globals = {n: self.encoder.encode(self.globals[n]) for n in names}
        stack = []
        for index, live in enumerate(self.stack):
            local_names = [n for n in live.f_locals if not n.startswith("__")]
            order = [n for n in live.f_code.co_varnames if n in local_names]
            order += [n for n in local_names if n not in order]
            encoded = {n: self.encoder.encode(live.f_locals[n]) for n in order}
            if event == "return" and live is frame:
                encoded["__return__"] = self.encoder.encode(arg)
                order.append("__return__")
            fid = self.frame_id(live)
            stack.append(
                {
                    "func_name": live.f_code.co_name,
                    "frame_id": fid,
                    "unique_hash": f"{live.f_code.co_name}_f{fid}",
                    "is_highlighted": index == len(self.stack) - 1,
                    "is_parent": False,
                    "is_zombie": False,
                    "parent_frame_id_list": [],
                    "encoded_locals": encoded,
                    "ordered_varnames": order,
                }
            )
        step: dict[str, Any] = {
            "line": frame.f_lineno,
            "event": "step_line" if event == "line" else event,
            "func_name": frame.f_code.co_name,
            "globals": encoded_globals,
            "ordered_globals": names,
            "stack_to_render": stack,
            "heap": {str(k): v for k, v in self.encoder.heap.items()},
            "stdout": self.stdout.getvalue(),
        }
        if event == "exception":
            step["exception_msg"] = f"{arg[0].__name__}: {arg[1]}"
        self.steps.append(step)


def trace_source(code: str, max_steps: int = 20_000) -> dict[str, Any]:
    """Run `code` traced in this process and return its trace (JSON types only)."""
    return _Tracer(code).run(max_steps)
