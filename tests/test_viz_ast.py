"""`sector viz ast`: tree-sitter trees of every grammar, walk orders, folding, and the
terminal, JSON, SVG and HTML renderings checked for content."""

from __future__ import annotations

import importlib
import itertools
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sector_cli.plugins.loaders.grammars import GRAMMARS
from sector_cli.viz.syntax import SyntaxTree, language_of, parse_source
from sector_cli.viz.syntax.render import MAX_DRAWN, drawing, layout, page

SVG = "{http://www.w3.org/2000/svg}"
PROGRAMS = {
    "python": ("fib.py", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"),
    "javascript": (
        "fib.js",
        "function fib(n) {\n  return n < 2 ? n : fib(n - 1) + fib(n - 2);\n}\n",
    ),
    "typescript": (
        "fib.ts",
        "function fib(n: number): number {\n  return n < 2 ? n : fib(n - 1);\n}\n",
    ),
    "tsx": ("app.tsx", "const App = (p: {n: number}) => <div>{p.n}</div>;\n"),
    "c": ("fib.c", "int fib(int n) {\n    return n < 2 ? n : fib(n - 1) + fib(n - 2);\n}\n"),
    "cpp": (
        "fib.cpp",
        "template <typename T>\nT fib(T n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n",
    ),
    "rust": (
        "fib.rs",
        "fn fib(n: u64) -> u64 {\n    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }\n}\n",
    ),
    "go": (
        "fib.go",
        "package main\n\nfunc fib(n int) int {\n\tif n < 2 {\n\t\treturn n\n\t}\n"
        "\treturn fib(n-1) + fib(n-2)\n}\n",
    ),
    "java": (
        "Fib.java",
        "class Fib {\n  static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n}\n",
    ),
}


def _direct(language: str, source: bytes) -> tuple[list[str], list[str]]:
    """Node types in pre-order from tree-sitter itself: (every node, named nodes)."""
    from tree_sitter import Language, Parser

    grammar = GRAMMARS[language]
    module = importlib.import_module(grammar.module)
    tree = Parser(Language(getattr(module, grammar.function)())).parse(source)
    every: list[str] = []
    named: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        every.append(node.type)
        if node.is_named:
            named.append(node.type)
        stack.extend(reversed(node.children))
    return every, named


@pytest.mark.parametrize("language", sorted(PROGRAMS))
def test_trees_match_a_direct_tree_sitter_walk(language: str) -> None:
    name, text = PROGRAMS[language]
    assert language_of(Path(name)) == language
    every, named = _direct(language, text.encode())
    named_tree = parse_source(text.encode(), language, name)
    full_tree = parse_source(text.encode(), language, name, named_only=False)
    assert [n.type for n in named_tree.nodes] == named
    assert [n.type for n in full_tree.nodes] == every
    assert named_tree.all_nodes == full_tree.all_nodes == len(every)
    assert named_tree.errors == 0
    for tree in (named_tree, full_tree):
        for node in tree.nodes:
            assert all(tree.nodes[c].parent == node.id for c in node.children)
            assert node.parent is None or node.depth == tree.nodes[node.parent].depth + 1
        assert sorted(n.post for n in tree.nodes) == list(range(1, len(tree.nodes) + 1))


def test_pre_and_post_order_of_a_small_tree() -> None:
    tree = parse_source(b"a + b * c\n", "python")
    labels = [f"{n.type}:{n.text}" if n.text else n.type for n in tree.nodes]
    pre = [labels[i] for i in tree.walk("pre")]
    post = [labels[i] for i in tree.walk("post")]
    assert pre == [
        "module",
        "expression_statement",
        "binary_operator",
        "identifier:a",
        "binary_operator",
        "identifier:b",
        "identifier:c",
    ]
    assert post == [
        "identifier:a",
        "identifier:b",
        "identifier:c",
        "binary_operator",
        "binary_operator",
        "expression_statement",
        "module",
    ]
    assert tree.at_step("post", 4).text is None and tree.at_step("post", 4).depth == 3
    fields = {tree.nodes[i].text: tree.nodes[i].field for i in tree.walk("pre")}
    assert fields["a"] == "left" and fields["b"] == "left" and fields["c"] == "right"
    b = next(n for n in tree.nodes if n.text == "b")
    assert (b.span.line, b.span.col, b.span.end_line, b.span.end_col) == (1, 4, 1, 5)


def test_anonymous_nodes_and_columns_in_characters() -> None:
    tree = parse_source("s = 'é'; f(x)\n".encode(), "python", named_only=False)
    paren = next(n for n in tree.nodes if n.type == "(")
    assert not paren.named and paren.text == "(" and paren.span.col == 10
    assert parse_source(b"f(x)\n", "python").nodes[-1].type == "identifier"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_terminal_tree_with_steps_depth_and_all(tmp_path: Path, sector) -> None:
    file = _write(tmp_path, "fib.py", PROGRAMS["python"][1])
    shown = sector("viz", "ast", str(file))
    assert shown.exit_code == 0, shown.output
    assert "function_definition" in shown.stdout and "name: identifier" in shown.stdout
    assert "'fib'" in shown.stdout and "1:4-1:7" in shown.stdout
    stepped = sector("viz", "ast", str(file), "--step", "3", "--order", "pre")
    assert "◀ step 3" in stepped.stdout and "step 3/" in stepped.stdout
    assert "[3 identifier 'fib']" in stepped.stdout
    post = sector("viz", "ast", str(file), "--step", "1", "--order", "post")
    assert "(post-order): identifier at 1:4-1:7 'fib'" in post.stdout
    folded = sector("viz", "ast", str(file), "--depth", "1")
    assert "folded" in folded.stdout and "binary_operator" not in folded.stdout
    every = sector("viz", "ast", str(file), "--all")
    assert "'('" in every.stdout and "def" in every.stdout
    assert sector("viz", "ast", str(file), "--step", "999").exit_code == 2
    assert sector("viz", "ast", str(file), "--order", "inorder").exit_code == 2


def test_json_export_with_orders(tmp_path: Path, sector) -> None:
    file = _write(tmp_path, "fib.go", PROGRAMS["go"][1])
    result = sector("viz", "ast", str(file), "--json", "--step", "2", "--order", "post")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    nodes = data["nodes"]
    assert data["language"] == "go" and data["node_count"] == len(nodes)
    assert sorted(n["pre"] for n in nodes) == sorted(n["post"] for n in nodes)
    assert [n["pre"] for n in nodes] == list(range(1, len(nodes) + 1))
    chosen = next(n for n in nodes if n["post"] == 2)
    assert data["step"] == {"order": "post", "step": 2, "node": chosen["id"]}
    assert all(nodes[c]["parent"] == n["id"] for n in nodes for c in n["children"])
    assert {"line", "col", "end_line", "end_col", "field", "text"} <= set(nodes[0])


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.nodes: list[dict[str, str | None]] = []
        self.texts: list[str] = []
        self.script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "g" and found.get("class") == "node":
            self.nodes.append(found)
        if tag == "script":
            assert "src" not in found
            self.script = True

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def test_svg_is_a_layered_tree(tmp_path: Path, sector) -> None:
    file = _write(tmp_path, "fib.rs", PROGRAMS["rust"][1])
    out = tmp_path / "tree.svg"
    result = sector("viz", "ast", str(file), "--out", str(out), "--step", "4")
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_text())
    tree = parse_source(PROGRAMS["rust"][1].encode(), "rust")
    boxes = [r for r in root.iter(f"{SVG}rect") if r.get("class") in ("box", "hot", "seen", "err")]
    assert len(boxes) == len(tree.nodes)
    assert len([r for r in boxes if r.get("class") == "hot"]) == 1
    assert len(list(root.iter(f"{SVG}path"))) == len(tree.nodes) - 1 + 1  # edges + marker def
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    for node in tree.nodes:
        assert node.type in texts and node.span.label() in texts
    assert "'fib'" in texts


