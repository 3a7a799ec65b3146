"""Drawing a syntax tree: a rich tree for the terminal, a layered SVG, and an HTML page that
walks the tree step by step.

Big trees are cut: the terminal shows the first MAX_TERMINAL nodes in pre-order and drawings
the first MAX_DRAWN, each cut or folded node saying how many nodes it hides. The HTML page has
one drawing and a small script that moves the highlight along the walk (no frame per step),
so every drawn node is a step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from sector_cli.viz.drawing import (
    FONT,
    PAGE_STYLE,
    Box,
    Svg,
    esc,
    place,
    text_box,
    text_width,
    write_output,
    write_page,
)
from sector_cli.viz.syntax.tree import Folded, Order, SyntaxNode, SyntaxTree

if TYPE_CHECKING:
    from rich.console import RenderableType

MAX_TERMINAL = 400
MAX_DRAWN = 300
MAX_SOURCE_LINES = 2000  # of the source listing under the HTML drawing
TEXT_CHARS = 24  # of a leaf's text in a box
TRAIL = 6  # steps shown before the current one in the terminal


def step_node(tree: SyntaxTree, order: Order, step: int | None) -> SyntaxNode | None:
    return tree.at_step(order, step) if step is not None else None


def _quoted(text: str, limit: int = TEXT_CHARS) -> str:
    flat = text.replace("\n", "⏎").replace("\t", "→")
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def summary(tree: SyntaxTree) -> str:
    errors = f", {tree.errors} syntax errors" if tree.errors else ""
    if tree.named_only:
        count = f"{len(tree.nodes):,} named nodes ({tree.all_nodes:,} with anonymous ones)"
    else:
        count = f"{len(tree.nodes):,} nodes, named and anonymous"
    return f"{tree.language} syntax tree of {tree.file}: {count}{errors}"


def step_line(tree: SyntaxTree, order: Order, node: SyntaxNode) -> str:
    step = node.pre if order == "pre" else node.post
    text = f" {_quoted(node.text)}" if node.text is not None else ""
    return (
        f"step {step}/{len(tree.nodes)} ({order}-order): {node.type} at {node.span.label()}{text}"
    )


# Terminal ------------------------------------------------------------------------------------


def terminal(
    tree: SyntaxTree, order: Order = "pre", step: int | None = None, depth: int | None = None
) -> RenderableType:
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    current = step_node(tree, order, step)
    folded = tree.fold(depth, MAX_TERMINAL)
    reached = (current.pre if order == "pre" else current.post) if current else None
    branches: dict[int, Tree] = {}
    root: Tree | None = None
    for node_id in folded.shown:
        node = tree.nodes[node_id]
        label = _label(node, folded, order, current, reached)
        if node.parent is None or node.parent not in branches:
            root = branches[node_id] = Tree(label, guide_style="dim")
        else:
            branches[node_id] = branches[node.parent].add(label)
    parts: list[RenderableType] = [Text(summary(tree), style="bold")]
    if root is not None:
        parts.append(root)
    cut = len(tree.nodes) - len(folded.shown)
    if cut:
        why = f"--depth {depth}" if depth is not None else f"the first {MAX_TERMINAL:,} shown"
        parts.append(
            Text(f"{cut:,} nodes folded ({why}): use --depth, --json or --out", style="dim")
        )
    if current is not None:
        parts.append(Text(_trail(tree, order, current)))
        parts.append(Text(step_line(tree, order, current), style="bold"))
    return Group(*parts)


def _label(
    node: SyntaxNode,
    folded: Folded,
    order: Order,
    current: SyntaxNode | None,
    reached: int | None,
) -> RenderableType:
    from rich.text import Text

    label = Text()
    if node.field:
        label.append(f"{node.field}: ", style="dim")
    kind = "bold red" if node.error else "bold cyan" if node.named else "yellow"
    label.append(node.type, style=kind)
    label.append(f"  {node.span.label()}", style="dim")
    if node.text is not None:
        label.append(f"  {_quoted(node.text, 40)}", style="green")
    if node.id in folded.hidden:
        label.append(f"  (+{folded.hidden[node.id]:,} folded)", style="dim italic")
    if current is not None and reached is not None:
        visit = node.pre if order == "pre" else node.post
        if node.id == current.id:
            label.stylize("reverse")
            label.append(f"  ◀ step {visit}", style="bold")
        elif visit > reached:
            label.stylize("dim")
    return label


def _trail(tree: SyntaxTree, order: Order, current: SyntaxNode) -> str:
    walk = tree.walk(order)
    step = current.pre if order == "pre" else current.post
    first = max(step - 1 - TRAIL, 0)
    names = []
    for index in range(first, step):
        node = tree.nodes[walk[index]]
        text = f" {_quoted(node.text, 12)}" if node.text is not None else ""
        names.append(f"{index + 1} {node.type}{text}")
    names[-1] = f"[{names[-1]}]"
    return ("… → " if first else "") + " → ".join(names)


# Layout --------------------------------------------------------------------------------------

FONT_SIZE = 11
SMALL = 9
LINE_H = 14
PAD = 8
H_GAP = 14
V_GAP = 34
MARGIN = 16
TOP = 52


_Box: TypeAlias = Box[SyntaxNode]  # item None: a "+k nodes" marker for what is cut or folded


def _box_lines(node: SyntaxNode) -> list[str]:
    lines = [node.type, node.span.label()]
    if node.text is not None and node.text != node.type:
        lines.append(_quoted(node.text))
    return lines


def layout(tree: SyntaxTree, folded: Folded) -> list[_Box]:
    """Boxes placed as a tidy tree (`tree_layout.place`), rows as tall as a box of three
    lines. Returns the boxes in the order of `folded.shown`, each marker right after the box
    whose nodes it counts (its last child)."""
    boxes: dict[int, _Box] = {}
    ordered: list[_Box] = []
    for node_id in folded.shown:
        node = tree.nodes[node_id]
        box = boxes[node_id] = text_box(node, _box_lines(node), node.depth, FONT_SIZE, PAD)
        ordered.append(box)
        if node.parent is not None and node.parent in boxes:
            boxes[node.parent].children.append(box)
        if node_id in folded.hidden:
            text = f"+{folded.hidden[node_id]:,} nodes"
            marker: _Box = text_box(None, [text], node.depth + 1, FONT_SIZE, PAD)
            box.children.append(marker)
            ordered.append(marker)
    for box in ordered:  # a marker goes after the shown children appended later
        box.children.sort(key=lambda child: child.item is None)
    if ordered:
        place(
            ordered[0],
            h_gap=H_GAP,
            v_gap=V_GAP,
            line_h=LINE_H,
            pad=PAD,
            left=MARGIN,
            top=TOP,
            row_lines=3,
        )
    return ordered


def drawing(
    tree: SyntaxTree,
    order: Order = "pre",
    step: int | None = None,
    depth: int | None = None,
    interactive: bool = False,
) -> Svg:
    """The tree as an SVG; `interactive` marks nodes for the HTML page's script."""
    current = step_node(tree, order, step)
    folded = tree.fold(depth, MAX_DRAWN)
    boxes = layout(tree, folded)
    cut = len(tree.nodes) - len(folded.shown)
    title = summary(tree) + (f" · {cut:,} nodes not drawn" if cut else "")
    stepped = step_line(tree, order, current) if current and not interactive else ""
    heading = max(text_width(title, 12.5), text_width(stepped, 10)) + 2 * MARGIN
    width = max((b.x + b.width for b in boxes), default=200) + MARGIN
    height = max((b.y + b.height for b in boxes), default=60) + MARGIN
    svg = Svg(max(width, heading), height, f"Syntax tree of {tree.file}")
    svg.parts.append(
        "<style>.seen { fill: #dafbe1; stroke: #4ac26b; } .marker { fill: #ffffff; "
        "stroke: #8c959f; stroke-dasharray: 3 2; } .err { fill: #ffebe9; stroke: #cf222e; }"
        "</style>"
    )
    svg.text(MARGIN, 20, title, size=12, bold=True)
    if stepped:
        svg.text(MARGIN, 36, stepped, size=10, cls="muted")
    reached = (current.pre if order == "pre" else current.post) if current else None
    for box in boxes:
        for child in box.children:
            _edge(svg, box, child)
    for box in boxes:
        _draw_box(svg, box, order, current, reached, interactive)
    return svg


