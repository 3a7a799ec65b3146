"""`sector viz calltree`: call trees read from Python Tutor traces of programs whose calls are
known (recursion, mutual recursion, exceptions, methods), folding past the budget with exact
counts, and the terminal, JSON, SVG and HTML renderings checked for content."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from sector_cli.viz.calltree import (
    CallNode,
    CallView,
    build_calltree,
    fold,
    terminal,
    to_json,
    write_drawing,
)
from sector_cli.viz.calltree.render import frame_cap, frames
from tests.conftest import Sector
from tests.fakes.tutor_trace import trace_source

SVG = "{http://www.w3.org/2000/svg}"
FIB = """def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


print(fib({n}))
"""
MUTUAL = """def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


print(is_even(3))
"""
RAISES = """def check(x):
    if x < 0:
        raise ValueError("negative: " + str(x))
    return x


def safe(x):
    try:
        return check(x)
    except ValueError:
        return 0


class Box:
    def __init__(self, value):
        self.value = value

    def twice(self):
        return self.value * 2


safe(-1)
Box(4).twice()
check(-2)
"""


def trace(code: str) -> dict[str, Any]:
    """A trace as `tutor_trace` gives it: through JSON."""
    result: dict[str, Any] = json.loads(json.dumps(trace_source(code)))
    return result


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def expected_fib_calls(n: int) -> list[tuple[str, str, int]]:
    """(label, result, depth) of fib's calls in the order they are made."""
    found = [(f"fib({n})", str(fib(n)), 1)]
    if n >= 2:
        found += [(label, result, depth + 1) for label, result, depth in expected_fib_calls(n - 1)]
        found += [(label, result, depth + 1) for label, result, depth in expected_fib_calls(n - 2)]
    return found


def shape(node: CallNode) -> list[Any]:
    """A compact picture of a view: [label, result, marks, children...]."""
    marks = {}
    if node.repeats > 1:
        marks["x"] = node.repeats
    if node.same_as is not None:
        marks["same_as"] = node.same_as
    if node.times > 1:
        marks["times"] = node.times
    if node.hidden:
        marks["hidden"] = node.hidden
    return [node.call.label, node.call.result, marks, *(shape(c) for c in node.children)]


def test_recursive_fibonacci_gives_the_whole_tree_in_call_order() -> None:
    tree = build_calltree(trace(FIB.format(n=5)))
    got = [(c.label, c.result, c.depth) for c in tree.calls]
    assert got == expected_fib_calls(5)
    assert len(tree.calls) == 15 and tree.depth == 5
    assert tree.root.label == "fib(5)" and tree.root.result == "5"
    assert [c.label for c in tree.root.children] == ["fib(4)", "fib(3)"]
    assert [c.id for c in tree.calls] == list(range(1, 16))
    assert tree.root.args == [("n", "5")]
    view = fold(tree)
    assert view.shown == 15 and not view.folded and view.levels is None


def test_folding_identical_subtrees_counts_exactly() -> None:
    tree = build_calltree(trace(FIB.format(n=6)))
    assert len(tree.calls) == 25
    view = fold(tree, max_nodes=11)
    assert view.folded and view.levels is None and view.shown == 11
    assert shape(view.root) == [
        "fib(6)", "8", {},
        ["fib(5)", "5", {},
            ["fib(4)", "3", {"x": 2},
                ["fib(3)", "2", {"x": 3},
                    ["fib(2)", "1", {"x": 5},
                        ["fib(1)", "1", {"x": 8}],
                        ["fib(0)", "0", {"x": 5}]],
                    ["fib(1)", "1", {"same_as": 6}]],
                ["fib(2)", "1", {"same_as": 5, "hidden": 2}]],
            ["fib(3)", "2", {"same_as": 4, "hidden": 4}]],
        ["fib(4)", "3", {"same_as": 3, "hidden": 8}],
    ]  # fmt: skip


def test_past_the_folds_the_deepest_levels_fold_into_counts() -> None:
    tree = build_calltree(trace(FIB.format(n=6)))
    view = fold(tree, max_nodes=10)
    assert view.levels == 5 and view.shown == 9
    fib2 = view.root.children[0].children[0].children[0].children[0]
    assert (fib2.call.label, fib2.repeats, fib2.hidden, fib2.children) == ("fib(2)", 5, 2, [])
    # fib(1) #6 is folded away, so its later twin stands alone
    assert view.root.children[0].children[0].children[0].children[1].same_as is None
    tight = fold(tree, max_nodes=3)
    assert shape(tight.root) == [
        "fib(6)", "8", {},
        ["fib(5)", "5", {"hidden": 14}],
        ["fib(4)", "3", {"hidden": 8}],  # #3 is not drawn: no reference to it
    ]  # fmt: skip
    alone = fold(tree, max_nodes=1)
    assert alone.shown == 1 and alone.levels == 1 and alone.root.hidden == 24


