"""`sector viz ds`: a variable's data structure frame by frame, from Python Tutor traces of
programs whose structures are known (bubble sort, a linked list reversed, a BST, BFS on an
adjacency dict, dict counting, a huge list), and the terminal, JSON, animated SVG and HTML
renderings checked for content."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from sector_cli.errors import SectorError, UsageError
from sector_cli.viz.calltree import build_calltree
from sector_cli.viz.structures import (
    Animation,
    Array,
    BinaryTree,
    Graph,
    Linked,
    Scalar,
    Table,
    animate,
    terminal,
    to_json,
    write_drawing,
)
from sector_cli.viz.structures.render import array_lines, drawings, linked_lines
from sector_cli.viz.trace import value_text
from tests.conftest import Sector
from tests.fakes.tutor_trace import trace_source

SVG = "{http://www.w3.org/2000/svg}"
BUBBLE = """def bubble_sort(a):
    n = len(a)
    for i in range(n):
        for j in range(n - 1 - i):
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]
    return a


print(bubble_sort([5, 1, 4, 2]))
"""
LINKED = """class Node:
    def __init__(self, val, next=None):
        self.val = val
        self.next = next


def reverse(head):
    prev = None
    curr = head
    while curr:
        nxt = curr.next
        curr.next = prev
        prev = curr
        curr = nxt
    return prev


head = None
for v in [4, 3, 2, 1]:
    head = Node(v, head)
head = reverse(head)
"""
BST = """class Node:
    def __init__(self, key):
        self.key = key
        self.left = None
        self.right = None


def insert(root, key):
    if root is None:
        return Node(key)
    if key < root.key:
        root.left = insert(root.left, key)
    else:
        root.right = insert(root.right, key)
    return root


root = None
for key in [5, 3, 8, 1, 4, 9]:
    root = insert(root, key)
"""
BFS = """from collections import deque

graph = {"A": ["B", "C"], "B": ["D"], "C": ["D", "E"], "D": ["F"], "E": ["F"], "F": []}


def bfs(start):
    visited = {start}
    queue = deque([start])
    order = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for nxt in graph[node]:
            if nxt not in visited:
                visited.add(nxt)
                queue.append(nxt)
    return order


print(bfs("A"))
"""
COUNT = """counts = {}
for word in "the cat and the hat and the bat".split():
    counts[word] = counts.get(word, 0) + 1
print(counts)
"""


def trace(code: str) -> dict[str, Any]:
    """A trace as `tutor_trace` gives it: through JSON."""
    result: dict[str, Any] = json.loads(json.dumps(trace_source(code)))
    return result


def _all(animation: Animation, kind: type[Any]) -> list[Any]:
    """Every frame's structure, each checked to be of `kind`."""
    found = [frame.structure for frame in animation.frames]
    assert all(isinstance(structure, kind) for structure in found)
    return found


def _text(animation: Animation, index: int = -1) -> str:
    console = Console(record=True, width=100)
    console.print(terminal(animation, animation.frames[index], 100))
    return console.export_text()