def _edge(svg: Svg, parent: _Box, child: _Box) -> None:
    x1, y1 = parent.center, parent.y + parent.height
    x2, y2 = child.center, child.y
    middle = (y1 + y2) / 2
    svg.path(f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}")
    if child.item is not None and child.item.field:  # beside the edge, on its outer side
        right = x2 >= x1
        x = x2 + 4 if right else x2 - 4
        svg.text(x, y2 - 3, child.item.field, SMALL, "start" if right else "end", "muted")


def _draw_box(
    svg: Svg,
    box: _Box,
    order: Order,
    current: SyntaxNode | None,
    reached: int | None,
    interactive: bool,
) -> None:
    node = box.item
    if node is None:
        svg.rect(box.x, box.y, box.width, box.height, cls="marker")
        svg.text(box.center, box.y + LINE_H, box.lines[0], size=FONT_SIZE, anchor="middle")
        return
    cls = "err" if node.error else "box"
    if not interactive and current is not None and reached is not None:
        visit = node.pre if order == "pre" else node.post
        cls = "hot" if node.id == current.id else "seen" if visit < reached else cls
    if interactive:
        svg.parts.append(
            f'<g class="node" data-id="{node.id}" data-pre="{node.pre}" data-post="{node.post}" '
            f'data-line="{node.span.line}" data-end="{node.span.end_line}" '
            f'data-label="{esc(node.type)} {node.span.label()}">'
        )
    svg.rect(box.x, box.y, box.width, box.height, cls=cls)
    for index, line in enumerate(box.lines):
        y = box.y + LINE_H * (index + 1) - 2
        if index == 0:
            svg.text(box.center, y, line, FONT_SIZE, "middle", bold=True)
        else:
            svg.text(box.center, y, line, SMALL + 1, "middle", cls="muted")
    if interactive:
        svg.parts.append("</g>")


