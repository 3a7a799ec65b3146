"""A layered "tidy tree" layout, shared by the drawings of trees (call trees, syntax trees).

Boxes sit in rows by depth; each subtree gets a block as wide as its children's blocks side
by side (or its own box, when wider), and a parent is centred over its first and last child.
No recursion: trees can be deep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sector_cli.viz.drawing.svg import text_width

T = TypeVar("T")


def preorder(root: T, children: Callable[[T], Sequence[T]]) -> list[T]:
    """A tree's nodes, parents before their children, in order (no recursion)."""
    found, todo = [], [root]
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(reversed(children(node)))
    return found


@dataclass(eq=False)
class Box(Generic[T]):
    """A box of text lines; `place` sets `x`, `y` (its top left) and `height`."""

    item: T | None  # what the box shows; None by the renderers' convention for a marker
    lines: list[str]
    width: float
    depth: int  # its row
    children: list[Box[T]] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0
    height: float = 0.0

    @property
    def center(self) -> float:
        return self.x + self.width / 2


def text_box(item: T | None, lines: list[str], depth: int, font_size: float, pad: float) -> Box[T]:
    """A box as wide as its longest line at `font_size`, plus `pad` on either side."""
    return Box(item, lines, max(text_width(line, font_size) for line in lines) + 2 * pad, depth)


def place(
    root: Box[T],
    *,
    h_gap: float,
    v_gap: float,
    line_h: float,
    pad: float,
    left: float,
    top: float,
    row_lines: int | None = None,
) -> list[Box[T]]:
    """Place the tree under `root` with its block's left edge at `left` and row 0 at `top`.

    A box is `line_h` per line plus `pad` high; rows are `v_gap` apart under the tallest box,
    or under a box of `row_lines` lines when given. Siblings' blocks are `h_gap` apart.
    Returns the boxes in pre-order, parents before their children, the root first."""
    ordered = preorder(root, lambda box: box.children)
    block: dict[int, float] = {}  # by id(box): the width of its subtree's block
    offset: dict[int, float] = {}  # of the box, from its block's left
    starts: dict[int, list[float]] = {}  # of its children's blocks, from its block's left
    for box in reversed(ordered):  # children before parents: blocks from the bottom up
        box.height = len(box.lines) * line_h + pad
        kids = box.children
        inner = sum(block[id(c)] for c in kids) + h_gap * max(len(kids) - 1, 0)
        size = block[id(box)] = max(box.width, inner)
        offset[id(box)] = (size - box.width) / 2
        if kids:
            cursor = (size - inner) / 2
            ours = starts[id(box)] = []
            for child in kids:
                ours.append(cursor)
                cursor += block[id(child)] + h_gap
            first = ours[0] + offset[id(kids[0])] + kids[0].width / 2
            last = ours[-1] + offset[id(kids[-1])] + kids[-1].width / 2
            middle = min(max((first + last) / 2, box.width / 2), size - box.width / 2)
            offset[id(box)] = middle - box.width / 2
    tallest = row_lines * line_h + pad if row_lines is not None else max(b.height for b in ordered)
    row = tallest + v_gap
    lefts = {id(root): left}  # of the blocks
    for box in ordered:  # parents before children: places from the top down
        box.x = lefts[id(box)] + offset[id(box)]
        box.y = top + box.depth * row
        for start, child in zip(starts.get(id(box), ()), box.children, strict=True):
            lefts[id(child)] = lefts[id(box)] + start
    return ordered
