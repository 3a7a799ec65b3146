"""Execution traces: the tracer in the real sandbox, checked step by step on programs whose
behaviour is known, the export checked against Python Tutor's documented format, the views
(terminal, SVG, HTML) parsed, and `sector run --trace` stored and read back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sector_cli.viz.trace import Navigator, Trace, build_view, render_svg, tracer_script
from tests.conftest import TEST_IMAGE
from tests.tutor_trace import frame, heap_of, steps_of, validate_tutor, write


def test_recursion_frames_and_return_values(traced) -> None:
    document = traced(
        "def fact(n):\n"
        "    if n <= 1:\n"
        "        return 1\n"
        "    return n * fact(n - 1)\n"
        "\n"
        "result = fact(4)\n"
    )
    steps = steps_of(document)
    calls = [s for s in steps if s["event"] == "call"]
    assert frame(calls[0], "fact")["encoded_locals"] == {"n": 4}
    assert len(calls) == 4
    deepest = max(steps, key=lambda s: len(s["stack_to_render"]))
    ns = [f["encoded_locals"]["n"] for f in deepest["stack_to_render"]]
    assert ns == [4, 3, 2, 1]
    assert deepest["stack_to_render"][-1]["is_highlighted"]
    returns = [s for s in steps if s["event"] == "return" and s["func_name"] == "fact"]
    values = [s["stack_to_render"][-1]["encoded_locals"]["__return__"] for s in returns]
    assert values == [1, 2, 6, 24]
    assert steps[-1]["globals"]["result"] == 24
    assert [s["line"] for s in steps[:3]] == [1, 6, 1]  # def, call line, then into fact
    assert steps[2]["event"] == "call"


def test_closures_keep_their_parent_frame(traced) -> None:
    document = traced(
        "def counter():\n"
        "    n = 0\n"
        "    def inc():\n"
        "        nonlocal n\n"
        "        n += 1\n"
        "        return n\n"
        "    return inc\n"
        "\n"
        "c = counter()\n"
        "c()\n"
        "c()\n"
    )
    steps = steps_of(document)
    last = steps[-1]
    function = heap_of(last, last["globals"]["c"])
    parent = frame(last, "counter")
    assert function == ["FUNCTION", "inc()", parent["frame_id"]]
    assert parent["is_zombie"] and parent["is_parent"]
    assert parent["unique_hash"].endswith("_p_z")
    assert parent["encoded_locals"]["n"] == 2  # the cell, updated by the closure
    inc_frames = [frame(s, "inc") for s in steps if s["func_name"] == "inc"]
    assert all(f["parent_frame_id_list"] == [parent["frame_id"]] for f in inc_frames)
    assert all("n" not in f["encoded_locals"] for f in inc_frames)  # shown in its parent


def test_aliasing_two_names_one_list(traced) -> None:
    document = traced("a = [1, 2]\nb = a\nb.append(3)\nc = [1, 2, 3]\nprint(a)\n")
    last = steps_of(document)[-1]
    a, b, c = (last["globals"][name] for name in "abc")
    assert a == b and a != c
    assert heap_of(last, a) == ["LIST", 1, 2, 3] == heap_of(last, c)
    after_append = steps_of(document)[3]
    assert after_append["line"] == 4 and heap_of(after_append, a) == ["LIST", 1, 2, 3]
    assert heap_of(steps_of(document)[2], a) == ["LIST", 1, 2]


def test_caught_exception_then_an_uncaught_one(traced) -> None:
    document = traced(
        "def risky(x):\n"
        "    return 10 // x\n"
        "\n"
        "try:\n"
        "    risky(0)\n"
        "except ZeroDivisionError as error:\n"
        "    message = str(error)\n"
        "items = []\n"
        "items[3]\n"
    )
    steps = steps_of(document)
    raised = [s for s in steps if s["event"] == "exception"]
    assert raised[0]["exception_msg"] == "ZeroDivisionError: integer division or modulo by zero"
    assert raised[0]["func_name"] == "risky" and raised[0]["line"] == 2
    assert raised[1]["func_name"] == "<module>" and raised[1]["line"] == 5
    leaving = next(s for s in steps if s["event"] == "return" and s["func_name"] == "risky")
    assert frame(leaving, "risky")["encoded_locals"]["__return__"] is None  # as pg_logger
    assert any(s["globals"].get("message") == "integer division or modulo by zero" for s in steps)
    last = steps[-1]  # pg_logger's last step: the exception, not one more uncaught_exception
    assert last["event"] == "exception" and last["line"] == 9
    assert last["exception_msg"] == "IndexError: list index out of range"
    assert not any(s["event"] == "uncaught_exception" for s in steps)


def test_generators_resume_the_same_frame(traced) -> None:
    document = traced(
        "def countdown(n):\n"
        "    while n > 0:\n"
        "        yield n\n"
        "        n -= 1\n"
        "\n"
        "got = []\n"
        "for value in countdown(3):\n"
        "    got.append(value)\n"
    )
    steps = steps_of(document)
    calls = [frame(s, "countdown") for s in steps if s["event"] == "call"]
    assert len(calls) == 4 and len({f["frame_id"] for f in calls}) == 1
    assert [f["encoded_locals"]["n"] for f in calls] == [3, 3, 2, 1]
    yields = [s for s in steps if s["event"] == "return" and s["func_name"] == "countdown"]
    returned = [frame(s, "countdown")["encoded_locals"]["__return__"] for s in yields]
    assert returned == [3, 2, 1, None]
    assert heap_of(steps[-1], steps[-1]["globals"]["got"]) == ["LIST", 3, 2, 1]
    assert not any(s["event"] == "exception" for s in steps)  # the loop's StopIteration


def test_classes_and_instances(traced) -> None:
    document = traced(
        "class Point:\n"
        "    def __init__(self, x, y):\n"
        "        self.x = x\n"
        "        self.y = y\n"
        "\n"
        "class Labelled(Point):\n"
        "    pass\n"
        "\n"
        "p = Labelled(1, 2.5)\n"
        "p.x = 10\n"
        "q = p\n"
    )
    last = steps_of(document)[-1]
    point = heap_of(last, last["globals"]["Point"])
    assert point[:2] == ["CLASS", "Point"] and point[2] == []
    assert point[3][0] == "__init__" and heap_of(last, point[3][1])[:2] == [
        "FUNCTION",
        "__init__(self, x, y)",
    ]
    assert heap_of(last, last["globals"]["Labelled"])[:3] == ["CLASS", "Labelled", ["Point"]]
    assert heap_of(last, last["globals"]["p"]) == ["INSTANCE", "Labelled", ["x", 10], ["y", 2.5]]
    assert last["globals"]["q"] == last["globals"]["p"]
    init = next(s for s in steps_of(document) if s["func_name"] == "__init__")
    assert heap_of(init, frame(init, "__init__")["encoded_locals"]["self"])[:2] == [
        "INSTANCE",
        "Labelled",
    ]


def test_values_of_every_kind_are_encoded(traced) -> None:
    document = traced(
        "import math\n"
        "from collections import deque\n"
        "values = [1.0, float('inf'), -math.inf, 0.5, None, True, 'é\"\\n', (1, [2]), {3}]\n"
        "table = {'k': values, (1, 2): 'tuple key'}\n"
        "queue = deque([1, 2])\n"
        "queue.append(3)\n"
        "done = 1\n"
    )
    last = steps_of(document)[-1]
    values = heap_of(last, last["globals"]["values"])
    assert values[1:8] == [
        ["SPECIAL_FLOAT", "1.0"],
        ["SPECIAL_FLOAT", "Infinity"],
        ["SPECIAL_FLOAT", "-Infinity"],
        0.5,
        None,
        True,
        'é"\n',
    ]
    assert heap_of(last, values[8])[0] == "TUPLE" and heap_of(last, values[9]) == ["SET", 3]
    table = heap_of(last, last["globals"]["table"])
    assert table[1] == ["k", last["globals"]["values"]]
    assert heap_of(last, table[2][0]) == ["TUPLE", 1, 2]
    assert heap_of(last, last["globals"]["math"]) == ["INSTANCE", "module"]  # pg_encoder's
    assert heap_of(last, last["globals"]["queue"]) == [
        "INSTANCE_PPRINT",
        "deque",
        "deque([1, 2, 3])",
    ]


def test_stdout_so_far(traced) -> None:
    document = traced("print('one')\nx = 1\nprint('two', end='')\nprint('!')\ny = 2\n")
    by_line = {s["line"]: s["stdout"] for s in steps_of(document) if s["event"] == "step_line"}
    assert by_line == {1: "", 2: "one\n", 3: "one\n", 4: "one\ntwo", 5: "one\ntwo!\n"}


def test_a_program_that_never_ends_is_traced_to_its_time_limit(sector, workdir, local_runner):
    write(
        workdir,
        "forever.py",
        "import time\nn = 0\nwhile True:\n    n += 1\n    time.sleep(0.002)\n",
    )
    result = sector("run", "forever.py", "--trace", "-r", "local", "-t", "2")
    assert result.exit_code == 124, result.output
    assert "time-limit" in result.stderr and "cut: time" in result.stderr
    document = json.loads(sector("viz", "trace", "1", "--json").stdout)
    validate_tutor(document)
    steps = steps_of(document)
    assert len(steps) > 100 and document["sector"]["stopped"] == "time"
    assert steps[-1]["event"] == "instruction_limit_reached"
    assert "time limit" in steps[-1]["exception_msg"]
    assert {s["line"] for s in steps[2:-1]} == {3, 4, 5}
    n = [s["globals"]["n"] for s in steps[2:-1] if s["line"] == 3]
    assert n == list(range(len(n)))


def test_a_busy_loop_is_traced_to_its_time_limit(tmp_path) -> None:
    found = trace_here(tmp_path, "n = 0\nwhile True:\n    n += 1\n", 10**8, wall=1)
    assert found.stopped == "time" and not found.finished and len(found) > 10_000
    last = found.state(len(found) - 1)
    assert abs(last.globals["n"] - len(found) // 2) <= 1


def test_past_the_step_budget_the_tracer_counts(sector, workdir, local_runner, monkeypatch):
    monkeypatch.setenv("SECTOR_VIZ_MAX_STEPS", "50")
    write(
        workdir,
        "loop.py",
        "def square(x):\n    return x * x\n\ntotal = 0\nfor i in range(1000):\n"
        "    total += square(i)\nprint(total)\n",
    )
    result = sector("run", "loop.py", "--trace", "-r", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout == "332833500\n"
    assert "50 steps, then counts" in result.stderr
    document = json.loads(sector("viz", "trace", "1", "--json").stdout)
    validate_tutor(document)
    assert len(steps_of(document)) == 51  # 50 steps, then instruction_limit_reached
    info = document["sector"]
    assert info["stopped"] == "steps" and "50 steps" in info["message"]
    assert sector("viz", "trace", "1").stdout.count("50 steps") == 1
    assert info["line_counts"]["6"] == 1000 and info["line_counts"]["2"] == 1000
    assert info["call_counts"] == {"square": 1000}
    assert "line 6" in sector("viz", "trace", "1").stdout  # the counts, in the terminal too


def test_syntax_errors_give_one_line_and_exit_2(sector, workdir) -> None:
    write(workdir, "bad.py", "x = 1\ndef f(:\n    pass\n")
    for command in (["viz", "trace", "bad.py"], ["run", "bad.py", "--trace", "-r", "local"]):
        result = sector(*command)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "bad.py:2" in lines[0] and "SyntaxError" in lines[0]
    assert sector("runs", "ls", "--json").stdout.strip() == "[]"  # nothing ran


def test_tracing_other_languages_and_missing_targets_are_usage_errors(sector, workdir) -> None:
    write(workdir, "x.c", "int main(void) { return 0; }\n")
    assert sector("run", "x.c", "--trace").exit_code == 2
    assert sector("viz", "trace", "x.c").exit_code == 2
    missing = sector("viz", "trace", "nothere.py")
    assert missing.exit_code == 2 and "no file or run" in missing.stderr
    assert sector("viz", "trace", "42").exit_code == 2


@pytest.fixture
def runner_name(runner, monkeypatch) -> str:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", f"*={TEST_IMAGE}")
    return str(runner.name)


def test_run_trace_is_stored_and_read_back(sector, workdir, runner_name) -> None:
    write(workdir, "greet.py", "import sys\nname = input('name? ')\nprint('hi', name)\n"
          "print('careful', file=sys.stderr)\n")  # fmt: skip
    result = sector("run", "greet.py", "--trace", "-r", runner_name, input="Ada\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "name? hi Ada\n"  # as without --trace
    assert "careful" in result.stderr and "`sector viz trace 1`" in result.stderr
    shown = json.loads(sector("runs", "show", "1", "--json").stdout)
    assert shown["verdict"] == "accepted" and shown["stdin"] == "Ada\n"
    document = json.loads(sector("viz", "trace", "1", "--json").stdout)
    validate_tutor(document)
    assert document["code"].startswith("import sys")
    last = steps_of(document)[-1]
    assert last["globals"]["name"] == "Ada"
    assert last["stdout"] == "name? Ada\nhi Ada\n"  # with the echo of the input
    assert (
        sector("viz", "trace", "#1", "--json").stdout
        == sector("viz", "trace", "1", "--json").stdout
    )
    replay = sector("runs", "replay", "1")  # the same input again; the program's output
    assert replay.exit_code == 0, replay.output
    assert replay.stdout.startswith("name? hi Ada\n") and "same output" in replay.stdout
    sector("run", "greet.py", "-r", runner_name, input="Bo\n")
    untraced = sector("viz", "trace", "3")
    assert untraced.exit_code == 2 and "has no trace" in untraced.stderr


def test_step_view_in_the_terminal(sector, workdir, local_runner) -> None:
    write(workdir, "s.py", "a = [1, 2]\nb = a\nb.append(3)\n")
    result = sector("viz", "trace", "s.py", "-r", "local", "--step", "3")
    assert result.exit_code == 0, result.output
    assert "step 3 of 4" in result.stdout and "→   3  b.append(3)" in result.stdout
    assert result.stdout.count("→ #1") == 2 and "#1 list  [1, 2]" in result.stdout
    assert sector("viz", "trace", "1", "--step", "9").exit_code == 2


def test_stepping_with_keys_in_a_terminal(sector, workdir, local_runner) -> None:
    from tests.test_runs import read_until, spawn_in_terminal

    write(workdir, "keys.py", "total = 0\nfor i in range(3):\n    total += i\nprint(total)\n")
    assert sector("run", "keys.py", "--trace", "-r", "local").exit_code == 0
    pid, fd = spawn_in_terminal(["viz", "trace", "1"], workdir)

    def press(keys: bytes, shows: bytes, status: bytes = b"q quit") -> bytes:
        """Type keys; the screen drawn, up to its status line, must show `shows`."""
        os.write(fd, keys)
        screen = read_until(fd, status)
        assert shows in screen, screen[-300:]
        return screen

    read_until(fd, b"q quit")
    press(b"n", b"step 2 of 10")
    press(b"b3\r", b"step 2 of 10", b"breakpoint on line 3 on")
    press(b"e", b"step 3 of 10", b"breakpoint on line 3")
    press(b"l3\r", b"step 5 of 10")
    screen = press(b"j9\r", b"step 9 of 10")
    assert b"total        3" in re.sub(rb"\x1b\[[0-9;]*m", b"", screen)  # colours aside
    os.write(fd, b"q")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.figures = 0
        self.svgs = 0
        self.captions: list[str] = []
        self._caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.figures += tag == "figure"
        self.svgs += tag == "svg"
        self._caption = tag == "figcaption"

    def handle_data(self, data: str) -> None:
        if self._caption:
            self.captions.append(data)
            self._caption = False


def test_svg_and_html_drawings(sector, workdir, local_runner) -> None:
    write(workdir, "d.py", "nums = [3, 1]\nalias = nums\nnums.sort()\n")
    svg_path, html_path = workdir / "step.svg", workdir / "all.html"
    result = sector("viz", "trace", "d.py", "-r", "local", "--step", "3", "--out", str(svg_path))
    assert result.exit_code == 0, result.output
    ns = {"s": "http://www.w3.org/2000/svg"}
    root = ET.parse(svg_path).getroot()
    texts = ["".join(t.itertext()) for t in root.iterfind(".//s:text", ns)]
    assert "step 3 of 4 · line 3 · step line" in texts
    assert {"nums", "alias", "nums.sort()", "#1 list", "3", "1"} <= set(texts)
    arrows = [p for p in root.iterfind(".//s:path", ns) if p.get("marker-end")]
    assert len(arrows) == 2  # two names, one list
    assert root.find(".//s:rect[@class='hot']", ns) is not None  # the current line
    assert sector("viz", "trace", "1", "--out", str(html_path)).exit_code == 0
    page = _Html()
    page.feed(html_path.read_text())
    assert page.figures == page.svgs == 4
    assert page.captions[0].startswith("step 1 of 4") and "line 3" in page.captions[3]
    bad = sector("viz", "trace", "1", "--out", str(workdir / "x.png"))
    assert bad.exit_code == 2


# The tracer and the reader, without the sandbox -------------------------------------------


def trace_here(tmp_path: Path, code: str, max_steps: int = 1000, wall: float = 10) -> Trace:
    """Run the tracer script directly, as the sandbox would (killing it at `wall` + 1 s, as
    a runner does), and read its trace."""
    program = write(tmp_path, "p.py", code)
    command = [sys.executable, tracer_script.__file__, str(max_steps), str(wall), str(program)]
    try:
        data = subprocess.run(command, capture_output=True, timeout=wall + 1).stdout
    except subprocess.TimeoutExpired as killed:
        data = killed.stdout or b""
    return Trace(data, code, "p.py")


def test_a_trace_cut_anywhere_reads_up_to_its_last_whole_step(tmp_path) -> None:
    full = trace_here(tmp_path, "x = []\nfor i in range(50):\n    x.append(i)\nprint(x)\n")
    assert full.finished and len(full) == 104
    for cut in range(0, len(full.data), 97):
        part = Trace(full.data[:cut], full.source, "p.py")
        assert not part.finished and len(part) <= len(full)
        if len(part):
            state = part.state(len(part) - 1)
            assert state.globals == full.state(len(part) - 1).globals


def test_navigator_commands(tmp_path) -> None:
    found = trace_here(tmp_path, "total = 0\nfor i in range(3):\n    total += i\nprint(total)\n")
    lines = [found.step(i).line for i in range(len(found))]
    assert lines == [1, 2, 3, 2, 3, 2, 3, 2, 4, 4]
    nav = Navigator(found)
    assert nav.command("p") == "at the first step"
    nav.command("n")
    assert nav.index == 1
    nav.command("l 3")
    assert nav.index == 2
    assert nav.command("l 1") == "line 1 is not run again"
    assert nav.command("b 3") == "breakpoint on line 3 on"
    nav.command("e")
    assert nav.index == 4 and dict(nav.view().frames[0].variables)["i"].text == "1"
    nav.command("b 3")
    assert nav.command("e") == "at the end" and nav.index == len(found) - 1
    nav.command("j 2")
    assert nav.index == 1 and "no step" in nav.command("j 99")
    assert "needs a number" in nav.command("j")
    nav.command("q")
    assert nav.done
    view = build_view(found, 8)
    assert view.stdout == "" and build_view(found, 9).stdout == "3\n"


def test_svg_of_a_step_has_arrows_between_heap_objects(tmp_path) -> None:
    found = trace_here(tmp_path, "inner = [1]\nouter = {'k': inner, 'n': None}\nend = 0\n")
    svg = render_svg(build_view(found, 2))
    root = ET.fromstring(svg.render())
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    arrows = [path for path in paths if path.get("marker-end")]
    assert len(arrows) == 3  # inner, outer, and outer['k'] -> inner


def test_counts_and_exit(tmp_path) -> None:
    found = trace_here(tmp_path, "def f(x):\n    return x\n\nfor i in range(30):\n    f(i)\n", 20)
    assert found.stopped == "steps" and len(found) == 20 and found.finished
    lines, calls = found.counts()
    assert lines[5] == 30 and calls["f"] == 30
    assert "20 steps" in found.stop_message()


def test_the_program_own_eq_never_runs_and_equal_replacements_show(traced) -> None:
    document = traced(
        "class Loud:\n"
        "    calls = 0\n"
        "    def __eq__(self, other):\n"
        "        Loud.calls += 1\n"
        "        return True\n"
        "\n"
        "a = [Loud()]\n"
        "a[0] = Loud()\n"
        "b = [1, 2]\n"
        "b[0] = 1.0\n"
        "b[1] = True\n"
        "calls = Loud.calls\n"
    )
    last = steps_of(document)[-1]
    assert last["globals"]["calls"] == 0  # tracing did not call __eq__
    assert heap_of(last, last["globals"]["b"]) == ["LIST", ["SPECIAL_FLOAT", "1.0"], True]


def test_a_returned_object_is_on_the_heap_of_its_return_step(traced) -> None:
    document = traced("def squares(n):\n    return [i * i for i in range(n)]\n\ns = squares(4)\n")
    returns = [s for s in steps_of(document) if s["event"] == "return"]
    for step in returns:
        value = step["stack_to_render"][-1]["encoded_locals"]["__return__"]
        assert heap_of(step, value) == ["LIST", 0, 1, 4, 9]


def test_printed_instances_and_imported_names_are_drawn_as_text(tmp_path) -> None:
    code = (
        "from collections import OrderedDict\n"
        "class P:\n"
        "    def __init__(self):\n"
        "        self.tag = 'pt'\n"
        "    def __str__(self):\n"
        "        return 'P!'\n"
        "p = P()\n"
        "end = 0\n"
    )
    found = trace_here(tmp_path, code)
    view = build_view(found, len(found) - 1)
    names = dict(view.frames[0].variables)
    assert names["OrderedDict"].text == "imported class"  # not the raw encoding
    printed = next(obj for obj in view.heap if obj.text == "P!")
    assert [(label, item.text) for label, item in printed.items] == [("tag", "'pt'")]
    texts = [t.text for t in ET.fromstring(render_svg(view).render()).iter() if t.text]
    assert "imported class" in texts and "P!" in texts and "'pt'" in texts
