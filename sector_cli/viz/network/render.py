"""Drawing a network's view: a table in the terminal (rich), a vertical graph of boxes as SVG
(shapes on the edges, collapsed blocks as one box with totals), and an HTML page with both.

Huge models are drawn truncated: the first MAX_ROWS rows (MAX_BOXES boxes), then one line or
box that counts what was left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sector_cli.viz.drawing import CHAR_WIDTH, Svg, text_width, write_output
from sector_cli.viz.network.model import (
    INPUT,
    OUTPUT,
    Edge,
    Row,
    View,
    format_flops,
    format_shape,
    summary_line,
    tensors_label,
)

if TYPE_CHECKING:
    from rich.console import Console

MAX_ROWS = 400  # table rows shown
MAX_BOXES = 150  # boxes drawn
FORMATS = {"onnx": "ONNX", "pytorch": "PyTorch"}


def title(view: View) -> str:
    network = view.network
    return f"{network.title} ({FORMATS.get(network.format, network.format)})"


def _label(row: Row) -> str:
    if row.kind == "layer":
        return row.name
    return ("\u25be " if row.expanded else "\u25b8 ") + row.name


def _cells(row: Row) -> list[str]:
    shape = format_shape(row.shape, row.more_shapes)
    flops = format_flops(row.flops, row.unknown)
    return ["  " * row.depth + _label(row), row.op, shape, f"{row.params:,}", flops]


def footer(view: View) -> list[str]:
    """Notes under the table: unknown FLOPs, collapsed blocks, the reader's own notes."""
    lines = list(view.network.notes)
    if view.unknown_layers:
        ops = ", ".join(view.network.unknown_ops[:8])
        lines.append(f"? FLOPs unknown for {view.unknown_layers} layer(s): {ops}")
    if view.collapsed:
        lines.append(
            f"{view.collapsed} block(s) collapsed: --expand NAME opens one, --expand all opens all"
        )
    lines.append("FLOPs: estimated, one multiply-add counted as 2")
    return lines


def render_terminal(view: View, console: Console, max_rows: int = MAX_ROWS) -> None:
    from rich.table import Table
    from rich.text import Text

    network = view.network
    table = Table(
        title=f"{title(view)}: {summary_line(network)}",
        title_justify="left",
        box=None,
        header_style="bold",
        pad_edge=False,
    )
    table.add_column("Layer", overflow="fold")
    table.add_column("Op", style="cyan", overflow="fold")
    table.add_column("Output shape", overflow="fold")
    table.add_column("Params", justify="right")
    table.add_column("FLOPs", justify="right")
    for row in view.rows[:max_rows]:
        style = "bold" if row.kind == "block" else ""
        table.add_row(*(Text(cell, style=style) for cell in _cells(row)))
    hidden = view.rows[max_rows:]
    if hidden:
        table.add_row(Text(f"\u2026 {len(hidden):,} more rows (--json has them all)", "dim"))
    table.add_section()
    outputs = ", ".join(format_shape(t.shape) for t in network.outputs) or "?"
    table.add_row(
        Text("Total", style="bold"),
        f"{len(network.layers):,} layers",
        outputs,
        Text(f"{network.total_params:,}", style="bold"),
        Text(format_flops(network.total_flops, view.unknown_layers), style="bold"),
    )
    console.print(table)
    for line in footer(view):
        console.print(Text(line, style="dim"))


def text_table(view: View, max_rows: int = MAX_ROWS) -> str:
    """The table as plain text (the HTML page's caption)."""
    network = view.network
    header = ["Layer", "Op", "Output shape", "Params", "FLOPs"]
    rows = [_cells(row) for row in view.rows[:max_rows]]
    outputs = ", ".join(format_shape(t.shape) for t in network.outputs) or "?"
    total = [
        "Total",
        f"{len(network.layers):,} layers",
        outputs,
        f"{network.total_params:,}",
        format_flops(network.total_flops, view.unknown_layers),
    ]
    widths = [max(len(r[i]) for r in [header, *rows, total]) for i in range(5)]

    def line(cells: list[str]) -> str:
        left = [cells[i].ljust(widths[i]) for i in range(3)]
        right = [cells[i].rjust(widths[i]) for i in range(3, 5)]
        return "  ".join(left + right).rstrip()

    out = [f"{title(view)}: {summary_line(network)}", "", line(header)]
    out += [line(cells) for cells in rows]
    if len(view.rows) > max_rows:
        out.append(f"\u2026 {len(view.rows) - max_rows:,} more rows")
    out += ["-" * len(line(header)), line(total), "", *footer(view)]
    return "\n".join(out)


