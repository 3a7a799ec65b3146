"""Syntax trees of any language with a tree-sitter grammar, as view models.

A `SyntaxTree` is a flat list of nodes in pre-order (a node's id is its position), each with
its parent, children, field name, source range and, for leaves, its text, and the step at
which a pre-order and a post-order walk visit it. By default only named nodes are kept
(`identifier`, `call`...) and the parser's ERROR and MISSING nodes; with `named_only=False`
the anonymous ones (`(`, `def`, `;`) too.
The grammars and their loading are the code loader's (`plugins/loaders/grammars.py`):
tree-sitter is imported on the first parse, never when this module is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sector_cli.errors import UsageError
from sector_cli.plugins.loaders.grammars import EXTENSIONS, GRAMMARS

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_LEAF_TEXT = 200  # characters of a leaf's text kept in the model
ALIASES = {
    "c++": "cpp",
    "cxx": "cpp",
    "js": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "py": "python",
    "python3": "python",
    "rs": "rust",
    "golang": "go",
    "sh": "bash",
    "shell": "bash",
}
Order = Literal["pre", "post"]


@dataclass(frozen=True)
class Span:
    """A source range: lines from 1, columns from 0 counted in characters; the end is
    exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    def starts_within(self, other: Span) -> bool:
        """Whether this range starts inside `other` (the rule that links items)."""
        return (other.line, other.col) <= (self.line, self.col) < (other.end_line, other.end_col)

    def covers(self, other: Span) -> Span:
        """The smallest range holding both."""
        start = min((self.line, self.col), (other.line, other.col))
        end = max((self.end_line, self.end_col), (other.end_line, other.end_col))
        return Span(*start, *end)

    def label(self) -> str:
        return f"{self.line}:{self.col}-{self.end_line}:{self.end_col}"

    def to_json(self) -> dict[str, int]:
        return {
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }


def line_span(line: int, last: int | None = None) -> Span:
    """Everything that starts on lines `line`..`last` (default: just `line`)."""
    return Span(line, 0, (last or line) + 1, 0)


@dataclass(frozen=True)
class SyntaxNode:
    id: int  # position in pre-order, from 0
    type: str
    named: bool
    field: str | None  # the name its parent gives it (`body`, `condition`), if any
    parent: int | None
    depth: int
    children: tuple[int, ...]
    span: Span
    start_byte: int
    end_byte: int
    text: str | None  # a leaf's text (no children in the source tree), cut at MAX_LEAF_TEXT
    pre: int  # the step at which a pre-order walk visits it, from 1
    post: int  # the same for a post-order walk
    error: bool  # an ERROR node, or a MISSING one the parser inserted

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "named": self.named,
            "field": self.field,
            "parent": self.parent,
            "depth": self.depth,
            "children": list(self.children),
            **self.span.to_json(),
            "start_byte": self.start_byte,
            "end_byte": self.end_byte,
            "text": self.text,
            "pre": self.pre,
            "post": self.post,
            "error": self.error,
        }


@dataclass(frozen=True)
class Folded:
    """What a drawing shows of a tree: node ids in pre-order, and how many descendants of
    each shown node are hidden (by a depth limit or a size limit)."""

    shown: list[int]
    hidden: dict[int, int]

    @property
    def hidden_total(self) -> int:
        return sum(self.hidden.values())


@dataclass(frozen=True)
class SyntaxTree:
    file: str
    language: str
    named_only: bool
    lines: tuple[str, ...]
    nodes: tuple[SyntaxNode, ...]
    all_nodes: int  # named and anonymous, in the whole tree
    errors: int  # ERROR and MISSING nodes among all of them
    sizes: tuple[int, ...] = field(repr=False, default=())  # nodes in each subtree

    def walk(self, order: Order) -> list[int]:
        """Node ids in the order a walk visits them."""
        key = (lambda n: n.pre) if order == "pre" else (lambda n: n.post)
        return [node.id for node in sorted(self.nodes, key=key)]

    def at_step(self, order: Order, step: int) -> SyntaxNode:
        """The node visited at `step` (from 1)."""
        if not 1 <= step <= len(self.nodes):
            raise UsageError(
                f"--step {step} is out of range: this walk has {len(self.nodes)} steps",
                f"Use a step from 1 to {len(self.nodes)}",
            )
        return self.nodes[self.walk(order)[step - 1]]

    def fold(self, depth: int | None = None, limit: int | None = None) -> Folded:
        """The nodes down to `depth` (root: 0), at most `limit` of them in pre-order; every
        ancestor of a shown node is shown too."""
        shown = [n.id for n in self.nodes if depth is None or n.depth <= depth]
        if limit is not None:
            shown = shown[:limit]
        visible = set(shown)
        hidden: dict[int, int] = {}
        for node_id in shown:
            count = sum(self.sizes[c] for c in self.nodes[node_id].children if c not in visible)
            if count:
                hidden[node_id] = count
        return Folded(shown, hidden)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "language": self.language,
            "named_only": self.named_only,
            "node_count": len(self.nodes),
            "all_node_count": self.all_nodes,
            "errors": self.errors,
            "root": 0,
            "nodes": [node.to_json() for node in self.nodes],
        }


def languages() -> list[str]:
    return sorted(GRAMMARS)


def language_of(path: Path, forced: str | None = None) -> str:
    """The grammar for a file: `forced` (a name or an alias), else its extension."""
    known = ", ".join(languages())
    if forced:
        name = ALIASES.get(forced.lower(), forced.lower())
        if name not in GRAMMARS:
            raise UsageError(f"no syntax tree for language {forced!r}", f"Use one of: {known}")
        return name
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        what = f"{path.suffix} files" if path.suffix else "files without an extension"
        raise UsageError(
            f"cannot draw the syntax tree of {path.name}: no grammar for {what}",
            f"Pass --lang with one of: {known}",
        )
    return found


