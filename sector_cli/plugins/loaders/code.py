"""Source code, with tree-sitter: one passage per top-level definition, the code between them
kept too.

A definition (function, class, struct, impl, interface...) is one passage marked `unit`, with
the comments, doc comments, decorators and attributes right above it, and its exact 1-based
line range. One longer than SPLIT_LINES that holds definitions of its own (a big class or impl)
is cut into its members, titled "class Stack > def push". Imports and top-level statements
become passages of their own, so that every line of the file is in exactly one passage.
tree-sitter and the grammars are imported on the first load, never when the plugin is listed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sector_cli.plugins.base import Availability
from sector_cli.plugins.loader import Loader, Passage, UnreadableDocument
from sector_cli.plugins.loaders.common import paragraphs, read_text
from sector_cli.plugins.loaders.grammars import EXTENSIONS, GRAMMARS, Grammar

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

SPLIT_LINES = 80  # a definition longer than this is cut into its members, when it has some
MAX_TITLE = 80


class CodeLoader(Loader):
    name: ClassVar[str] = "code"
    summary: ClassVar[str] = "Source code, definition by definition (tree-sitter)"
    extensions: ClassVar[tuple[str, ...]] = tuple(EXTENSIONS)
    format: ClassVar[str] = "code"

    def format_of(self, path: Path) -> str:
        return EXTENSIONS.get(path.suffix.lower(), self.format)

    def availability(self) -> Availability:
        if importlib.util.find_spec("tree_sitter") is None:
            return Availability(False, "tree-sitter is not installed", "pip install tree-sitter")
        missing = sorted(
            {g.package for g in GRAMMARS.values() if importlib.util.find_spec(g.module) is None}
        )
        if missing:
            return Availability(True, f"grammars missing: {', '.join(missing)}")
        return Availability(True, f"{len(GRAMMARS)} grammars")

    def load(self, path: Path) -> Iterator[Passage]:
        language = self.format_of(path)
        text = read_text(path)
        source = text.encode("utf-8")
        tree = _parser(path, language).parse(source)
        context = _Context(GRAMMARS[language], source)
        lines = text.split("\n")
        root = tree.root_node
        for span in _spans(context, root.named_children, 0, len(lines) - 1, None):
            yield from _passages(lines, span)


def _parser(path: Path, language: str) -> Parser:
    try:
        return cached_parser(language)
    except ImportError as exc:
        package = GRAMMARS[language].package
        raise UnreadableDocument(
            f"{path.name} needs the {language} grammar, which is not installed",
            f"pip install {package}",
        ) from exc


@functools.cache
def cached_parser(language: str) -> Parser:
    """The tree-sitter parser of `language` (a key of GRAMMARS), made once per process.

    Raises ImportError when tree-sitter or the language's grammar package is not installed.
    """
    from tree_sitter import Language, Parser

    grammar = GRAMMARS[language]
    module = importlib.import_module(grammar.module)
    return Parser(Language(getattr(module, grammar.function)()))


@dataclass(frozen=True)
class _Context:
    grammar: Grammar
    source: bytes

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return " ".join(self.source[node.start_byte : node.end_byte].decode().split())


@dataclass(frozen=True)
class _Span:
    """Rows first..last (0-based, inclusive) of one passage, or of a gap to cut at blank lines."""

    first: int
    last: int
    title: str | None
    unit: bool


def _passages(lines: list[str], span: _Span) -> Iterator[Passage]:
    if not span.unit:
        yield from paragraphs(lines[span.first : span.last + 1], span.first + 1, span.title)
        return
    first, last = span.first, span.last
    while first < last and not lines[first].strip():
        first += 1
    while last > first and not lines[last].strip():
        last -= 1
    text = "\n".join(lines[first : last + 1])
    if text.strip():
        yield Passage(text, None, first + 1, last + 1, span.title, unit=True)


def _spans(
    context: _Context, children: list[Node], first: int, last: int, outer: str | None
) -> Iterator[_Span]:
    """Cover rows first..last: the definitions among `children` as units, titled under
    `outer`, and the rows between them as gaps titled `outer`."""
    cursor = first
    for start, end, node, title in _definitions(context, children):
        start, end = max(start, cursor), min(end, last)  # two on one line: the first keeps it
        if end < start:
            continue
        if start > cursor:
            yield _Span(cursor, start - 1, outer, False)
        yield from _definition_spans(context, node, start, end, _join(outer, title))
        cursor = end + 1
    if cursor <= last:
        yield _Span(cursor, last, outer, False)


def _definition_spans(
    context: _Context, node: Node, start: int, end: int, title: str
) -> Iterator[_Span]:
    body = _definition(context, node)
    members = body.child_by_field_name("body") if body is not None else None
    if end - start + 1 <= SPLIT_LINES or members is None or not _has_definitions(context, members):
        yield _Span(start, end, title, True)
        return
    # The lines of the definition around its members (its header, its fields, a closing
    # brace) become passages titled by the definition.
    yield from _spans(context, members.named_children, start, end, title)


def _has_definitions(context: _Context, body: Node) -> bool:
    return any(True for _ in _definitions(context, body.named_children))


def _definitions(context: _Context, children: list[Node]) -> Iterator[tuple[int, int, Node, str]]:
    """(first row, last row, node, title) of each definition among `children`; the first row
    includes the comments and attributes right above it, each on its own line."""
    grammar = context.grammar
    run: tuple[int, int] | None = None  # rows of the comments gathered above the next node
    previous = -1  # last row of the previous sibling
    for child in children:
        first, last = child.start_point.row, _last_row(child)
        if child.type in grammar.transparent:
            yield from _definitions(context, child.named_children)
            run = None
        elif child.type in grammar.attached and first > previous and not _shebang(context, child):
            run = (run[0], last) if run and first <= run[1] + 1 else (first, last)
        else:
            title = _title(context, child)
            if title:
                above = run is not None and first <= run[1] + 1
                yield (run[0] if run and above else first), last, child, title
            run = None
        previous = max(previous, last)


def _shebang(context: _Context, node: Node) -> bool:
    """`#!/bin/sh` belongs to the file, not to the function below it."""
    return node.start_byte == 0 and context.source.startswith(b"#!")


def _last_row(node: Node) -> int:
    """The last row a node has text on (a node ending with its newline ends at column 0)."""
    end = node.end_point
    if end.column == 0 and end.row > node.start_point.row:
        return int(end.row) - 1
    return int(end.row)


def _join(outer: str | None, title: str) -> str:
    return f"{outer} > {title}" if outer else title


def _definition(context: _Context, node: Node) -> Node | None:
    """The definition a node is or wraps (a decorated function, an exported class)."""
    if node.type in context.grammar.wrappers:
        return next(
            (found for c in node.named_children if (found := _definition(context, c))), None
        )
    return node if _keyword(context, node) else None


def _title(context: _Context, node: Node) -> str | None:
    definition = _definition(context, node)
    if definition is None:
        return None
    name = NAMERS.get(definition.type, _plain_name)(context, definition)
    if name is None:
        return None
    title = f"{_keyword(context, definition)} {name}".strip()
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def _keyword(context: _Context, node: Node) -> str | None:
    grammar = context.grammar
    if node.type in grammar.needs_body and node.child_by_field_name("body") is None:
        return None
    return grammar.definitions.get(node.type)


def _plain_name(context: _Context, node: Node) -> str | None:
    return context.text(node.child_by_field_name("name"))


def _variable_name(context: _Context, node: Node) -> str | None:
    """`const push = (x) => ...`: a variable holding a function or class is a definition."""
    kinds = {"arrow_function", "function_expression", "function", "generator_function", "class"}
    for declarator in node.named_children:
        value = declarator.child_by_field_name("value")
        if value is not None and value.type in kinds:
            return _plain_name(context, declarator)
    return None


def _declarator_name(context: _Context, node: Node) -> str | None:
    """The name inside C declarators: `static int *top(struct stack *s)` names `top`."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.child_by_field_name("declarator") is not None:
        declarator = declarator.child_by_field_name("declarator")
    return context.text(declarator) or None


