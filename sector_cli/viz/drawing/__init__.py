"""The drawing kit every family shares: an SVG builder, animated SVG and HTML pages written
by file extension, and the layered layout of a tree of boxes."""

from __future__ import annotations

from sector_cli.viz.drawing.svg import (
    CHAR_WIDTH,
    FONT,
    PAGE_STYLE,
    Svg,
    esc,
    html_page,
    text_width,
    write_output,
    write_page,
)
from sector_cli.viz.drawing.tree_layout import Box, place, preorder, text_box

__all__ = [
    "CHAR_WIDTH",
    "FONT",
    "PAGE_STYLE",
    "Box",
    "Svg",
    "esc",
    "html_page",
    "place",
    "preorder",
    "text_box",
    "text_width",
    "write_output",
    "write_page",
]
