"""Syntax trees of source files in any language tree-sitter knows, walked in pre- or
post-order, drawn in the terminal, as SVG and as a walkable HTML page."""

from __future__ import annotations

from sector_cli.viz.syntax.render import terminal, write
from sector_cli.viz.syntax.tree import (
    Folded,
    Order,
    Span,
    SyntaxNode,
    SyntaxTree,
    language_of,
    leaves,
    line_span,
    parse_file,
    parse_source,
    read_source,
)

__all__ = [
    "Folded",
    "Order",
    "Span",
    "SyntaxNode",
    "SyntaxTree",
    "language_of",
    "leaves",
    "line_span",
    "parse_file",
    "parse_source",
    "read_source",
    "terminal",
    "write",
]