def _field_name(context: _Context, node: Node) -> str | None:
    """A C++ member declaration is a definition only when it declares a method."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return _declarator_name(context, node) if declarator is not None else None


def _specifier_name(context: _Context, node: Node) -> str:
    return context.text(node.child_by_field_name("name")) or "(anonymous)"


def _impl_name(context: _Context, node: Node) -> str:
    trait = node.child_by_field_name("trait")
    target = context.text(node.child_by_field_name("type"))
    return f"{context.text(trait)} for {target}" if trait is not None else target


def _method_name(context: _Context, node: Node) -> str:
    """Go: `func (s *Stack) Push`."""
    receiver = context.text(node.child_by_field_name("receiver"))
    return f"{receiver} {_plain_name(context, node)}".strip()


def _type_names(context: _Context, node: Node) -> str | None:
    """Go: `type ( A int; B string )` names A, B."""
    names = [context.text(c.child_by_field_name("name")) for c in node.named_children]
    return ", ".join(name for name in names if name) or None


NAMERS: dict[str, Callable[[_Context, Node], str | None]] = {
    "lexical_declaration": _variable_name,
    "variable_declaration": _variable_name,
    "function_definition": lambda c, n: _plain_name(c, n) or _declarator_name(c, n),
    "type_definition": _declarator_name,
    "field_declaration": _field_name,
    "struct_specifier": _specifier_name,
    "union_specifier": _specifier_name,
    "enum_specifier": _specifier_name,
    "class_specifier": _specifier_name,
    "namespace_definition": _specifier_name,
    "impl_item": _impl_name,
    "method_declaration": lambda c, n: (
        _method_name(c, n) if n.child_by_field_name("receiver") else _plain_name(c, n)
    ),
    "type_declaration": _type_names,
}