def test_identical_sibling_calls_merge_and_wide_levels_are_cut() -> None:
    code = "def sq(x):\n    return x * x\n\n\nfor i in range(50):\n    sq(3)\nsq(4)\n"
    tree = build_calltree(trace(code))
    assert len(tree.calls) == 51 and tree.root.func == "<module>"
    view = fold(tree, max_nodes=10)
    assert shape(view.root) == [
        "<module>()",
        None,
        {},
        ["sq(3)", "9", {"x": 50, "times": 50}],
        ["sq(4)", "16", {}],
    ]
    wide = "def f(x):\n    return x + 1\n\n\nfor i in range(30):\n    f(i)\n"
    view = fold(build_calltree(trace(wide)), max_nodes=10)
    assert [c.call.label for c in view.root.children] == [f"f({i})" for i in range(10)]
    assert view.root.hidden == 20 and view.shown == 10
    text = _terminal(view)
    assert "… 20 more calls" in text and "f(9) → 10" in text and "f(10)" not in text


def _deep_trace(depth: int) -> dict[str, Any]:
    """down(depth) calling down(depth - 1)... by hand: a call step per level, then a return
    step per level (only the running frame listed, as the view needs no more)."""

    def frame(fid: int, n: int, result: int | None = None) -> dict[str, Any]:
        local: dict[str, Any] = {"n": n} if result is None else {"n": n, "__return__": result}
        return {
            "func_name": "down",
            "frame_id": fid,
            "is_highlighted": True,
            "is_zombie": False,
            "encoded_locals": local,
            "ordered_varnames": list(local),
        }

    calls = [
        {"event": "call", "line": 1, "stack_to_render": [frame(i + 1, depth - i)]}
        for i in range(depth)
    ]
    returns = [
        {"event": "return", "line": 2, "stack_to_render": [frame(i + 1, depth - i, depth - i)]}
        for i in reversed(range(depth))
    ]
    return {"code": "", "trace": calls + returns}


def test_deep_recursion_needs_no_python_recursion() -> None:
    tree = build_calltree(_deep_trace(3000))
    assert len(tree.calls) == 3000 and tree.depth == 3000
    assert tree.root.label == "down(3000)" and tree.root.result == "3000"
    view = fold(tree)
    assert view.shown == 200 and view.levels == 200
    deepest = view.nodes()[-1]
    assert deepest.call.label == "down(2801)" and deepest.hidden == 2800
    text = _terminal(view)  # 140 columns: 20 levels, then a marker
    assert "down(2980) → 2980\n" in text and "down(2979)" not in text
    assert "… 2,979 more calls, deeper (--json or --out show them)" in text
    assert text.startswith("3,000 calls, 3,000 deep, 6,000 steps; 200 drawn (levels past 200")
    full = fold(tree, max_nodes=5000)
    assert full.shown == 3000 and len(frames(full)[0]) == frame_cap(full) == 10


def test_mutual_recursion_alternates_and_returns_through_every_level() -> None:
    tree = build_calltree(trace(MUTUAL))
    got = [(c.label, c.result, c.depth) for c in tree.calls]
    assert got == [
        ("is_even(3)", "False", 1),
        ("is_odd(2)", "False", 2),
        ("is_even(1)", "False", 3),
        ("is_odd(0)", "False", 4),
    ]


def test_exceptions_are_marked_and_methods_named_by_their_class() -> None:
    tree = build_calltree(trace(RAISES))
    got = [(c.label, c.result, c.raised, c.depth) for c in tree.calls]
    assert got == [
        ("safe(-1)", "0", None, 1),
        ("check(-1)", None, "ValueError: negative: -1", 2),
        ("Box.__init__(4)", "None", None, 1),
        ("Box.twice()", "8", None, 1),
        ("check(-2)", None, "ValueError: negative: -2", 1),
    ]  # the class body of Box is no call
    assert tree.uncaught == "ValueError: negative: -2"
    text = _terminal(fold(tree))
    assert "check(-1) ✗ ValueError: negative: -1" in text
    assert "safe(-1) → 0" in text and "uncaught ValueError: negative: -2" in text


def _terminal(view: CallView) -> str:
    console = Console(record=True, width=140)
    console.print(terminal(view, 140))
    return console.export_text()


def test_terminal_shows_calls_results_and_fold_marks() -> None:
    view = fold(build_calltree(trace(FIB.format(n=6))), max_nodes=10)
    text = _terminal(view)
    assert text.splitlines()[0].startswith("25 calls, 6 deep")
    assert "fib(6) → 8" in text and "fib(2) → 1  \N{MULTIPLICATION SIGN}5 #5" in text
    assert "fib(4) → 3  ↺ #3, 8 calls folded" in text and "… 2 more calls" in text


def _texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_svg_is_a_tree_of_boxes_with_calls_and_results(tmp_path: Path) -> None:
    view = fold(build_calltree(trace(FIB.format(n=4))))
    out = tmp_path / "fib.svg"
    write_drawing(view, out)
    root = ET.parse(out).getroot()
    texts = _texts(root)
    assert texts.count("fib(2)") == 2 and texts.count("fib(1)") == 3
    assert texts.count("→ 1") == 5 and "→ 3" in texts and "fib(4)" in texts
    boxes = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "box"]
    assert len(boxes) == 9
    edges = [p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]
    assert len(edges) == 8
    # top-down: every child box is below its parent's
    ys = {float(r.get("y", 0)) for r in boxes}
    assert len(ys) == 4