def _raw_bubble_states(steps: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(array, pointers) read straight from the trace at every step where `a` exists, with
    consecutive repeats dropped: what the frames must be."""
    states: list[tuple[Any, ...]] = []
    for step in steps:
        frames = [f for f in step.get("stack_to_render", []) if f["func_name"] == "bubble_sort"]
        if not frames:
            continue
        local = frames[-1]["encoded_locals"]
        array = step["heap"][str(local["a"][1])][1:]
        pointers = tuple(
            sorted(
                (name, v)
                for name, v in local.items()
                if name != "a" and type(v) is int and 0 <= v < len(array)
            )
        )
        state = (tuple(array), pointers)
        if not states or states[-1] != state:
            states.append(state)
    return states


def test_bubble_sort_frames_are_the_distinct_states_with_i_and_j() -> None:
    traced = trace(BUBBLE)
    animation = animate(traced, "bubble_sort:a")
    assert animation.kind == "array" and animation.var == "bubble_sort:a"
    expected = _raw_bubble_states(traced["trace"])
    assert len(animation.frames) == len(expected) == 15
    for frame, (array, pointers) in zip(animation.frames, expected, strict=True):
        assert isinstance(frame.structure, Array)
        assert frame.structure.items == tuple(str(v) for v in array)
        assert sorted(frame.structure.pointers) == sorted(pointers)
    first, last = animation.frames[0].structure, animation.frames[-1].structure
    assert isinstance(first, Array) and isinstance(last, Array)
    assert first.items == ("5", "1", "4", "2") and first.pointers == ()
    assert last.items == ("1", "2", "4", "5")
    swapped = [a for a in _all(animation, Array) if a.items[:2] == ("1", "5")]
    assert swapped and dict(swapped[0].pointers) == {"i": 0, "j": 0}
    assert [f.number for f in animation.frames] == list(range(1, 16))
    steps = [f.step for f in animation.frames]
    assert steps == sorted(set(steps))


def test_array_pointers_are_drawn_under_their_cells() -> None:
    array = Array("list", ("5", "1", "4", "2"), 4, (("i", 1), ("j", 1), ("k", 3)))
    assert array_lines(array) == [
        "  0   1   2   3",
        "│ 5 │ 1 │ 4 │ 2 │",
        "      ↑       ↑",
        "     i, j     k",
    ]


def test_terminal_step_picks_the_frame_in_effect() -> None:
    animation = animate(trace(BUBBLE), "bubble_sort:a")
    frame = animation.at_step(10)
    assert frame.step <= 10 and (frame.number == len(animation.frames) or
                                 animation.frames[frame.number].step > 10)  # fmt: skip
    console = Console(record=True, width=100)
    console.print(terminal(animation, frame, 100))
    text = console.export_text()
    assert f"frame {frame.number}/15 · step {frame.step}, line {frame.line}" in text
    with pytest.raises(UsageError, match="no step 999"):
        animation.at_step(999)


def test_a_linked_list_built_then_reversed() -> None:
    animation = animate(trace(LINKED), "head")
    assert animation.kind == "linked"
    chains = []
    for frame in animation.frames:
        linked = frame.structure
        assert isinstance(linked, Linked)
        cells = {c.id: c for c in linked.nodes}
        chain, at = [], linked.head
        while at is not None:
            chain.append(cells[at].value)
            at = cells[at].links[0]
        chains.append(chain)
    assert chains[0] == []  # head = None
    assert ["1", "2", "3", "4"] in chains and chains[-1] == ["4", "3", "2", "1"]
    lists = _all(animation, Linked)
    during = [x for x in lists if dict(x.pointers).keys() >= {"prev", "curr"}]
    assert during, "the reversal's prev and curr are seen"
    assert linked_lines(lists[-1], "head") == ["head ⇒ [4] → [3] → [2] → [1] → None"]
    mid = next(x for x in lists if dict(x.pointers).get("nxt"))
    lines = linked_lines(mid, "head")
    assert lines[0].startswith("head ⇒ [1]") and any("nxt" in line for line in lines)


def test_a_binary_search_tree_grows_one_insert_a_frame() -> None:
    animation = animate(trace(BST), "root")
    assert animation.kind == "tree"
    sizes = [tree.total for tree in _all(animation, BinaryTree)]
    assert sizes == [0, 1, 2, 3, 4, 5, 6]
    tree = animation.frames[-1].structure
    assert isinstance(tree, BinaryTree)
    cells = {c.id: c for c in tree.nodes}

    def inorder(at: int | None) -> list[str]:
        if at is None:
            return []
        left, right = cells[at].links
        return [*inorder(left), cells[at].value, *inorder(right)]

    assert inorder(tree.root) == ["1", "3", "4", "5", "8", "9"]
    assert tree.root is not None and cells[tree.root].value == "5"
    text = _text(animation)
    assert "L: 3" in text and "R: 8" in text and "R: 9" in text


def test_bfs_on_an_adjacency_dict_walks_the_graph() -> None:
    animation = animate(trace(BFS), "graph")
    assert animation.kind == "graph"
    graph = animation.frames[-1].structure
    assert isinstance(graph, Graph)
    assert graph.nodes == ("'A'", "'B'", "'C'", "'D'", "'E'", "'F'")
    assert len(graph.edges) == 7 and (0, 1) in graph.edges and (4, 5) in graph.edges
    visits: list[str] = []
    for frame in animation.frames:
        structure = frame.structure
        assert isinstance(structure, Graph)
        node = dict(structure.pointers).get("node")
        if node is not None and (not visits or visits[-1] != structure.nodes[node]):
            visits.append(structure.nodes[node])
    assert visits == ["'A'", "'B'", "'C'", "'D'", "'E'", "'F'"]
    marks = [{n: ids for n, _, ids in g.marks} for g in _all(animation, Graph)]
    assert any(set(m.get("visited", ())) == {0, 1, 2} and m.get("queue") == (1, 2) for m in marks)
    assert any(m.get("order") == (0, 1, 2, 3, 4, 5) for m in marks)
    assert "'C' → 'D', 'E'" in _text(animation)


def test_a_list_of_index_lists_is_a_graph() -> None:
    code = "adj = [[1, 2], [0, 3], [0], [1]]\nseen = [0]\nat = 3\n"
    animation = animate(trace(code), "adj")
    graph = animation.frames[-1].structure
    assert animation.kind == "graph" and isinstance(graph, Graph)
    assert graph.nodes == ("0", "1", "2", "3") and len(graph.edges) == 6
    assert dict(graph.pointers)["at"] == 3 and ("seen", "list", (0,)) in graph.marks


def test_dict_counting_highlights_the_current_key() -> None:
    animation = animate(trace(COUNT), "counts")
    assert animation.kind == "dict"
    table = animation.frames[-1].structure
    assert isinstance(table, Table)
    assert table.rows == (("'the'", "3"), ("'cat'", "1"), ("'and'", "2"), ("'hat'", "1"),
                          ("'bat'", "1"))  # fmt: skip
    assert table.pointers == (("word", 4),)
    the: list[str] = []
    for table in _all(animation, Table):
        rows = dict(table.rows)
        if "'the'" in rows and (not the or the[-1] != rows["'the'"]):
            the.append(rows["'the'"])
    assert the == ["1", "2", "3"]
    assert "← word" in _text(animation)


def test_a_huge_list_is_cut_with_counts(tmp_path: Path) -> None:
    code = "big = list(range(10000))\ni = 5000\nj = 3\n"
    animation = animate(trace(code), "big")
    array = animation.frames[-1].structure
    assert isinstance(array, Array)
    assert array.total == 10_000 and len(array.items) == 200 and array.items[-1] == "199"
    assert array.pointers == (("j", 3), ("i", 5000))
    text = _text(animation)
    assert "… 9,800 more items (i = 5,000 not shown)" in text
    assert "list of 10,000 items" in text
    out = tmp_path / "big.svg"
    write_drawing(animation, out)
    texts = [t.text for t in ET.parse(out).getroot().iter(f"{SVG}text")]
    assert "… 9,800 more items (i = 5,000 not shown)" in texts and "199" in texts
    assert "200" not in texts


def test_unknown_variable_lists_the_ones_seen() -> None:
    with pytest.raises(UsageError) as caught:
        animate(trace(BUBBLE), "b")
    assert "no variable b in the trace; seen: bubble_sort, bubble_sort:a, bubble_sort:n" in str(
        caught.value
    )
    assert animate(trace(BUBBLE), "a").var == "bubble_sort:a"  # one function's local


def test_a_trace_that_stopped_before_any_step_says_why() -> None:
    broken = {"code": "", "trace": [], "sector": {"stopped": "error", "message": "it broke"}}
    with pytest.raises(SectorError, match="the trace has no steps: it broke"):
        animate(broken, "x")
    with pytest.raises(SectorError, match="the trace has no steps: it broke"):
        build_calltree(broken)
    with pytest.raises(UsageError, match="seen: none"):
        animate({"code": "", "trace": []}, "x")


def test_a_scalar_is_shown_as_text() -> None:
    animation = animate(trace("x = 1\nx = x + 41\n"), "x")
    assert animation.kind == "value"
    assert [f.structure for f in animation.frames] == [Scalar("1"), Scalar("42")]


def test_values_read_as_python_prints_them() -> None:
    heap = {"1": ["LIST", 1, ["SPECIAL_FLOAT", "Infinity"], "a", None], "2": ["TUPLE", 1]}
    assert value_text(["REF", 1], heap) == "[1, inf, 'a', None]"
    assert value_text(["REF", 2], heap) == "(1,)"
    assert value_text("x" * 50, heap, 10) == "'xxxxxxxx…"


def test_equal_looking_primitives_stay_apart() -> None:
    traced = trace("a = [1, 0, 1.5]\nb = [True, False, 1.5]\n")
    assert animate(traced, "a").frames[-1].structure == Array("list", ("1", "0", "1.5"), 3)
    assert animate(traced, "b").frames[-1].structure == Array("list", ("True", "False", "1.5"), 3)


def test_animated_svg_has_a_frame_per_state(tmp_path: Path) -> None:
    animation = animate(trace(BUBBLE), "bubble_sort:a")
    out = tmp_path / "bubble.svg"
    write_drawing(animation, out)
    root = ET.parse(out).getroot()
    groups = [g for g in root.iter(f"{SVG}g") if g.get("data-frame") is not None]
    assert len(groups) == 15
    last = [t.text for t in groups[-1].iter(f"{SVG}text")]
    cells = [t.text for t in groups[-1].iter(f"{SVG}text") if t.get("font-size") == "12"]
    assert cells == ["1", "2", "4", "5"]
    assert "i" in last and "j" in last
    assert any("frame 15/15" in (t or "") for t in last)


class _Captions(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.captions: list[str] = []
        self.texts: list[list[str]] = []
        self.where = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self.texts.append([])
        if tag == "figcaption":
            self.captions.append("")
        self.where = tag

    def handle_endtag(self, tag: str) -> None:
        self.where = ""

    def handle_data(self, data: str) -> None:
        if self.where == "figcaption":
            self.captions[-1] += data
        elif self.where == "text" and self.texts:
            self.texts[-1].append(data)


def test_html_has_captioned_steps(tmp_path: Path) -> None:
    animation = animate(trace(COUNT), "counts")
    out = tmp_path / "counts.html"
    write_drawing(animation, out)
    parser = _Captions()
    parser.feed(out.read_text(encoding="utf-8"))
    assert len(parser.captions) == len(animation.frames) == 16
    for caption, frame in zip(parser.captions, animation.frames, strict=True):
        assert caption.startswith(f"step {frame.step}, line {frame.line} (frame {frame.number}")
    assert "'bat'" in parser.texts[-1] and "← word" in parser.texts[-1]


def test_drawings_are_capped_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sector_cli.viz.structures.render.MAX_FRAMES", 5)
    animation = animate(trace(BUBBLE), "bubble_sort:a")
    drawn, captions = drawings(animation)
    assert len(drawn) == 5 and captions[0].endswith("· 5 of 15 frames shown")
    assert "(frame 15 of 15)" in captions[-1]


def test_json_frames() -> None:
    data = json.loads(json.dumps(to_json(animate(trace(LINKED), "head"))))
    assert data["kind"] == "linked" and data["frames_total"] == len(data["frames"])
    last = data["frames"][-1]
    assert last["kind"] == "linked" and last["total"] == 4
    assert [n["value"] for n in last["nodes"]][:1] == ["4"] and "next" in last["nodes"][0]


def test_cli(sector: Sector, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    traced = trace(BUBBLE)
    monkeypatch.setattr("sector_cli.cli.viz_ds.tutor", lambda target, options: traced)
    out = tmp_path / "bubble.html"
    result = sector("viz", "ds", "b.py", "--var", "bubble_sort:a", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["frames_total"] == 15 and len(data["frames"]) == 15 and out.is_file()
    assert data["frames"][-1]["items"] == ["1", "2", "4", "5"]
    one = sector("viz", "ds", "b.py", "--var", "bubble_sort:a", "--step", "10", "--json")
    assert len(json.loads(one.stdout)["frames"]) == 1
    shown = sector("viz", "ds", "b.py", "--var", "bubble_sort:a")
    assert shown.exit_code == 0 and "│ 1 │ 2 │ 4 │ 5 │" in shown.stdout
    played = sector("viz", "ds", "b.py", "--var", "bubble_sort:a", "--play")
    assert played.exit_code == 0 and played.stdout.count("bubble_sort:a: list") == 15
    bad = sector("viz", "ds", "b.py", "--var", "nope")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: no variable nope in the trace; seen: bubble_sort,")
    assert len(bad.stderr.strip().splitlines()) == 1
    assert sector("viz", "ds", "b.py", "--var", "a", "--kind", "heap").exit_code == 2


def test_end_to_end_through_the_sandbox(
    sector: Sector, local_runner: object, monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    monkeypatch.setenv("SECTOR_RUNNER", "local")
    (workdir / "bfs.py").write_text(BFS, encoding="utf-8")
    result = sector("viz", "ds", "bfs.py", "--var", "graph", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "graph" and data["frames"][-1]["nodes"][0] == "'A'"
    assert any(
        {m["name"]: m["nodes"] for m in f["marks"]}.get("queue") == [1, 2] for f in data["frames"]
    )
    again = sector("viz", "ds", str(data["run"]), "--var", "bfs:visited", "--out", "v.svg")
    assert again.exit_code == 0, again.output
    assert "bfs:visited: set of 6 items" in again.stdout and (workdir / "v.svg").is_file()
