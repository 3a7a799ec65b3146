"""A picture too large to read on one page (a call tree of 100 calls is some 4,000 px wide)
is printed whole, shrunk, as a map, then in parts at full size, a page each: every part is
the same SVG looking through a window (its root's viewBox) onto a piece of the drawing.
Parts overlap a little, so that a box cut at one part's edge is whole on its neighbour's."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from sector_cli.export.model import Document, Figure, Note, Section

OVERLAP = 0.1  # of a part's width and height
MAX_PARTS = 16  # past it, the parts show the drawing smaller, to stay this many
ZOOM_STEP = 1.25
ROOT = re.compile(r"<svg\b[^>]*>")
SIZE_ATTRIBUTES = re.compile(r'\s(?:width|height|viewBox)="[^"]*"')
VIEWBOX = re.compile(r'\bviewBox="\s*([-\d.e]+)[\s,]+([-\d.e]+)[\s,]+([-\d.e]+)[\s,]+([-\d.e]+)"')


def with_parts(document: Document, box: tuple[float, float], readable: float) -> Document:
    """`document` (a picture) with, after each section whose figure `box` (the CSS px a page
    has for it) shows at less than `readable` of its size, a section per part of it. The
    sections become frames: a page each."""
    sections: list[Section] = []
    for section in document.sections:
        figure = next(b for b in section.blocks if isinstance(b, Figure))
        if fit(figure, box) >= readable:
            sections.append(section)
            continue
        parts, zoom = cut(figure, box, readable)
        note = Note(f"Too large to read on one page: the {len(parts)} pages after this one "
                    f"show it in parts, at {1 / zoom:.0%} of its size.")  # fmt: skip
        sections.append(replace(section, blocks=(*section.blocks, note)))
        sections += [
            Section(f"{section.heading}, part {number} of {len(parts)}", (part,))
            for number, part in enumerate(parts, 1)
        ]
    if len(sections) == len(document.sections):
        return document
    return replace(document, sections=tuple(sections), frames=True)


def fit(figure: Figure, box: tuple[float, float]) -> float:
    """How much of its size the figure keeps, shrunk into `box`."""
    return min(1.0, box[0] / figure.width, box[1] / figure.height)


def cut(figure: Figure, box: tuple[float, float], readable: float) -> tuple[list[Figure], float]:
    """The figure in parts of `box`, left to right, then top to bottom, and how much smaller
    than its size they show it (2.0: half). A drawing whose height fits at `readable` of its
    size is shrunk to one row, so that no part cuts through a row of boxes; then smaller
    still, if need be, to stay within MAX_PARTS."""
    zoom = max(1.0, figure.height / box[1]) if fit(figure, (math.inf, box[1])) >= readable else 1.0
    while True:
        width, height = min(figure.width, box[0] * zoom), min(figure.height, box[1] * zoom)
        xs, ys = _starts(figure.width, width), _starts(figure.height, height)
        if len(xs) * len(ys) <= MAX_PARTS:
            break
        zoom *= ZOOM_STEP
    parts = [
        Figure(
            window(figure, x, y, width, height),
            width / zoom,
            height / zoom,
            caption=_where(row, column, len(ys), len(xs)),
            alt=f"{figure.description}, part {row * len(xs) + column + 1} of {len(xs) * len(ys)}",
        )
        for row, y in enumerate(ys)
        for column, x in enumerate(xs)
    ]
    return parts, zoom


def _where(row: int, column: int, rows: int, columns: int) -> str:
    if rows == 1:
        return f"Part {column + 1} of {columns}, from the left"
    return f"Row {row + 1} of {rows}, column {column + 1} of {columns}"


def _starts(length: float, part: float) -> list[float]:
    """Where parts of `part` px begin to cover `length`, overlapping, the last flush with
    the end."""
    if part >= length:
        return [0.0]
    count = math.ceil((length - part * OVERLAP) / (part * (1 - OVERLAP)))
    count = max(count, 2)
    return [(length - part) * index / (count - 1) for index in range(count)]


def window(figure: Figure, x: float, y: float, width: float, height: float) -> str:
    """The figure's SVG showing only the rectangle at (x, y) of `width` x `height` CSS px."""
    root = ROOT.search(figure.svg)
    if root is None:
        return figure.svg
    left, top, scale_x, scale_y = 0.0, 0.0, 1.0, 1.0
    found = VIEWBOX.search(root.group())
    if found:  # the drawing's own units may differ from its CSS px
        left, top, view_width, view_height = map(float, found.groups())
        scale_x, scale_y = view_width / figure.width, view_height / figure.height
    view = (f"{left + x * scale_x:.2f} {top + y * scale_y:.2f} "
            f"{width * scale_x:.2f} {height * scale_y:.2f}")  # fmt: skip
    opened = SIZE_ATTRIBUTES.sub("", root.group())
    opened = (
        opened[:4] + f' width="{width:.2f}" height="{height:.2f}" viewBox="{view}"' + opened[4:]
    )
    return figure.svg[: root.start()] + opened + figure.svg[root.end() :]