def read_source(path: Path, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """A source file's bytes; a clear UsageError when it is missing, a folder or too big."""
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise UsageError(f"{path} {what}", "Check the path")
    size = path.stat().st_size
    if size > limit:
        raise UsageError(
            f"{path} is too large to visualize ({size:,} bytes, the limit is {limit:,})",
            "Visualize a smaller file, or a part of this one",
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror})", "Check its permissions") from None


def parse_file(path: Path, language: str | None = None, named_only: bool = True) -> SyntaxTree:
    """The syntax tree of a file, in the language of its extension unless one is given."""
    name = language_of(path, language)
    return parse_source(read_source(path), name, str(path), named_only)


def parse_source(
    source: bytes, language: str, file: str = "<source>", named_only: bool = True
) -> SyntaxTree:
    from sector_cli.plugins.loaders.code import cached_parser

    try:
        parser = cached_parser(language)
    except ImportError:
        package = GRAMMARS[language].package
        raise UsageError(
            f"the {language} grammar is not installed", f"pip install {package}"
        ) from None
    tree = parser.parse(source)
    columns = _Columns(source)
    builder = _Builder(source, columns, named_only)
    builder.walk(tree.root_node)
    return builder.finish(file, language, columns.lines)


class _Columns:
    """Turns tree-sitter's (row, byte column) points into (line, character column)."""

    def __init__(self, source: bytes) -> None:
        self.raw = source.split(b"\n")
        self.lines = tuple(line.decode("utf-8", errors="replace") for line in self.raw)
        if self.lines and self.lines[-1] == "" and len(self.lines) > 1:
            self.lines = self.lines[:-1]
        self.ascii = [line.isascii() for line in self.raw]

    def point(self, row: int, column: int) -> tuple[int, int]:
        if row < len(self.raw) and not self.ascii[row]:
            column = len(self.raw[row][:column].decode("utf-8", errors="replace"))
        return row + 1, column


@dataclass
class _Draft:
    type: str
    named: bool
    field: str | None
    parent: int | None
    depth: int
    span: Span
    start_byte: int
    end_byte: int
    text: str | None
    error: bool
    children: list[int]


class _Builder:
    def __init__(self, source: bytes, columns: _Columns, named_only: bool) -> None:
        self.source = source
        self.columns = columns
        self.named_only = named_only
        self.drafts: list[_Draft] = []
        self.errors = 0
        self.total = 0

    def walk(self, root: Node) -> None:
        """Pre-order with a cursor (no recursion: trees can be thousands of levels deep)."""
        cursor = root.walk()
        attach: list[int | None] = []  # per cursor depth: the kept node children attach to
        while True:
            node = cursor.node
            assert node is not None
            parent = attach[-1] if attach else None
            self.total += 1
            broken = node.is_error or node.is_missing
            self.errors += broken
            kept = not self.named_only or node.is_named or broken or parent is None
            here = self._add(node, cursor.field_name, parent) if kept else parent
            if cursor.goto_first_child():
                attach.append(here)
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return
                attach.pop()

    def _add(self, node: Node, field_name: str | None, parent: int | None) -> int:
        start = self.columns.point(*node.start_point)
        end = self.columns.point(*node.end_point)
        text = None
        if node.child_count == 0:
            raw = self.source[node.start_byte : node.end_byte]
            text = raw.decode("utf-8", errors="replace")[:MAX_LEAF_TEXT]
        index = len(self.drafts)
        depth = self.drafts[parent].depth + 1 if parent is not None else 0
        self.drafts.append(
            _Draft(
                node.type,
                node.is_named,
                field_name,
                parent,
                depth,
                Span(*start, *end),
                node.start_byte,
                node.end_byte,
                text,
                node.is_error or node.is_missing,
                [],
            )
        )
        if parent is not None:
            self.drafts[parent].children.append(index)
        return index

    def finish(self, file: str, language: str, lines: tuple[str, ...]) -> SyntaxTree:
        drafts = self.drafts
        post = _post_order(drafts)
        sizes = [1] * len(drafts)
        for index in range(len(drafts) - 1, 0, -1):  # children come after their parent
            parent = drafts[index].parent
            if parent is not None:
                sizes[parent] += sizes[index]
        nodes = tuple(
            SyntaxNode(
                i,
                d.type,
                d.named,
                d.field,
                d.parent,
                d.depth,
                tuple(d.children),
                d.span,
                d.start_byte,
                d.end_byte,
                d.text,
                i + 1,
                post[i],
                d.error,
            )
            for i, d in enumerate(drafts)
        )
        return SyntaxTree(
            file, language, self.named_only, lines, nodes, self.total, self.errors, tuple(sizes)
        )


def _post_order(drafts: list[_Draft]) -> list[int]:
    """The post-order step (from 1) of each node."""
    steps = [0] * len(drafts)
    if not drafts:
        return steps
    counter = 0
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        index, done = stack.pop()
        if done:
            counter += 1
            steps[index] = counter
            continue
        stack.append((index, True))
        stack.extend((child, False) for child in reversed(drafts[index].children))
    return steps


def leaves(tree: SyntaxTree) -> Iterable[SyntaxNode]:
    """The tokens of a tree that keeps every node: its leaves, in source order."""
    return (node for node in tree.nodes if not node.children)
