"""What the trace tests share: Python Tutor's trace format (pg_logger) as documented, checked
on every export, and the `traced` fixture that traces a program in the real local sandbox
(registered for the whole suite in tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# Python Tutor's trace format (pg_logger), as documented ----------------------------------

EVENTS = {
    "step_line",
    "call",
    "return",
    "exception",
    "uncaught_exception",
    "instruction_limit_reached",
}
STEP_KEYS = {
    "line",
    "event",
    "func_name",
    "globals",
    "ordered_globals",
    "stack_to_render",
    "heap",
    "stdout",
}
FRAME_KEYS = {
    "func_name",
    "frame_id",
    "unique_hash",
    "is_highlighted",
    "is_parent",
    "is_zombie",
    "parent_frame_id_list",
    "encoded_locals",
    "ordered_varnames",
}


def check_value(value: Any, heap: dict[str, Any], where: str) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        assert value == value and value not in (float("inf"), float("-inf")), where
        assert value == round(value, 4), f"{where}: floats are rounded to 4 decimals"
        return
    assert isinstance(value, list) and len(value) == 2, f"{where}: {value!r}"
    if value[0] == "REF":
        assert isinstance(value[1], int) and str(value[1]) in heap, f"{where}: dangling {value}"
    elif value[0] == "IMPORTED_FAUX_PRIMITIVE":
        assert isinstance(value[1], str), where
    else:
        assert value[0] == "SPECIAL_FLOAT" and isinstance(value[1], str), f"{where}: {value!r}"


def check_pairs(pairs: list[Any], heap: dict[str, Any], where: str, names: bool) -> None:
    for pair in pairs:
        assert isinstance(pair, list) and len(pair) == 2, f"{where}: {pair!r}"
        if names:
            assert isinstance(pair[0], str), where
        else:
            check_value(pair[0], heap, where)
        check_value(pair[1], heap, where)


def check_object(encoding: Any, heap: dict[str, Any], where: str) -> None:
    assert isinstance(encoding, list) and encoding and isinstance(encoding[0], str), where
    tag = encoding[0]
    if tag in ("LIST", "TUPLE", "SET"):
        for item in encoding[1:]:
            check_value(item, heap, where)
    elif tag == "DICT":
        check_pairs(encoding[1:], heap, where, names=False)
    elif tag == "INSTANCE":
        assert isinstance(encoding[1], str), where
        check_pairs(encoding[2:], heap, where, names=True)
    elif tag == "CLASS":
        assert isinstance(encoding[1], str) and isinstance(encoding[2], list), where
        assert all(isinstance(base, str) for base in encoding[2]), where
        check_pairs(encoding[3:], heap, where, names=True)
    elif tag == "FUNCTION":
        assert len(encoding) in (3, 4) and isinstance(encoding[1], str), where
        assert encoding[2] is None or isinstance(encoding[2], int), where
        check_pairs(encoding[3] if len(encoding) == 4 else [], heap, where, names=True)
    elif tag == "INSTANCE_PPRINT":
        assert all(isinstance(x, str) for x in encoding[1:3]), where
        check_pairs(encoding[3:], heap, where, names=True)
    elif tag == "module":
        assert len(encoding) == 2 and isinstance(encoding[1], str), where
    else:
        raise AssertionError(f"{where}: unknown heap encoding {tag}")


def validate_tutor(document: dict[str, Any]) -> None:
    """Python Tutor's documented trace structure: every key, event, encoding and REF."""
    assert isinstance(document["code"], str) and isinstance(document["trace"], list)
    for number, step in enumerate(document["trace"]):
        where = f"step {number}"
        assert not STEP_KEYS - set(step), f"{where}: missing {STEP_KEYS - set(step)}"
        assert step["event"] in EVENTS, where
        assert isinstance(step["line"], int) and isinstance(step["func_name"], str), where
        assert isinstance(step["stdout"], str), where
        if step["event"] in ("exception", "uncaught_exception", "instruction_limit_reached"):
            assert isinstance(step["exception_msg"], str), where
        heap = step["heap"]
        assert all(key.isdigit() for key in heap), where
        for key, encoding in heap.items():
            check_object(encoding, heap, f"{where} heap {key}")
        assert sorted(step["ordered_globals"]) == sorted(step["globals"]), where
        for name, value in step["globals"].items():
            check_value(value, heap, f"{where} global {name}")
        ids = [frame["frame_id"] for frame in step["stack_to_render"]]
        assert ids == sorted(set(ids)), f"{where}: frames sorted by id, once each"
        highlighted = [f for f in step["stack_to_render"] if f["is_highlighted"]]
        assert len(highlighted) <= 1, where
        for frame in step["stack_to_render"]:
            assert set(frame) == FRAME_KEYS, f"{where}: {set(frame) ^ FRAME_KEYS}"
            assert isinstance(frame["unique_hash"], str) and frame["unique_hash"]
            assert all(isinstance(p, int) for p in frame["parent_frame_id_list"]), where
            assert sorted(frame["ordered_varnames"]) == sorted(frame["encoded_locals"]), where
            if "__return__" in frame["encoded_locals"]:
                assert frame["ordered_varnames"][-1] == "__return__", where
            for name, value in frame["encoded_locals"].items():
                check_value(value, heap, f"{where} {frame['func_name']}.{name}")


# Running traces -----------------------------------------------------------------------------


def write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(code)
    return path


@pytest.fixture
def traced(sector, workdir, local_runner):
    """Trace a program in the local sandbox; its Python Tutor JSON, validated."""

    def run(code: str, *options: str) -> dict[str, Any]:
        write(workdir, "prog.py", code)
        result = sector("viz", "trace", "prog.py", "-r", "local", "--json", *options)
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        validate_tutor(document)
        return document

    return run


def steps_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["trace"]


def heap_of(step: dict[str, Any], value: list[Any]) -> list[Any]:
    assert value[0] == "REF"
    return step["heap"][str(value[1])]


def frame(step: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in step["stack_to_render"] if f["func_name"] == name)
