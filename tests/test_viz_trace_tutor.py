"""The --json export against what Python Tutor's pg_logger gives for the same program, one
class of difference per test: each program is traced in the real local sandbox and its steps
checked against pg_logger's documented behaviour (v5-unity pg_logger.py / pg_encoder.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sector_cli.viz.trace import Navigator, Trace, tracer_script
from tests.tutor_trace import frame, heap_of, steps_of, write


def trace_here(tmp_path: Path, code: str, max_steps: int = 1000) -> Trace:
    program = write(tmp_path, "p.py", code)
    command = [sys.executable, tracer_script.__file__, str(max_steps), "10", str(program)]
    data = subprocess.run(command, capture_output=True, timeout=20, check=False).stdout
    return Trace(data, code, "p.py")


def texts(step: dict[str, Any], tag: str = "INSTANCE_PPRINT") -> list[str]:
    return [enc[2] for enc in step["heap"].values() if enc[0] == tag]


def test_a_class_statement_is_one_step(traced) -> None:
    document = traced(
        "def helper():\n"
        "    return 2\n"
        "class Box:\n"
        "    size = helper()\n"
        "    def get(self):\n"
        "        return self.size\n"
        "b = Box()\n"
        "n = b.get()\n"
    )
    steps = steps_of(document)
    assert [s["line"] for s in steps if s["event"] == "step_line"] == [1, 3, 7, 8, 6]
    assert not any(s["func_name"] in ("Box", "helper") for s in steps)
    call = next(s for s in steps if s["event"] == "call")
    assert frame(call, "get")["frame_id"] == 1  # the class body took no frame id
    assert heap_of(steps[-1], steps[-1]["globals"]["Box"])[3][0] == "get"


def test_an_uncaught_exception_is_reported_once_and_returns_none(traced) -> None:
    document = traced("def f(x):\n    return 1 // x\n\nf(0)\n")
    steps = steps_of(document)
    assert [s["event"] for s in steps][-3:] == ["exception", "return", "exception"]
    assert steps[-1]["event"] == "exception" and steps[-1]["func_name"] == "<module>"
    assert steps[-1]["exception_msg"] == "ZeroDivisionError: integer division or modulo by zero"
    assert not any(s["event"] == "uncaught_exception" for s in steps)
    leaving = next(s for s in steps if s["event"] == "return")
    assert frame(leaving, "f")["encoded_locals"]["__return__"] is None
    assert frame(leaving, "f")["ordered_varnames"] == ["x", "__return__"]


def test_lambdas_are_named_by_their_line(traced) -> None:
    document = traced(
        "square = lambda x: x * x\nn = square(3)\ns = sorted([3, 1], key=lambda v: -v)\n"
    )
    steps = steps_of(document)
    first = next(s for s in steps if "square" in s["globals"])
    assert heap_of(first, first["globals"]["square"]) == ["FUNCTION", "<lambda>(x) <line 1>", None]
    calls = [s for s in steps if s["event"] == "call"]
    named = calls[0]["stack_to_render"][0]
    assert named["func_name"] == "<lambda> <line 1>"
    assert named["unique_hash"] == "<lambda> <line 1>_f1"
    # a lambda never drawn (only passed to sorted) keeps the bare name, as in pg_logger
    assert calls[1]["stack_to_render"][0]["func_name"] == "<lambda>"


def test_function_objects_carry_their_default_values(traced) -> None:
    document = traced("def f(a, b=2, *args, c=[1], d, **kw):\n    c.append(a)\nf(5, d=0)\ng = f\n")
    last = steps_of(document)[-1]
    function = heap_of(last, last["globals"]["f"])
    assert function[:3] == ["FUNCTION", "f(a, b, *args, c, d, **kw)", None]
    assert [name for name, _ in function[3]] == ["b", "c"]
    assert function[3][0][1] == 2
    assert heap_of(last, function[3][1][1]) == ["LIST", 1, 5]  # the default, as it changed


def test_str_is_shown_guarded_and_without_addresses(traced) -> None:
    document = traced(
        "from collections import defaultdict\n"
        "class Money:\n"
        "    def __init__(self, cents):\n"
        "        self.cents = cents\n"
        "    def __str__(self):\n"
        "        print('side effect')\n"
        "        return f'${self.cents / 100:.2f}'\n"
        "class Broken:\n"
        "    def __str__(self):\n"
        "        raise ValueError('no')\n"
        "class Stuck:\n"
        "    def __str__(self):\n"
        "        while True:\n"
        "            pass\n"
        "m = Money(150)\n"
        "m.cents = 275\n"
        "b, s = Broken(), Stuck()\n"
        "counts = defaultdict(lambda: 0)\n"
        "counts['a'] += 1\n"
        "done = True\n"
    )
    steps = steps_of(document)
    last = steps[-1]
    assert heap_of(last, last["globals"]["m"]) == [
        "INSTANCE_PPRINT",
        "Money",
        "$2.75",
        ["cents", 275],
    ]
    assert "$1.50" in texts(next(s for s in steps if s["line"] == 16))
    assert heap_of(last, last["globals"]["b"]) == ["INSTANCE", "Broken"]
    assert heap_of(last, last["globals"]["s"]) == ["INSTANCE", "Stuck"]  # stopped, not hung
    assert heap_of(last, last["globals"]["counts"])[2] == (
        "defaultdict(<function <lambda>>, {'a': 1})"
    )
    assert last["stdout"] == ""  # the tracer's own str() calls print nothing
    assert not any("0x" in text for step in steps for text in texts(step))


def test_imported_objects_are_faux_primitives(traced) -> None:
    document = traced(
        "from collections import Counter\n"
        "from os.path import join\n"
        "import math\n"
        "c = Counter('abca')\n"
    )
    last = steps_of(document)[-1]
    assert last["globals"]["Counter"] == ["IMPORTED_FAUX_PRIMITIVE", "imported class"]
    assert last["globals"]["join"] == ["IMPORTED_FAUX_PRIMITIVE", "imported object"]
    assert heap_of(last, last["globals"]["math"]) == ["INSTANCE", "module"]
    assert heap_of(last, last["globals"]["c"]) == [
        "INSTANCE_PPRINT",
        "Counter",
        "Counter({'a': 2, 'b': 1, 'c': 1})",
    ]
    assert len(last["heap"]) == 2  # no class with its 40 methods


def test_dict_and_list_subclasses_show_what_they_hold_as_they_fill(traced) -> None:
    document = traced(
        "from collections import Counter, OrderedDict, defaultdict, deque\n"
        "class Row(dict):\n"
        "    pass\n"
        "class Stack(list):\n"
        "    pass\n"
        "groups, seen, order = defaultdict(list), Counter(), OrderedDict()\n"
        "row, stack = Row(), Stack()\n"
        "for word in ['to', 'be', 'to']:\n"
        "    groups[word[0]].append(word)\n"
        "    seen[word] += 1\n"
        "    order[word] = len(order)\n"
        "    row[word] = True\n"
        "    stack.append(word)\n"
        "end = 0\n"
    )
    steps = steps_of(document)
    last = steps[-1]

    def text(step: dict[str, Any], name: str) -> str:
        return str(heap_of(step, step["globals"][name])[2])

    assert text(last, "groups") == "defaultdict(<class 'list'>, {'t': ['to', 'to'], 'b': ['be']})"
    assert text(last, "seen") == "Counter({'to': 2, 'be': 1})"
    assert text(last, "order") == "OrderedDict([('to', 2), ('be', 1)])"
    assert text(last, "row") == "{'to': True, 'be': True}"
    assert text(last, "stack") == "['to', 'be', 'to']"
    middle = next(s for s in steps if s["line"] == 13 and s["globals"].get("word") == "be")
    assert (
        text(middle, "stack") == "['to']" and text(middle, "seen") == "Counter({'to': 1, 'be': 1})"
    )


def test_names_made_by_exec_are_in_the_next_step(traced) -> None:
    steps = steps_of(traced("exec('made = 5')\nseen = made\n"))
    assert next(s for s in steps if s["line"] == 2)["globals"]["made"] == 5


def test_floats_as_python_tutor_rounds_and_spells_them(traced) -> None:
    last = steps_of(traced("v = [1 / 3, 2.5, 3.0, 1e-05, float('inf'), -float('inf')]\nend = 0\n"))[
        -1
    ]
    assert heap_of(last, last["globals"]["v"])[1:] == [
        0.3333,
        2.5,
        ["SPECIAL_FLOAT", "3.0"],
        0.0,
        ["SPECIAL_FLOAT", "Infinity"],
        ["SPECIAL_FLOAT", "-Infinity"],
    ]


def test_break_comments_keep_only_those_lines(traced) -> None:
    document = traced(
        "total = 0\nfor i in range(3):\n    total += i  #break\n#break\nend = total\n"
    )
    steps = steps_of(document)
    # each #break line, and the step after it (pg_logger's rule)
    assert [(s["line"], s["globals"].get("total")) for s in steps] == [
        (3, 0), (2, 0), (3, 0), (2, 1), (3, 1), (2, 3),
    ]  # fmt: skip


def test_hide_comments_hide_names_attributes_and_types(traced) -> None:
    document = traced(
        "#pythontutor_hide: secret, _*\n"
        "#pythontutor_hide_type: list\n"
        "class Account:\n"
        "    def __init__(self):\n"
        "        self.owner = 'ada'\n"
        "        self._pin = 1234\n"
        "secret = 42\n"
        "_scratch = 1\n"
        "a = Account()\n"
        "items = [1, 2]\n"
        "end = 0\n"
    )
    last = steps_of(document)[-1]
    assert set(last["ordered_globals"]) == {"Account", "a", "items", "end"}
    assert heap_of(last, last["globals"]["a"]) == ["INSTANCE", "Account", ["owner", "ada"]]
    assert last["globals"]["items"] == ["IMPORTED_FAUX_PRIMITIVE", "list instance (hidden)"]
    init = next(s for s in steps_of(document) if s["func_name"] == "__init__")
    assert "self" in frame(init, "__init__")["encoded_locals"]


def test_past_the_budget_the_last_step_keeps_its_own_output(
    sector, workdir, local_runner, monkeypatch
):
    monkeypatch.setenv("SECTOR_VIZ_MAX_STEPS", "30")
    write(workdir, "loud.py", "for i in range(5000):\n    print('line', i)\n")
    result = sector("run", "loud.py", "--trace", "-r", "local")
    assert result.exit_code == 0 and result.stdout.count("\n") == 5000  # the run printed all
    document = json.loads(sector("viz", "trace", "1", "--json").stdout)
    steps = steps_of(document)
    printed = [s["stdout"].count("\n") for s in steps]
    assert printed[-2] <= 16 and printed == sorted(printed)  # not the 5000 lines after
    view = sector("viz", "trace", "1", "--step", str(len(steps) - 1))
    assert "line 4999" not in view.stdout


def test_a_syntax_error_gives_a_one_step_trace_under_json(sector, workdir) -> None:
    write(workdir, "bad.py", "x = 1\n  y = 2\n")
    result = sector("viz", "trace", "bad.py", "--json")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    document = json.loads(result.stdout)
    try:
        compile("x = 1\n  y = 2\n", "bad.py", "exec")
    except SyntaxError as error:  # the column as this CPython counts it
        offset = error.offset
    assert document["trace"] == [
        {
            "event": "uncaught_exception",
            "line": 2,
            "offset": offset,
            "exception_msg": "IndentationError: unexpected indent (bad.py, line 2)",
        }
    ]
    assert sector("runs", "ls", "--json").stdout.strip() == "[]"  # nothing ran


def test_a_hostile_getattribute_does_not_stop_the_tracer(traced) -> None:
    document = traced(
        "class Hostile:\n"
        "    __slots__ = ('a',)\n"
        "    def __getattribute__(self, name):\n"
        "        raise RuntimeError('no ' + name)\n"
        "    @property\n"
        "    def __class__(self):\n"
        "        raise RuntimeError('no class')\n"
        "class Liar:\n"
        "    def __getattribute__(self, name):\n"
        "        return 'lie'\n"
        "h = Hostile()\n"
        "object.__setattr__(h, 'a', 1)\n"
        "l = Liar()\n"
        "l.x = 5\n"
        "things = [h, l]\n"
        "for i in range(3):\n"
        "    things.append(i)\n"
        "end = len(things)\n"
    )
    assert document["sector"]["stopped"] is None
    last = steps_of(document)[-1]
    assert last["globals"]["end"] == 5 and last["line"] == 18
    assert heap_of(last, last["globals"]["h"]) == ["INSTANCE", "Hostile", ["a", 1]]
    assert heap_of(last, last["globals"]["l"]) == ["INSTANCE", "Liar", ["x", 5]]


def test_a_forked_child_leaves_the_parent_trace_alone(traced) -> None:
    document = traced(
        "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    child = 'child'\n"
        "    print('from the child')\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "parent = 'parent'\n"
    )
    steps = steps_of(document)
    assert {s["line"] for s in steps} == {1, 2, 3, 7, 8}
    assert not any("child" in s["globals"] for s in steps)
    assert steps[-1]["globals"]["parent"] == "parent" and document["sector"]["stopped"] is None


def test_the_tracer_is_not_in_a_learner_traceback(sector, workdir, local_runner) -> None:
    write(workdir, "ask.py", "name = input('name? ')\n")
    result = sector("run", "ask.py", "--trace", "-r", "local")
    assert result.exit_code == 1 and "EOFError" in result.stderr
    assert "sector_tracer" not in result.stderr and 'ask.py", line 1' in result.stderr


def test_a_breakpoint_stops_once_per_run_of_its_line(tmp_path) -> None:
    found = trace_here(tmp_path, "def f(x):\n    return x\n\nfor i in range(3):\n    f(i)\n")
    navigator = Navigator(found)
    navigator.command("b 2")
    stops = []
    while navigator.command("e") != "at the end":
        stops.append((navigator.index, found.step(navigator.index).event))
    assert [event for _, event in stops] == ["step_line"] * 3
    assert found.find_line(2, 0) == stops[0][0]