# SVG ------------------------------------------------------------------------------------------

MARGIN = 20
INDENT = 18
BOX_H = 42
GAP = 30  # between boxes: room for an edge and its shape
HEADER_H = 22  # an open block's name, above its members
TITLE_H = 46
EDGE_X = 30  # edges run down this far into the boxes they join
FONT = 12
SMALL = 11


def _box_lines(row: Row) -> tuple[str, str]:
    flops = format_flops(row.flops, row.unknown)
    first = f"\u25b8 {row.name}  ({row.op})" if row.kind == "block" else f"{row.name}  {row.op}"
    return _clip(first), f"{row.params:,} params \u00b7 {flops} FLOPs"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def render_svg(view: View, max_boxes: int = MAX_BOXES) -> Svg:
    """A vertical graph: the inputs, one box per layer or collapsed block, the outputs; each
    edge carries its tensor's shape. Edges that skip boxes bend around on the right."""
    network = view.network
    rows, hidden = _visible(view, max_boxes)
    depth = max((row.depth for row in rows), default=0)
    texts = [line for row in rows for line in _box_lines(row)]
    inputs = "input " + tensors_label(network, network.inputs)
    outputs = "output " + tensors_label(network, network.outputs)
    content = max([text_width(t, FONT) for t in [*texts, inputs, outputs]] + [240.0])
    headers = [  # open blocks' labels, beside the edges that run down on the left
        text_width(_clip(_frame_label(r), 80), SMALL) + EDGE_X + 50 + r.depth * INDENT
        for r in rows
        if not r.drawn
    ]
    box_w = max([content + 24 + depth * INDENT, *headers])
    skips = sum(1 for e in view.edges if not _adjacent(_order(rows), e))
    summary, total = summary_line(network), _total_line(view)
    lanes = 14 * min(skips, 12) + (90 if skips else 0)  # bent edges and their shapes
    width = max(
        MARGIN * 2 + box_w + lanes, text_width(summary, SMALL) + 40, text_width(total, FONT) + 40
    )

    # Layout: y of every drawn row, and of each open block's frame.
    y = float(MARGIN + TITLE_H)
    top: dict[int, float] = {INPUT: y}
    y += BOX_H + GAP
    frames: list[tuple[Row, float, int]] = []
    for index, row in enumerate(rows):  # the rows shown are the first ones: index = position
        if row.drawn:
            top[index] = y
            y += BOX_H + GAP
        else:
            frames.append((row, y, index))
            y += HEADER_H
    more_at = y
    if hidden:
        y += BOX_H + GAP
    top[OUTPUT] = y
    height = y + BOX_H + MARGIN + 34

    svg = Svg(width, height, title(view))
    svg.text(MARGIN, MARGIN + 6, title(view), size=14, bold=True)
    svg.text(MARGIN, MARGIN + 24, summary, size=SMALL, cls="muted")
    for row, start, index in frames:  # open blocks: a frame around their members
        last = _last_member(rows, index)
        bottom = top.get(last, start) + BOX_H + 8 if last is not None else start + HEADER_H
        x = MARGIN + row.depth * INDENT
        svg.rect(x - 6, start - 4, box_w - row.depth * INDENT + 12, bottom - start + 4, rx=8)
        label = _frame_label(row)
        room = int((box_w - row.depth * INDENT - EDGE_X - 40) / (SMALL * CHAR_WIDTH))
        right = MARGIN + box_w  # right-aligned: the edges run down on the left
        svg.text(right - 4, start + 12, _clip(label, room), SMALL, "end", "muted", bold=True)
    _node(svg, MARGIN, top[INPUT], box_w, _clip(inputs, 90), "", "box")
    for index, row in enumerate(rows):
        if row.drawn:
            first, second = _box_lines(row)
            x = MARGIN + row.depth * INDENT
            cls = "hot" if row.kind == "block" else "box"
            _node(svg, x, top[index], box_w - row.depth * INDENT, first, second, cls)
    if hidden:
        layers = sum(len(r.layers) for r in hidden if r.drawn)
        label = f"\u2026 {len(hidden):,} more rows ({layers:,} layers): see --json"
        _node(svg, MARGIN, more_at, box_w, label, "", "box")
    _node(svg, MARGIN, top[OUTPUT], box_w, _clip(outputs, 90), "", "box")
    _edges(svg, view, rows, top, box_w, more_at if hidden else None)
    svg.text(MARGIN, height - MARGIN, total, size=FONT, bold=True)
    return svg