def test_layout_keeps_boxes_apart_and_parents_above() -> None:
    source = "\n".join(f"def f{i}(a, b):\n    return a * {i} + b" for i in range(40)).encode()
    tree = parse_source(source, "python")
    boxes = layout(tree, tree.fold(None, MAX_DRAWN))
    rows: dict[float, list[tuple[float, float]]] = {}
    for box in boxes:
        rows.setdefault(box.y, []).append((box.x, box.x + box.width))
        for child in box.children:
            assert child.y > box.y
    for spans in rows.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_html_walks_the_tree(tmp_path: Path, sector) -> None:
    file = _write(tmp_path, "Fib.java", PROGRAMS["java"][1])
    out = tmp_path / "tree.html"
    result = sector("viz", "ast", str(file), "--out", str(out), "--order", "post", "--step", "5")
    assert result.exit_code == 0, result.output
    parser = _Page()
    parser.feed(out.read_text())
    assert {"prev", "next", "play", "step", "order", "where"} <= parser.ids
    assert parser.script
    tree = parse_source(PROGRAMS["java"][1].encode(), "java")
    assert len(parser.nodes) == len(tree.nodes)
    assert sorted(int(str(n["data-post"])) for n in parser.nodes) == list(
        range(1, len(tree.nodes) + 1)
    )
    texts = "".join(parser.texts)
    assert "method_declaration" in texts and "class_declaration" in texts
    assert 'data-order="post"' in out.read_text() and 'data-step="4"' in out.read_text()


def test_huge_trees_are_cut_with_counts(tmp_path: Path, sector) -> None:
    source = "\n".join(f"x{i} = [{i}, {i + 1}, {i + 2}]" for i in range(400)) + "\n"
    tree = parse_source(source.encode(), "python", "big.py")
    assert len(tree.nodes) > MAX_DRAWN
    svg = drawing(tree).render()
    assert "nodes not drawn" in svg and "+" in svg
    root = ET.fromstring(svg)
    markers = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "marker"]
    assert markers
    hidden = sum(
        int((t.text or "").split()[0][1:].replace(",", ""))
        for t in root.iter(f"{SVG}text")
        if (t.text or "").startswith("+")
    )
    assert hidden == len(tree.nodes) - MAX_DRAWN
    html = page(tree)
    assert html.count('class="node"') == MAX_DRAWN and "are not." in html
    file = _write(tmp_path, "big.py", source)
    shown = sector("viz", "ast", str(file))
    assert shown.exit_code == 0 and "nodes folded" in shown.stdout


def test_unsupported_and_forced_languages(tmp_path: Path, sector) -> None:
    notes = _write(tmp_path, "notes.txt", "int main(void) { return 0; }\n")
    refused = sector("viz", "ast", str(notes))
    assert refused.exit_code == 2
    assert "no grammar for .txt files" in refused.stderr
    assert "c, cpp, go, java, javascript, python, rust" in refused.stderr
    assert "Use one of" in sector("viz", "ast", str(notes), "--lang", "cobol").stderr
    forced = sector("viz", "ast", str(notes), "--lang", "c++", "--json")
    assert forced.exit_code == 0 and json.loads(forced.stdout)["language"] == "cpp"
    assert sector("viz", "ast", str(tmp_path / "missing.py")).exit_code == 2


def test_syntax_errors_are_part_of_the_tree() -> None:
    tree: SyntaxTree = parse_source(b"def f(:\n    pass\n", "python")
    assert tree.errors >= 1 and any(n.error for n in tree.nodes)
    assert "err" in drawing(tree).render()