# HTML ----------------------------------------------------------------------------------------

TREE_STYLE = (
    "g.node { cursor: pointer; } g.node.seen > rect { fill: #dafbe1; stroke: #4ac26b; } "
    "g.node.current > rect { fill: #fff8c5; stroke: #d4a72c; stroke-width: 2; } "
    ".drawing { overflow: auto; border: 1px solid #d0d7de; max-height: 70vh; } "
    "pre.source { font-family: " + FONT + "; font-size: 12px; border: 1px solid #d0d7de; "
    "padding: .5rem; max-height: 30vh; overflow: auto; } "
    ".src.on { background: #fff8c5; } .src .ln { color: #8c959f; user-select: none; }"
)
TREE_CONTROLS = (
    '<nav><label>walk <select id="order"><option value="pre">pre-order</option>'
    '<option value="post">post-order</option></select></label>'
    '<button id="prev" title="previous (left arrow)">&#9664;</button>'
    '<button id="play" title="play or pause (space)">play</button>'
    '<button id="next" title="next (right arrow)">&#9654;</button>'
    '<input id="step" type="range" min="0" max="{last}" value="0">'
    '<span id="where"></span></nav>'
)
TREE_SCRIPT = """<script>
const nodes = [...document.querySelectorAll('g.node')];
const walks = {
  pre: [...nodes].sort((a, b) => a.dataset.pre - b.dataset.pre),
  post: [...nodes].sort((a, b) => a.dataset.post - b.dataset.post),
};
const lines = [...document.querySelectorAll('.src')];
const slider = document.getElementById('step'), where = document.getElementById('where');
const choice = document.getElementById('order');
let order = document.body.dataset.order, current = Number(document.body.dataset.step), timer = null;
choice.value = order;
function show(n) {
  const walk = walks[order];
  current = Math.max(0, Math.min(walk.length - 1, n));
  walk.forEach((g, i) => { g.classList.toggle('seen', i < current);
                            g.classList.toggle('current', i === current); });
  const g = walk[current];
  slider.value = current;
  where.textContent = 'step ' + (current + 1) + ' / ' + walk.length + ' (' + order +
                      '-order): ' + g.dataset.label;
  const first = Number(g.dataset.line), last = Number(g.dataset.end);
  lines.forEach(l => l.classList.toggle('on', l.dataset.line >= first && l.dataset.line <= last));
  g.scrollIntoView({block: 'nearest', inline: 'nearest'});
}
function play() {
  const button = document.getElementById('play');
  if (timer) { clearInterval(timer); timer = null; button.textContent = 'play'; return; }
  button.textContent = 'pause';
  timer = setInterval(() => current < nodes.length - 1 ? show(current + 1) : play(), 600);
}
document.getElementById('prev').onclick = () => show(current - 1);
document.getElementById('next').onclick = () => show(current + 1);
document.getElementById('play').onclick = play;
choice.onchange = () => { order = choice.value; show(0); };
slider.oninput = () => show(Number(slider.value));
nodes.forEach(g => g.onclick = () => show(walks[order].indexOf(g)));
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowLeft') show(current - 1);
  if (e.key === 'ArrowRight') show(current + 1);
  if (e.key === ' ') { e.preventDefault(); play(); }
});
show(current);
</script>
"""


