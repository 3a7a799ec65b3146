"""Drawing a call tree: a rich tree for the terminal, a tidy top-down SVG, and an HTML page
that replays the calls in order, one frame per call or return (at most `frame_cap` frames,
spread evenly over the run when there are more; the captions say so)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from sector_cli.viz.calltree.model import CallNode, CallView
from sector_cli.viz.drawing import Box, Svg, place, text_box, text_width, write_output

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

MAX_FRAMES = 150
FRAME_BUDGET = 20_000  # boxes drawn over all the frames of a page
LABEL_CHARS = 40
TIMES = "\N{MULTIPLICATION SIGN}"


def summary(view: CallView) -> str:
    tree = view.tree
    total = len(tree.calls)
    text = f"{total:,} call{'s' if total != 1 else ''}, {tree.depth:,} deep, {tree.steps:,} steps"
    if view.shown < total:
        how = "identical subtrees folded" if view.folded else ""
        if view.levels is not None:
            how += f"{'; ' if how else ''}levels past {view.levels} folded"
        text += f"; {view.shown:,} drawn ({how}, --max-nodes {view.max_nodes})"
    if tree.uncaught:
        text += f"; uncaught {tree.uncaught}"
    if tree.stopped:
        text += f"; trace cut: {tree.stopped}"
    return text


def _cut(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def badges(node: CallNode) -> str:
    parts = []
    if node.repeats > 1:
        parts.append(f"{TIMES}{node.repeats} #{node.call.id}")
    if node.same_as is not None:
        parts.append(f"↺ #{node.same_as}" + (f" {TIMES}{node.times}" if node.times > 1 else ""))
        if node.hidden:
            parts.append(f"{node.hidden:,} calls folded")
    return ", ".join(parts)


def more(node: CallNode) -> str | None:
    """The marker under a node whose deeper calls are folded."""
    if node.hidden and node.same_as is None:
        return f"… {node.hidden:,} more call{'s' if node.hidden != 1 else ''}"
    return None


# Terminal ------------------------------------------------------------------------------------


def _label(node: CallNode) -> Text:
    from rich.text import Text

    call = node.call
    label = Text()
    if not call.id:
        return Text(call.func, style="bold")
    label.append(call.func, style="bold cyan")
    label.append(f"({', '.join(v for _, v in call.args)})")
    if call.raised is not None:
        label.append(f" ✗ {call.raised}", style="bold red")
    elif call.result is not None:
        label.append(f" → {call.result}", style="green")
    else:
        label.append(" (running)", style="yellow")
    extra = badges(node)
    if extra:
        label.append(f"  {extra}", style="magenta" if node.repeats > 1 else "dim")
    return label


def terminal(view: CallView, width: int = 100) -> RenderableType:
    """A rich tree; levels too deep for `width` (4 columns each) end in a marker."""
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    deepest = max(6, (width - 60) // 4)
    root = Tree(_label(view.root), guide_style="dim")
    todo = [(root, view.root)]
    while todo:  # no recursion: trees can be deep
        branch, node = todo.pop()
        marker = more(node)
        if node.depth >= deepest and node.children:
            under = sum(child.calls for child in node.children) + node.hidden
            marker = f"… {under:,} more calls, deeper (--json or --out show them)"
        else:
            todo.extend((branch.add(_label(child)), child) for child in node.children)
        if marker:
            branch.add(Text(marker, style="dim italic"))
    return Group(Text(summary(view), style="bold"), root)


# Layout --------------------------------------------------------------------------------------

FONT_SIZE = 11
SMALL = 10
LINE_H = 15
PAD = 8
H_GAP = 14
V_GAP = 30
MARGIN = 16
TOP = 44
STYLE = (
    "<style>.marker { fill: #ffffff; stroke: #8c959f; stroke-dasharray: 3 2; } "
    ".err { fill: #ffebe9; stroke: #cf222e; stroke-width: 1.5; } "
    ".ref { fill: #ffffff; stroke: #8c959f; } .fold { fill: #fbefff; stroke: #8250df; } "
    ".active { fill: #ddf4ff; stroke: #0969da; stroke-width: 1.5; } "
    ".raised { fill: #cf222e; } .result { fill: #1a7f37; }</style>"
)


_Box: TypeAlias = Box[CallNode]  # item None: a "… N more calls" marker


def _lines(node: CallNode) -> list[str]:
    call = node.call
    if not call.id:
        return ["<module>"]
    lines = [_cut(call.label), _cut(call.outcome)]
    extra = badges(node)
    if extra:
        lines.append(_cut(extra))
    return lines


def layout(view: CallView) -> list[_Box]:
    """Boxes placed as a tidy tree (`tree_layout.place`), parents before their children, the
    root first. A node whose deeper calls are folded has a marker box as its last child."""
    boxes: list[_Box] = []
    markers: list[tuple[_Box, _Box]] = []
    todo: list[tuple[CallNode, _Box | None]] = [(view.root, None)]
    while todo:  # pre-order without recursion: trees can be deep
        node, parent = todo.pop()
        box: _Box = text_box(node, _lines(node), node.depth, FONT_SIZE, PAD)
        boxes.append(box)
        if parent is not None:
            parent.children.append(box)
        todo.extend((child, box) for child in reversed(node.children))
        marker = more(node)
        if marker:
            markers.append((box, text_box(None, [marker], node.depth + 1, FONT_SIZE, PAD)))
    for box, mark in markers:  # after the calls under the same box
        box.children.append(mark)
    return place(boxes[0], h_gap=H_GAP, v_gap=V_GAP, line_h=LINE_H, pad=PAD, left=MARGIN, top=TOP)


# Drawing -------------------------------------------------------------------------------------


def drawing(view: CallView, boxes: list[_Box], step: int | None = None) -> Svg:
    """The tree as it stands at trace step `step` (None: the whole run): calls not made yet
    are left out, calls still running are blue, the call or return at `step` is yellow."""
    title = summary(view)
    right = max((b.x + b.width for b in boxes), default=200) + MARGIN
    width = max(right, 420, text_width(title, 12) + 2 * MARGIN)
    height = max((b.y + b.height for b in boxes), default=60) + MARGIN
    svg = Svg(width, height, f"Call tree: {view.root.call.label}")
    svg.parts.append(STYLE)
    svg.text(MARGIN, 22, title, size=12, bold=True)

    def shown(box: _Box) -> bool:
        if step is None or box.item is None or not box.item.call.id:
            return True
        return box.item.call.call_step <= step

    for box in boxes:
        if box.item is not None and shown(box):
            for child in box.children:
                if child.item is not None and shown(child):
                    _edge(svg, box, child)
    for box in boxes:
        if box.item is None:
            continue
        if shown(box):
            _box(svg, box, step)
            for child in box.children:
                if child.item is None and (step is None or _returned(box, step)):
                    _marker(svg, box, child)
    return svg


def _returned(box: _Box, step: int) -> bool:
    node = box.item
    if node is None or not node.call.id:
        return True
    return node.call.return_step is not None and node.call.return_step <= step


def _edge(svg: Svg, parent: _Box, child: _Box) -> None:
    x1, y1 = parent.center, parent.y + parent.height
    x2, y2 = child.center, child.y
    middle = (y1 + y2) / 2
    svg.path(f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}")


def _marker(svg: Svg, parent: _Box, box: _Box) -> None:
    svg.path(f"M{parent.center:.1f},{parent.y + parent.height:.1f} L{box.center:.1f},{box.y:.1f}")
    svg.rect(box.x, box.y, box.width, box.height, cls="marker")
    svg.text(box.center, box.y + LINE_H, box.lines[0], FONT_SIZE, "middle", cls="muted")


def _box(svg: Svg, box: _Box, step: int | None) -> None:
    node = box.item
    assert node is not None
    call = node.call
    done = step is None or _returned(box, step)
    current = step is not None and step in (call.call_step, call.return_step)
    if current:
        cls = "hot"
    elif call.raised is not None and done:
        cls = "err"
    elif not done:
        cls = "active"
    elif node.same_as is not None:
        cls = "ref"
    elif node.repeats > 1:
        cls = "fold"
    else:
        cls = "box"
    svg.rect(box.x, box.y, box.width, box.height, cls=cls)
    for index, line in enumerate(box.lines):
        y = box.y + LINE_H * (index + 1) - 2
        if index == 0:
            svg.text(box.center, y, line, FONT_SIZE, "middle", bold=True)
        elif index == 1:
            shown = line if done else "…"
            kind = "raised" if call.raised is not None else "result"
            svg.text(box.center, y, shown, SMALL, "middle", cls=kind if done else "muted")
        else:
            svg.text(box.center, y, line, SMALL, "middle", cls="muted")


# Frames and files ----------------------------------------------------------------------------


def frame_cap(view: CallView) -> int:
    boxes = max(len(view.nodes()), 1)
    return max(10, min(MAX_FRAMES, FRAME_BUDGET // boxes))


def frames(view: CallView) -> tuple[list[Svg], list[str]]:
    """One drawing per call and return, in the order they happened (spread evenly over the
    run past `frame_cap`), with captions; the whole tree when nothing was called."""
    boxes = layout(view)
    events = view.events()
    if not events:
        return [drawing(view, boxes)], ["no calls"]
    cap = frame_cap(view)
    chosen = list(range(len(events)))
    note = ""
    if len(events) > cap:
        chosen = sorted({round(i * (len(events) - 1) / (cap - 1)) for i in range(cap)})
        note = f" · {len(chosen)} of {len(events):,} calls and returns shown"
    drawings, captions = [], []
    for position, index in enumerate(chosen, start=1):
        kind, node, step = events[index]
        call = node.call
        what = f"call {call.label}" if kind == "call" else f"{call.label} {call.outcome}"
        line = call.line if kind == "call" else call.return_line
        drawings.append(drawing(view, boxes, step))
        captions.append(
            f"step {step}, line {line}: {what} (frame {position} of {len(chosen)}){note}"
        )
    return drawings, captions


def write_drawing(view: CallView, path: Path) -> str:
    """.svg: the whole tree; .html: the replay, frame by frame."""
    title = f"Call tree of {view.root.call.label}"
    if path.suffix.lower() == ".svg":
        return write_output(path, title, [drawing(view, layout(view))])
    drawn, captions = frames(view)
    return write_output(path, title, drawn, captions)