class _Page(HTMLParser):
    """Figures of an html_page: per figure, its caption and its SVG texts."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, Any]] = []
        self.where: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self.figures.append({"caption": "", "texts": [], "classes": []})
        elif self.figures and tag in ("figcaption", "text"):
            self.where = tag
            if tag == "text":
                self.figures[-1]["texts"].append("")
        elif self.figures and tag == "rect":
            self.figures[-1]["classes"].append(dict(attrs).get("class"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("figcaption", "text"):
            self.where = None

    def handle_data(self, data: str) -> None:
        if self.where == "figcaption":
            self.figures[-1]["caption"] += data
        elif self.where == "text":
            self.figures[-1]["texts"][-1] += data


def _page(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_html_replays_calls_and_returns_in_order(tmp_path: Path) -> None:
    view = fold(build_calltree(trace(FIB.format(n=3))))
    out = tmp_path / "fib.html"
    write_drawing(view, out)
    figures = _page(out).figures
    assert len(figures) == 10  # 5 calls, 5 returns
    captions = [f["caption"] for f in figures]
    assert captions[0].startswith("step ") and ": call fib(3) (frame 1 of 10)" in captions[0]
    assert ": call fib(1) (frame 3 of 10)" in captions[2]
    assert ": fib(1) → 1 (frame 4 of 10)" in captions[3]
    assert ": fib(3) → 2 (frame 10 of 10)" in captions[-1]
    first, last = figures[0], figures[-1]
    assert [t for t in first["texts"] if t.startswith("fib(")] == ["fib(3)"]
    assert "hot" in first["classes"] and "…" in first["texts"]
    assert sorted(t for t in last["texts"] if t.startswith("fib(")) == sorted(
        ["fib(3)", "fib(2)", "fib(1)", "fib(1)", "fib(0)"]
    )
    assert "→ 2" in last["texts"]


def test_html_frames_are_capped_and_say_so(tmp_path: Path) -> None:
    code = "def f(x):\n    return x\n\n\nfor i in range(120):\n    f(i)\n"
    view = fold(build_calltree(trace(code)), max_nodes=500)
    drawn, captions = frames(view)
    cap = frame_cap(view)
    assert len(drawn) == cap == 150 and len(captions) == cap
    assert captions[0].endswith(f" · {cap} of 240 calls and returns shown")
    assert ": call f(0) " in captions[0] and ": f(119) → 119 " in captions[-1]


def test_json_is_the_folded_tree(tmp_path: Path) -> None:
    view = fold(build_calltree(trace(FIB.format(n=6))), max_nodes=11)
    data = json.loads(json.dumps(to_json(view)))
    assert (data["calls"], data["shown"], data["max_depth"], data["folded"]) == (25, 11, 6, True)
    root = data["tree"]
    assert (
        root["call"] == "fib(6)"
        and root["result"] == "8"
        and root["args"] == [{"name": "n", "value": "6"}]
    )
    assert root["children"][1] == {**root["children"][1], "same_as": 3, "hidden_calls": 8}


def test_cli_json_and_out(sector: Sector, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    traced = trace(RAISES)
    monkeypatch.setattr("sector_cli.cli.viz_calltree.tutor", lambda target, options: traced)
    out = tmp_path / "tree.svg"
    result = sector("viz", "calltree", "prog.py", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["calls"] == 5 and data["out"] == str(out)
    assert data["tree"]["children"][0]["children"][0]["raised"] == "ValueError: negative: -1"
    assert "check(-2)" in _texts(ET.parse(out).getroot())
    shown = sector("viz", "calltree", "prog.py", "--max-nodes", "2")
    assert shown.exit_code == 0 and "safe(-1) → 0" in shown.stdout
    assert "… 1 more call\n" in shown.stdout and "└── … 2 more calls" in shown.stdout
    assert sector("viz", "calltree", "prog.py", "--max-nodes", "0").exit_code == 2
    bad = sector("viz", "calltree", "prog.py", "--out", str(tmp_path / "x.png"))
    assert bad.exit_code == 2 and "--out takes a .svg or .html file" in bad.stderr


def test_end_to_end_through_the_sandbox(
    sector: Sector, local_runner: object, monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    monkeypatch.setenv("SECTOR_RUNNER", "local")
    (workdir / "fib.py").write_text(FIB.format(n=5), encoding="utf-8")
    result = sector("viz", "calltree", "fib.py", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["calls"] == 15 and data["tree"]["call"] == "fib(5)"
    assert data["tree"]["result"] == "5" and data["max_depth"] == 5
    again = sector("viz", "calltree", str(data["run"]), "--max-nodes", "5")
    assert again.exit_code == 0, again.output
    assert "fib(5) → 5" in again.stdout and "15 calls, 5 deep" in again.stdout
