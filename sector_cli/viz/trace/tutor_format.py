"""Reading a trace in Python Tutor's documented format (pg_logger), as `Trace.to_tutor` gives
it: each step has `globals`, `stack_to_render` (frames with `encoded_locals`) and a `heap` of
encoded objects, values being JSON primitives, `["REF", id]` or `["SPECIAL_FLOAT", text]`;
a `sector` key adds what the format has no place for. The views drawn from such a trace
(calltree, structures) read it through these helpers."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any

Encoded = Any  # a value as Python Tutor encodes it
Heap = Mapping[Any, Any]

VALUE_NAMES = ("val", "value", "data", "key", "item", "elem", "payload", "name")
SEQUENCES = {"LIST": "list", "TUPLE": "tuple", "SET": "set"}


def is_ref(value: Encoded) -> bool:
    return isinstance(value, list) and len(value) == 2 and value[0] == "REF"


def ref_id(value: Encoded) -> int | None:
    return int(value[1]) if is_ref(value) else None


def heap_entry(heap: Heap, value: Encoded) -> list[Any] | None:
    """The heap object a `["REF", id]` points at (heap keys are strings once in JSON)."""
    if not is_ref(value):
        return None
    found = heap.get(str(value[1]), heap.get(value[1]))
    return found if isinstance(found, list) and found else None


def is_primitive(value: Encoded) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def key_of(value: Encoded) -> str:
    """A comparable identity for a primitive (1, True and "1" stay apart)."""
    return json.dumps(value, sort_keys=True)


def value_text(value: Encoded, heap: Heap, limit: int = 40) -> str:
    """A value as Python would print it (strings quoted), cut to `limit` characters."""
    text = _text(value, heap, 3, frozenset())
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip("…") + "…"


def _text(value: Encoded, heap: Heap, depth: int, seen: frozenset[Any]) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list) and value:
        tag = value[0]
        if tag == "SPECIAL_FLOAT" and len(value) > 1:
            return {"Infinity": "inf", "-Infinity": "-inf", "NaN": "nan"}.get(
                str(value[1]), str(value[1])
            )
        if tag == "IMPORTED_FAUX_PRIMITIVE" and len(value) > 1:
            return str(value[1])
        entry = heap_entry(heap, value)
        if entry is not None:
            if value[1] in seen or depth <= 0:
                return "…"
            return _entry_text(entry, heap, depth - 1, seen | {value[1]})
    return str(value)


def _entry_text(entry: list[Any], heap: Heap, depth: int, seen: frozenset[Any]) -> str:
    tag = entry[0]

    def inner(items: Sequence[Encoded]) -> str:
        shown = [_text(item, heap, depth, seen) for item in items[:12]]
        return ", ".join(shown + (["…"] if len(items) > 12 else []))

    if tag == "LIST":
        return f"[{inner(entry[1:])}]"
    if tag == "TUPLE":
        return f"({inner(entry[1:])}{',' if len(entry) == 2 else ''})"
    if tag == "SET":
        return f"{{{inner(entry[1:])}}}" if len(entry) > 1 else "set()"
    if tag == "DICT":
        pairs = [p for p in entry[1:] if isinstance(p, list) and len(p) == 2]
        shown = [f"{_text(k, heap, depth, seen)}: {_text(v, heap, depth, seen)}" for k, v in pairs]
        return "{" + ", ".join(shown[:12] + (["…"] if len(shown) > 12 else [])) + "}"
    if tag in ("INSTANCE", "INSTANCE_PPRINT"):
        name, pprint, attrs = instance_parts(entry)
        if pprint and not pprint.startswith("<"):
            return pprint
        first = [k for k in VALUE_NAMES if k in attrs]
        order = first + [k for k in attrs if k not in first]
        fields = [f"{k}={_attr_text(attrs[k], heap, depth, seen)}" for k in order[:6]]
        return f"{name}({', '.join(fields + (['…'] if len(order) > 6 else []))})"
    if tag == "CLASS" and len(entry) > 1:
        return f"class {entry[1]}"
    if tag == "FUNCTION" and len(entry) > 1:
        return f"function {entry[1]}"
    if tag == "module" and len(entry) > 1:
        return f"module {entry[1]}"
    if tag == "HEAP_PRIMITIVE" and len(entry) > 2:
        return _text(entry[2], heap, depth, seen)
    return str(entry[1]) if len(entry) > 1 else str(tag)


def _attr_text(value: Encoded, heap: Heap, depth: int, seen: frozenset[Any]) -> str:
    """An attribute's value; another object in it is only named (`Node(…)`)."""
    entry = heap_entry(heap, value)
    if entry is not None and entry[0] in ("INSTANCE", "INSTANCE_PPRINT"):
        return f"{instance_parts(entry)[0]}(…)"
    return _text(value, heap, depth, seen)


def instance_parts(entry: list[Any]) -> tuple[str, str | None, dict[str, Encoded]]:
    """An INSTANCE's class name, its printed form (INSTANCE_PPRINT) and its attributes."""
    name = str(entry[1]) if len(entry) > 1 else "object"
    pprint = str(entry[2]) if entry[0] == "INSTANCE_PPRINT" and len(entry) > 2 else None
    rest = entry[3:] if entry[0] == "INSTANCE_PPRINT" else entry[2:]
    attrs = {str(p[0]): p[1] for p in rest if isinstance(p, list) and len(p) == 2}
    return name, pprint, attrs


def sequence_items(entry: list[Any]) -> tuple[str, list[Encoded]] | None:
    """The type and items of a list, tuple, set or deque (printed as `deque([...])`)."""
    if entry[0] in SEQUENCES:
        return SEQUENCES[entry[0]], list(entry[1:])
    printed = None
    if entry[0] == "INSTANCE_PPRINT" and len(entry) > 2 and entry[1] == "deque":
        printed = str(entry[2])
    elif entry[0] == "deque" and len(entry) > 1:
        printed = str(entry[1])
    if printed is not None and "[" in printed:
        try:
            items = ast.literal_eval(printed[printed.index("[") : printed.rindex("]") + 1])
        except (ValueError, SyntaxError):
            return None
        if isinstance(items, list) and all(is_primitive(item) for item in items):
            return "deque", items
    return None


# The steps -------------------------------------------------------------------------------


def run_of(trace: Mapping[str, Any]) -> int | None:
    """The recorded run a trace comes from (Sector's addition to the format), if any."""
    extra = trace.get("sector")
    run = extra.get("run") if isinstance(extra, Mapping) else None
    return run if isinstance(run, int) else None


def stop_message(trace: Mapping[str, Any]) -> str | None:
    """Why the tracer stopped early (Sector's addition to the format), if it did."""
    extra = trace.get("sector")
    if not isinstance(extra, Mapping) or not extra.get("stopped"):
        return None
    return str(extra.get("message") or extra.get("stopped"))


def live_frames(step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    frames = step.get("stack_to_render") or []
    return [f for f in frames if isinstance(f, Mapping) and not f.get("is_zombie")]


def current_frame(step: Mapping[str, Any]) -> Mapping[str, Any] | None:
    frames = live_frames(step)
    highlighted = [f for f in frames if f.get("is_highlighted")]
    if highlighted:
        return highlighted[0]
    return max(frames, key=lambda f: f.get("frame_id", 0)) if frames else None