def page(
    tree: SyntaxTree, order: Order = "pre", step: int | None = None, depth: int | None = None
) -> str:
    """A standalone page: the drawing, a walk control (order, previous, next, play, slider)
    and the source, whose lines light up under the current node."""
    svg = drawing(tree, order, None, depth, interactive=True)
    drawn = tree.fold(depth, MAX_DRAWN).shown
    start = 0
    if step is not None:
        target = tree.at_step(order, step)
        key = (lambda i: tree.nodes[i].pre) if order == "pre" else (lambda i: tree.nodes[i].post)
        walk = sorted(drawn, key=key)
        start = walk.index(target.id) if target.id in walk else 0
    source = "".join(
        f'<span class="src" data-line="{n}"><span class="ln">{n:>5} </span>{esc(text)}\n</span>'
        for n, text in enumerate(tree.lines[:MAX_SOURCE_LINES], start=1)
    )
    more = len(tree.lines) - MAX_SOURCE_LINES
    tail = f"<p>… {more:,} more lines not shown</p>" if more > 0 else ""
    title = f"Syntax tree of {tree.file}"
    cut = len(tree.nodes) - len(drawn)
    note = f" The first {len(drawn):,} nodes are drawn; {cut:,} are not." if cut else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{PAGE_STYLE} {TREE_STYLE}</style></head>\n"
        f'<body data-order="{order}" data-step="{start}">\n<h1>{esc(title)}</h1>\n'
        f"<p>{esc(summary(tree))}.{esc(note)} Walk it with the buttons, the slider, the arrow "
        "keys, or click a node.</p>\n"
        f"{TREE_CONTROLS.replace('{last}', str(max(len(drawn) - 1, 0)))}\n"
        f'<div class="drawing">{svg.render()}</div>\n<pre class="source">{source}</pre>{tail}\n'
        f"{TREE_SCRIPT}</body></html>\n"
    )


def write(
    path: Path,
    tree: SyntaxTree,
    order: Order = "pre",
    step: int | None = None,
    depth: int | None = None,
) -> str:
    """Write the tree as .svg (the drawing, the step highlighted) or .html (walkable)."""
    if path.suffix.lower() in (".html", ".htm"):
        text = page(tree, order, step, depth)
        write_page(path, text)
        return text
    return write_output(path, f"Syntax tree of {tree.file}", [drawing(tree, order, step, depth)])
