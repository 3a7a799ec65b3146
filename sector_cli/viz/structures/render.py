"""Drawing a variable's frames: text for the terminal (one frame, or all of them in turn),
and SVG drawings for an animated SVG or an HTML page with step controls.

Arrays are rows of cells with their indexes above and their pointers as arrows below; dicts
are key/value tables; linked lists are boxes joined by arrows, each node keeping its place
from frame to frame so that a reversal shows arrows turning round; binary trees are drawn by
in-order position; graphs put their nodes on a circle, in the order they were first seen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sector_cli.viz.drawing import Svg, text_width, write_output
from sector_cli.viz.structures.model import (
    Animation,
    Array,
    BinaryTree,
    Frame,
    Graph,
    Linked,
    Scalar,
    Structure,
    Table,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

MAX_FRAMES = 300  # in a drawing; more are spread evenly and the captions say so


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def describe(structure: Structure) -> str:
    if isinstance(structure, Array):
        return f"{structure.type_name} of {_plural(structure.total, 'item')}"
    if isinstance(structure, Table):
        word = "key" if structure.type_name == "dict" else "attribute"
        return f"{structure.type_name} of {_plural(structure.total, word)}"
    if isinstance(structure, Linked):
        cycle = ", with a cycle" if structure.cycle else ""
        return f"linked list of {_plural(structure.total, 'node')}{cycle}"
    if isinstance(structure, BinaryTree):
        return f"binary tree of {_plural(structure.total, 'node')}"
    if isinstance(structure, Graph):
        return (
            f"graph of {_plural(structure.total, 'node')}, {_plural(len(structure.edges), 'edge')}"
        )
    return "value"


def header(animation: Animation, frame: Frame) -> str:
    return (
        f"{animation.var}: {describe(frame.structure)} · frame {frame.number}/"
        f"{len(animation.frames)} · {frame.caption}"
    )


def more_items(shown: int, total: int, word: str = "item") -> str | None:
    hidden = total - shown
    return f"… {hidden:,} more {word}{'' if hidden == 1 else 's'}" if hidden > 0 else None


def _grouped(pointers: Sequence[tuple[str, int]]) -> dict[int, str]:
    at: dict[int, list[str]] = {}
    for name, where in pointers:
        at.setdefault(where, []).append(name)
    return {where: ", ".join(names) for where, names in at.items()}


# Terminal ------------------------------------------------------------------------------------


def terminal(animation: Animation, frame: Frame, width: int = 100) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    structure = frame.structure
    body: RenderableType
    if isinstance(structure, Array):
        body = Text("\n".join(array_lines(structure, width)))
    elif isinstance(structure, Table):
        body = _table(structure)
    elif isinstance(structure, Linked):
        body = Text("\n".join(linked_lines(structure, animation.var)))
    elif isinstance(structure, BinaryTree):
        body = _tree(structure)
    elif isinstance(structure, Graph):
        body = Text("\n".join(graph_lines(structure)))
    else:
        body = Text(f"{animation.var} = {structure.text}")
    return Group(Text(header(animation, frame), style="bold"), body)


def array_lines(array: Array, width: int = 100) -> list[str]:
    """Rows of cells: indexes above, values, then ↑ and the pointers' names below."""
    if not array.items:
        return ["(empty)"]
    size = max(max(len(item) for item in array.items), len(str(len(array.items) - 1))) + 2
    per_row = max(1, (width - 1) // (size + 1))
    names = _grouped(array.pointers)
    lines: list[str] = []
    for start in range(0, len(array.items), per_row):
        cells = range(start, min(start + per_row, len(array.items)))
        if array.type_name != "set":
            lines.append(" " + "".join(f"{i:^{size}} " for i in cells).rstrip())
        lines.append("│" + "".join(f"{array.items[i]:^{size}}│" for i in cells))
        marks = [(i - start, names[i]) for i in cells if i in names]
        if marks:
            arrows = "".join(f"{'↑' if i in names else '':^{size}} " for i in cells)
            lines.append((" " + arrows).rstrip())
            lines.extend(_labels(marks, size))
    beyond = [f"{n} = {i:,}" for n, i in array.pointers if i >= len(array.items)]
    note = more_items(len(array.items), array.total)
    if note:
        lines.append(note + (f" ({', '.join(beyond)} not shown)" if beyond else ""))
    return lines


def _labels(marks: list[tuple[int, str]], size: int) -> list[str]:
    """Names under their cells, moved to a new line where they would overlap."""
    rows: list[list[str]] = []
    for column, name in marks:
        left = 1 + column * (size + 1) + max((size - len(name)) // 2, 0)
        for row in rows:
            if len(row) <= left - 1 or all(c == " " for c in row[left - 1 : left + len(name)]):
                break
        else:
            row = []
            rows.append(row)
        row.extend(" " * max(left - len(row), 0))
        row[left : left + len(name)] = list(name)
    return ["".join(row).rstrip() for row in rows]


def _table(table: Table) -> RenderableType:
    from rich.console import Group
    from rich.table import Table as RichTable
    from rich.text import Text

    out = RichTable(box=None, header_style="bold", show_edge=False)
    out.add_column("key" if table.type_name == "dict" else "attribute")
    out.add_column("value")
    out.add_column("")
    names = _grouped(table.pointers)
    for index, (key, value) in enumerate(table.rows):
        pointer = Text(f"← {names[index]}" if index in names else "", style="yellow")
        out.add_row(Text(key, style="reverse" if index in names else ""), Text(value), pointer)
    note = more_items(len(table.rows), table.total)
    parts: list[RenderableType] = [out if table.rows else Text("(empty)")]
    if note:
        parts.append(Text(note, style="dim"))
    return Group(*parts)


def linked_lines(linked: Linked, var: str) -> list[str]:
    """The chain from the variable, then the chains the pointers reach that it does not."""
    cells = {cell.id: cell for cell in linked.nodes}
    names = _grouped(linked.pointers)
    printed: set[int] = set()

    def chain(start: int | None) -> str:
        parts, current = [], start
        while current is not None:
            if current in printed:
                parts.append(f"↺ {cells[current].value}" if current in cells else "…")
                return " → ".join(parts)
            cell = cells.get(current)
            if cell is None:
                parts.append("…")
                return " → ".join(parts)
            printed.add(current)
            parts.append(f"[{cell.value}]" + (f"({names[current]})" if current in names else ""))
            current = cell.links[0]
        return " → ".join([*parts, "None"])

    lines = [f"{var} ⇒ {chain(linked.head)}"]
    for name, target in linked.pointers:
        if target not in printed:
            lines.append(f"{name} ⇒ {chain(target)}")
    note = more_items(len(printed), linked.total, "node")
    if note and linked.head is not None:
        lines.append(note)
    return lines


def _tree(tree: BinaryTree) -> RenderableType:
    from rich.text import Text
    from rich.tree import Tree

    cells = {cell.id: cell for cell in tree.nodes}
    names = _grouped(tree.pointers)

    def label(side: str, ref: int | None) -> Text:
        text = Text(f"{side}: " if side else "", style="dim")
        if ref is None:
            return text.append("∅", style="dim")
        cell = cells.get(ref)
        text.append(cell.value if cell else "…", style="bold" if cell else "dim")
        if ref in names:
            text.append(f"  ← {names[ref]}", style="yellow")
        return text

    def grow(branch: Tree, ref: int, seen: set[int]) -> None:
        cell = cells.get(ref)
        if cell is None or ref in seen or all(link is None for link in cell.links):
            return
        seen.add(ref)
        for side, link in zip(("L", "R"), cell.links, strict=True):
            child = branch.add(label(side, link))
            if link is not None:
                grow(child, link, seen)

    if tree.root is None:
        return Text("(empty tree)")
    root = Tree(label("", tree.root), guide_style="dim")
    grow(root, tree.root, set())
    return root


def graph_lines(graph: Graph) -> list[str]:
    names = _grouped(graph.pointers)
    targets: dict[int, list[str]] = {}
    for source, target in graph.edges:
        targets.setdefault(source, []).append(graph.nodes[target])
    lines = []
    for index, label in enumerate(graph.nodes):
        pointer = f"  ← {names[index]}" if index in names else ""
        lines.append(f"{label} → {', '.join(targets.get(index, [])) or '∅'}{pointer}")
    for name, type_name, ids in graph.marks:
        lines.append(f"{name} ({type_name}): {', '.join(graph.nodes[i] for i in ids) or '∅'}")
    note = more_items(len(graph.nodes), graph.total, "node")
    if note:
        lines.append(note)
    return lines


def play(animation: Animation, console: Console, delay: float, live: bool) -> None:
    """Every frame in turn: redrawn in place with a pause on a terminal, else one after
    the other."""
    import time

    for frame in animation.frames:
        if live:
            console.clear()
        console.print(terminal(animation, frame, console.width))
        if live:
            time.sleep(delay)
        elif frame is not animation.frames[-1]:
            console.print()


# Drawings ------------------------------------------------------------------------------------

FONT_SIZE = 12
SMALL = 10
MARGIN = 16
TOP = 48
STYLE = (
    "<style>.seen { fill: #dafbe1; stroke: #4ac26b; } .ptr { fill: #9a6700; } "
    ".slot { fill: #ffffff; stroke: #8c959f; }</style>"
)


class Places:
    """Where nodes go across all frames, so that they keep their place: linked-list nodes by
    heap id in the order they first appear; graph nodes by label, in layers of breadth-first
    distance from the first node seen (over every edge any frame has), each layer in the
    order its nodes first appear."""

    def __init__(self, frames: Sequence[Frame]) -> None:
        self.cells: dict[int, int] = {}
        labels: dict[str, int] = {}
        edges: dict[str, list[str]] = {}
        for frame in frames:
            structure = frame.structure
            if isinstance(structure, Linked):
                for cell in structure.nodes:
                    self.cells.setdefault(cell.id, len(self.cells))
            elif isinstance(structure, Graph):
                for label in structure.nodes:
                    labels.setdefault(label, len(labels))
                for a, b in structure.edges:
                    edges.setdefault(structure.nodes[a], []).append(structure.nodes[b])
        self.layer: dict[str, tuple[int, int]] = {}  # label -> (layer, position in it)
        self.widths: list[int] = []
        for start in labels:
            if start in self.layer:
                continue
            frontier, depth = [start], len(self.widths)
            while frontier:
                fresh = [n for n in dict.fromkeys(frontier) if n not in self.layer]
                if depth == len(self.widths):
                    self.widths.append(0)
                for label in fresh:
                    self.layer[label] = (depth, self.widths[depth])
                    self.widths[depth] += 1
                frontier = [t for n in fresh for t in edges.get(n, []) if t not in self.layer]
                depth += 1


def drawing(animation: Animation, frame: Frame, places: Places | None = None) -> Svg:
    places = places or Places([frame])
    structure = frame.structure
    svg = Svg(420, 120, f"{animation.var} at {frame.caption}")
    svg.parts.append(STYLE)
    svg.text(MARGIN, 22, header(animation, frame), size=13, bold=True)
    if isinstance(structure, Array):
        _draw_array(svg, structure)
    elif isinstance(structure, Table):
        _draw_table(svg, structure)
    elif isinstance(structure, Linked):
        _draw_linked(svg, structure, animation.var, places)
    elif isinstance(structure, BinaryTree):
        _draw_tree(svg, structure)
    elif isinstance(structure, Graph):
        _draw_graph(svg, structure, places)
    elif isinstance(structure, Scalar):
        svg.text(MARGIN, TOP + 10, f"{animation.var} = {structure.text}", FONT_SIZE)
        _grow(svg, MARGIN + text_width(f"{animation.var} = {structure.text}", FONT_SIZE), TOP + 20)
    _grow(svg, text_width(header(animation, frame), 13) + 2 * MARGIN, 0)
    return svg


def _grow(svg: Svg, right: float, bottom: float) -> None:
    svg.width = max(svg.width, right + MARGIN)
    svg.height = max(svg.height, bottom + MARGIN)


def _circle(svg: Svg, x: float, y: float, r: float, cls: str) -> None:
    svg.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" class="{cls}"/>')


def _draw_array(svg: Svg, array: Array) -> None:
    size = max([text_width(item, FONT_SIZE) for item in array.items] + [24]) + 14
    per_row = max(1, min(20, int(1200 // size)))
    names = _grouped(array.pointers)
    depth = max((len(n.split(", ")) for n in names.values()), default=0)
    row_h = 16 + 30 + (22 + 13 * depth if names else 10)
    y = TOP
    for start in range(0, len(array.items), per_row):
        y = TOP + (start // per_row) * row_h
        for i in range(start, min(start + per_row, len(array.items))):
            x = MARGIN + (i - start) * size
            if array.type_name != "set":
                svg.text(x + size / 2, y + 11, i, SMALL, "middle", cls="muted")
            svg.rect(x, y + 16, size, 30, cls="hot" if i in names else "box", rx=0)
            svg.text(x + size / 2, y + 36, array.items[i], FONT_SIZE, "middle")
            if i in names:
                svg.line(x + size / 2, y + 68, x + size / 2, y + 48, arrow=True)
                for k, name in enumerate(names[i].split(", ")):
                    svg.text(x + size / 2, y + 80 + 13 * k, name, SMALL + 1, "middle", cls="ptr")
        _grow(svg, MARGIN + min(len(array.items), per_row) * size, y + row_h)
    if not array.items:
        svg.text(MARGIN, TOP + 20, "(empty)", FONT_SIZE, cls="muted")
    note = more_items(len(array.items), array.total)
    if note:
        beyond = [f"{n} = {i:,}" for n, i in array.pointers if i >= len(array.items)]
        text = note + (f" ({', '.join(beyond)} not shown)" if beyond else "")
        svg.text(MARGIN, y + row_h + 6, text, FONT_SIZE, cls="muted")
        _grow(svg, MARGIN + text_width(text, FONT_SIZE), y + row_h + 12)


def _draw_table(svg: Svg, table: Table) -> None:
    keys = max([text_width(k, FONT_SIZE) for k, _ in table.rows] + [40]) + 20
    values = max([text_width(v, FONT_SIZE) for _, v in table.rows] + [60]) + 20
    names = _grouped(table.pointers)
    svg.text(
        MARGIN + 8,
        TOP + 12,
        "key" if table.type_name == "dict" else "attribute",
        SMALL,
        cls="muted",
    )
    svg.text(MARGIN + keys + 8, TOP + 12, "value", SMALL, cls="muted")
    y = TOP + 18
    for index, (key, value) in enumerate(table.rows):
        cls = "hot" if index in names else "box"
        svg.rect(MARGIN, y, keys, 24, cls=cls, rx=0)
        svg.rect(MARGIN + keys, y, values, 24, cls=cls, rx=0)
        svg.text(MARGIN + 8, y + 16, key, FONT_SIZE, bold=True)
        svg.text(MARGIN + keys + 8, y + 16, value, FONT_SIZE)
        if index in names:
            svg.text(MARGIN + keys + values + 8, y + 16, f"← {names[index]}", SMALL + 1, cls="ptr")
        y += 24
    if not table.rows:
        svg.text(MARGIN, y + 16, "(empty)", FONT_SIZE, cls="muted")
        y += 24
    note = more_items(len(table.rows), table.total)
    if note:
        svg.text(MARGIN, y + 18, note, FONT_SIZE, cls="muted")
        y += 24
    widest = max((text_width(f"← {n}", SMALL + 1) for n in names.values()), default=0)
    _grow(svg, MARGIN + keys + values + widest + 12, y)


NODE_W, NODE_H, SLOT = 64, 30, 18
PER_ROW, GAP_X, ROW_H = 8, 34, 96


def _draw_linked(svg: Svg, linked: Linked, var: str, places: Places) -> None:
    where: dict[int, tuple[float, float]] = {}
    for cell in linked.nodes:
        place = places.cells.get(cell.id, len(places.cells))
        left = float(MARGIN + 40 + (place % PER_ROW) * (NODE_W + GAP_X))
        where[cell.id] = (left, float(TOP + 36 + (place // PER_ROW) * ROW_H))
    head = [(var, linked.head)] if linked.head is not None else []
    labels = _grouped([*head, *linked.pointers])
    pointed = {at for _, at in linked.pointers}
    for cell in linked.nodes:
        x, y = where[cell.id]
        cls = "hot" if cell.id in pointed else "box"
        svg.rect(x, y, NODE_W - SLOT, NODE_H, cls=cls, rx=0)
        svg.rect(x + NODE_W - SLOT, y, SLOT, NODE_H, cls="slot", rx=0)
        svg.text(x + (NODE_W - SLOT) / 2, y + 19, cell.value, FONT_SIZE, "middle")
        sx, sy = x + NODE_W - SLOT / 2, y + NODE_H / 2
        target = cell.links[0]
        if target is None:
            svg.line(x + NODE_W - SLOT, y + NODE_H, x + NODE_W, y)  # a slash: None
        elif target in where:
            _arrow(svg, sx, sy, where[target])
        else:
            svg.line(sx, sy, sx + GAP_X - 4, sy, arrow=True)
            svg.text(sx + GAP_X, sy + 4, "…", FONT_SIZE)
        if cell.id in labels:
            svg.line(x + 12, y - 16, x + 12, y - 2, arrow=True)
            svg.text(
                x + 4, y - 20, labels[cell.id], SMALL + 1, cls="ptr", bold=cell.id == linked.head
            )
        _grow(svg, x + NODE_W + GAP_X, y + NODE_H + 30)
    if linked.head is None:
        svg.text(MARGIN, TOP + 40, f"{var} = None", FONT_SIZE)
        _grow(svg, MARGIN + 120, TOP + 50)
    bottom = max((y for _, y in where.values()), default=TOP) + NODE_H + 30
    note = more_items(len(linked.nodes), linked.total, "node") if linked.head is not None else None
    if note:
        svg.text(MARGIN, bottom, note, FONT_SIZE, cls="muted")
        _grow(svg, MARGIN + text_width(note, FONT_SIZE), bottom + 8)


def _arrow(svg: Svg, sx: float, sy: float, target: tuple[float, float]) -> None:
    """From a next-slot to a node: straight to the node just after, else a curve."""
    tx, ty = target
    if abs(ty + NODE_H / 2 - sy) < 1 and 0 < tx - sx <= GAP_X + SLOT:
        svg.line(sx, sy, tx, sy, arrow=True)
        return
    if abs(ty + NODE_H / 2 - sy) < 1:  # same row: arc over the top (back) or below (forward)
        lift = -34 if tx < sx else 40
        end_x = tx + (NODE_W - SLOT) / 2
        end_y = ty if tx < sx else ty + NODE_H
        _curve(svg, (sx, sy), (sx, sy + lift), (end_x, sy + lift), (end_x, end_y))
        return
    end_x, end_y = tx + (NODE_W - SLOT) / 2, ty if ty > sy else ty + NODE_H
    middle = (sy + end_y) / 2
    _curve(svg, (sx, sy), (sx, middle), (end_x, middle), (end_x, end_y))


Point = tuple[float, float]


def _curve(svg: Svg, start: Point, one: Point, two: Point, end: Point) -> None:
    """A cubic curve with an arrowhead at its end."""
    d = "M{:.1f},{:.1f} C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}".format(*start, *one, *two, *end)
    svg.path(d, arrow=True)


def _draw_tree(svg: Svg, tree: BinaryTree) -> None:
    cells = {cell.id: cell for cell in tree.nodes}
    if tree.root is None:
        svg.text(MARGIN, TOP + 20, "(empty tree)", FONT_SIZE, cls="muted")
        return
    order: list[int] = []
    depth: dict[int, int] = {}

    def inorder(ref: int | None, level: int) -> None:
        if ref is None or ref not in cells or ref in depth:
            return
        depth[ref] = level
        cell = cells[ref]
        inorder(cell.links[0], level + 1)
        order.append(ref)
        inorder(cell.links[1], level + 1)

    inorder(tree.root, 0)
    size = max([text_width(cells[r].value, FONT_SIZE) for r in order] + [20]) + 12
    step_x, radius = max(size + 6, 36), size / 2
    place = {
        ref: (MARGIN + radius + i * step_x, TOP + 24 + depth[ref] * 64)
        for i, ref in enumerate(order)
    }
    names = _grouped(tree.pointers)
    for ref in order:
        x, y = place[ref]
        for side, link in enumerate(cells[ref].links):
            if link is None:
                continue
            if link in place:
                tx, ty = place[link]
                svg.line(x, y + radius, tx, ty - radius)
            else:
                svg.line(x, y + radius, x + (-1 if side == 0 else 1) * 18, y + 40)
                svg.text(x + (-1 if side == 0 else 1) * 22, y + 52, "…", FONT_SIZE, "middle")
    for ref in order:
        x, y = place[ref]
        _circle(svg, x, y, radius, "hot" if ref in names else "box")
        svg.text(x, y + 4, cells[ref].value, FONT_SIZE, "middle")
        if ref in names:
            svg.text(x + radius + 3, y - radius + 4, names[ref], SMALL + 1, cls="ptr")
        _grow(svg, x + radius + 4 + (text_width(names.get(ref, ""), SMALL + 1)), y + radius + 20)
    note = more_items(len(tree.nodes), tree.total, "node")
    if note:
        bottom = max(y for _, y in place.values()) + radius + 30
        svg.text(MARGIN, bottom, note, FONT_SIZE, cls="muted")
        _grow(svg, MARGIN + text_width(note, FONT_SIZE), bottom + 8)


def _draw_graph(svg: Svg, graph: Graph, places: Places) -> None:
    if not graph.nodes:
        svg.text(MARGIN, TOP + 20, "(empty graph)", FONT_SIZE, cls="muted")
        return
    size = max([text_width(label, FONT_SIZE) for label in graph.nodes] + [20]) + 12
    radius, step_x, step_y = size / 2, size + 30, 78
    widest = max(places.widths, default=1) * step_x
    where: list[tuple[float, float]] = []
    for label in graph.nodes:
        layer, position = places.layer.get(label, (0, 0))
        width = places.widths[layer] * step_x if layer < len(places.widths) else step_x
        left = MARGIN + 20 + (widest - width) / 2
        where.append((left + position * step_x + step_x / 2, TOP + 30 + layer * step_y))
    pairs = set(graph.edges)
    for a, b in graph.edges:
        (x1, y1), (x2, y2) = where[a], where[b]
        if a == b:
            top = y1 - radius
            _curve(svg, (x1 - 6, top), (x1 - 24, top - 28), (x1 + 24, top - 28), (x1 + 6, top))
            continue
        both = (b, a) in pairs
        if both and a > b:
            continue  # drawn once, without heads
        if abs(y1 - y2) < 1:  # same layer: an arc above
            lift = y1 - radius - 22 - abs(x2 - x1) / 8
            start, end = (x1, y1 - radius), (x2, y2 - radius - 1)
            if both:
                d = f"M{start[0]:.1f},{start[1]:.1f} C{x1:.1f},{lift:.1f} {x2:.1f},{lift:.1f} "
                svg.path(d + f"{end[0]:.1f},{end[1]:.1f}")
            else:
                _curve(svg, start, (x1, lift), (x2, lift), end)
            continue
        length = math.hypot(x2 - x1, y2 - y1) or 1
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        svg.line(
            x1 + ux * radius,
            y1 + uy * radius,
            x2 - ux * (radius + 1),
            y2 - uy * (radius + 1),
            arrow=not both,
        )
    names = _grouped(graph.pointers)
    seen = {i for _, type_name, ids in graph.marks if type_name == "set" for i in ids}
    for index, label in enumerate(graph.nodes):
        x, y = where[index]
        _circle(svg, x, y, radius, "hot" if index in names else "seen" if index in seen else "box")
        svg.text(x, y + 4, label, FONT_SIZE, "middle", bold=index in names)
        if index in names:
            svg.text(x + radius + 3, y - radius + 2, names[index], SMALL + 1, cls="ptr")
    y = max(y for _, y in where) + radius + 30
    for name, type_name, ids in graph.marks:
        text = f"{name} ({type_name}): {', '.join(graph.nodes[i] for i in ids)}"
        svg.text(MARGIN, y, text, FONT_SIZE)
        _grow(svg, MARGIN + text_width(text, FONT_SIZE), y)
        y += 18
    note = more_items(len(graph.nodes), graph.total, "node")
    if note:
        svg.text(MARGIN, y, note, FONT_SIZE, cls="muted")
        y += 18
    _grow(svg, MARGIN + 40 + widest, y)


# Files ---------------------------------------------------------------------------------------


def chosen_frames(animation: Animation, cap: int | None = None) -> list[Frame]:
    """All the frames, or `cap` (default MAX_FRAMES) spread evenly, first and last kept."""
    cap = MAX_FRAMES if cap is None else max(cap, 2)
    frames = animation.frames
    if len(frames) <= cap:
        return list(frames)
    picks = sorted({round(i * (len(frames) - 1) / (cap - 1)) for i in range(cap)})
    return [frames[i] for i in picks]


def drawings(animation: Animation) -> tuple[list[Svg], list[str]]:
    """The frames as drawings with captions ("step N, line L"), at most MAX_FRAMES."""
    frames = chosen_frames(animation)
    places = Places(animation.frames)
    note = ""
    if len(frames) < len(animation.frames):
        note = f" · {len(frames)} of {len(animation.frames):,} frames shown"
    drawn = [drawing(animation, frame, places) for frame in frames]
    captions = [
        f"{frame.caption} (frame {frame.number} of {len(animation.frames)}){note}"
        for frame in frames
    ]
    return drawn, captions


def write_drawing(animation: Animation, path: Path) -> str:
    drawn, captions = drawings(animation)
    return write_output(
        path, f"{animation.var}: {describe(animation.frames[-1].structure)}", drawn, captions
    )