def _frame_label(row: Row) -> str:
    flops = format_flops(row.flops, row.unknown)
    return f"\u25be {row.name} \u00b7 {row.params:,} params \u00b7 {flops} FLOPs"


def _total_line(view: View) -> str:
    network = view.network
    flops = format_flops(network.total_flops, view.unknown_layers)
    return (
        f"Total: {len(network.layers):,} layers \u00b7 {network.total_params:,} parameters "
        f"\u00b7 {flops} FLOPs (multiply-add = 2)"
    )


def _visible(view: View, max_boxes: int) -> tuple[list[Row], list[Row]]:
    """The first rows, up to `max_boxes` boxes, and the rest."""
    boxes = 0
    for position, row in enumerate(view.rows):
        if boxes >= max_boxes:
            return view.rows[:position], view.rows[position:]
        boxes += 1 if row.drawn else 0
    return view.rows, []


def _last_member(rows: list[Row], index: int) -> int | None:
    """The last drawn row inside the open block at `index` (among those shown)."""
    depth = rows[index].depth
    last = None
    for position in range(index + 1, len(rows)):
        row = rows[position]
        if row.depth <= depth:
            break
        if row.drawn:
            last = position
    return last


def _node(svg: Svg, x: float, y: float, w: float, first: str, second: str, cls: str) -> None:
    svg.rect(x, y, w, BOX_H, cls=cls)
    if second:
        svg.text(x + 10, y + 17, first, size=FONT, bold=True)
        svg.text(x + 10, y + 33, second, size=SMALL, cls="muted")
    else:
        svg.text(x + 10, y + 25, first, size=FONT, bold=True)


def _order(rows: list[Row]) -> dict[int, int]:
    """Where each drawn row (and the inputs and outputs) comes, top to bottom."""
    drawn = [INPUT, *(i for i, row in enumerate(rows) if row.drawn), OUTPUT]
    return {index: place for place, index in enumerate(drawn)}


def _adjacent(order: dict[int, int], edge: Edge) -> bool:
    """Whether an edge joins a box to the one right under it (else it bends around)."""
    if edge.source not in order or edge.target not in order:
        return True
    return order[edge.target] == order[edge.source] + 1


def _edges(
    svg: Svg, view: View, rows: list[Row], top: dict[int, float], box_w: float, more: float | None
) -> None:
    right = MARGIN + box_w
    lane = 0
    order = _order(rows)
    for edge in view.edges:
        source, target = edge.source, edge.target
        if target not in top and target != OUTPUT:
            continue  # into the rows left out
        if source not in top:
            if more is None or target != OUTPUT:
                continue
            y1 = more + BOX_H  # from the "more" box
        else:
            y1 = top[source] + BOX_H
        y2 = top[target]
        label = format_shape(edge.shape)
        if _adjacent(order, edge) or source not in top:
            depth = max(rows[i].depth if i >= 0 and i < len(rows) else 0 for i in (source, target))
            x = MARGIN + depth * INDENT + EDGE_X
            svg.line(x, y1, x, y2 - 1, arrow=True)
            svg.text(x + 8, y1 + GAP / 2 + 4, label, size=SMALL, cls="muted")
            continue
        lane += 1
        bend = right + 14 + 14 * min(lane, 12)
        start_y, end_y = y1 - BOX_H / 2, y2 + BOX_H / 2
        svg.path(
            f"M{right:.1f},{start_y:.1f} C{bend:.1f},{start_y:.1f} {bend:.1f},{end_y:.1f} "
            f"{right + 2:.1f},{end_y:.1f}",
            arrow=True,
        )
        svg.text(bend + 4, (start_y + end_y) / 2, label, size=SMALL, cls="muted")


def write_drawing(view: View, path: Path) -> str:
    """`--out`: .svg (the graph) or .html (the graph, then the table as text)."""
    svg = render_svg(view)
    return write_output(path, title(view), [svg], [text_table(view)])
