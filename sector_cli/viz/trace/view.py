"""What a step of an execution trace looks like: view models built from a `Trace`, a
navigator for stepping (next, previous, jump, run to a line, run to the end, breakpoints),
and the renderers: rich for the terminal, SVG frames (and HTML pages) through the viz kit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sector_cli.viz.drawing import Svg, text_width
from sector_cli.viz.trace.model import HEADER, State, Trace

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

MAX_CELLS = 16  # items of one heap object drawn; the rest is "..."
SOURCE_WINDOW = 24  # source lines around the current one
# The stepper's keys in under 80 columns (Navigator.HELP, shortened for a narrow terminal).
KEYS = "n/p next/previous · j N step · l N to line · e run on · b N break · q quit"


@dataclass(frozen=True)
class Value:
    """A value as drawn: text for atoms, a heap id for references."""

    text: str = ""
    ref: int | None = None

    def plain(self) -> str:
        return f"→ #{self.ref}" if self.ref is not None else self.text


@dataclass(frozen=True)
class FrameView:
    title: str
    variables: list[tuple[str, Value]]
    current: bool = False
    zombie: bool = False


@dataclass(frozen=True)
class HeapView:
    """One heap object: `items` are (label, value) cells; `text` for functions and the like."""

    sid: int
    kind: str  # list | tuple | set | dict | instance | class | function | other
    label: str
    items: list[tuple[str, Value]] = field(default_factory=list)
    text: str = ""
    more: int = 0  # items not shown
    depth: int = 0  # how far from the frames it is first reached (0: a variable's value)


@dataclass(frozen=True)
class StepView:
    number: int  # 1-based
    total: int
    line: int
    event: str
    function: str
    exception: str
    source: list[str]
    frames: list[FrameView]
    heap: list[HeapView]
    stdout: str
    stderr: str
    note: str = ""

    def caption(self) -> str:
        parts = [f"step {self.number} of {self.total}", f"line {self.line}", self.event]
        if self.exception:
            parts.append(self.exception)
        return " · ".join(parts)


def build_view(trace: Trace, index: int) -> StepView:
    """The view model of step `index` (0-based)."""
    step = trace.step(index)
    state = trace.state(index)
    top = state.top()
    frames = [FrameView("Global frame", _variables(state.globals), current=top is None)]
    for frame in state.shown_frames():
        title = f"{frame.name} (frame {frame.fid})" + (" returned" if frame.zombie else "")
        frames.append(
            FrameView(
                title,
                _variables(frame.variables, trace.codes.get(frame.code, ("", []))[1]),
                current=top is not None and frame.fid == top.fid,
                zombie=frame.zombie,
            )
        )
    last = index == len(trace) - 1
    return StepView(
        number=index + 1,
        total=len(trace),
        line=step.line,
        event=step.event.replace("_", " "),
        function=top.name if top else "<module>",
        exception=step.exception,
        source=trace.source.splitlines(),
        frames=frames,
        heap=_heap(state),
        stdout=trace.output(index, "stdout"),
        stderr=trace.output(index, "stderr") + (trace.raw_stderr if last else ""),
        note=trace.stop_message() if last else "",
    )


def value(encoded: Any) -> Value:
    """A Python Tutor encoded value, for drawing."""
    if isinstance(encoded, list):
        if len(encoded) == 2 and encoded[0] == "REF":
            return Value(ref=int(encoded[1]))
        if len(encoded) == 2 and encoded[0] in ("SPECIAL_FLOAT", "IMPORTED_FAUX_PRIMITIVE"):
            return Value(str(encoded[1]))  # drawn as its text: Infinity, imported class
        return Value(str(encoded))
    if isinstance(encoded, str):
        return Value(repr(encoded))
    if isinstance(encoded, bool) or encoded is None:
        return Value(str(encoded))
    return Value(str(encoded))


def _variables(
    variables: dict[str, Any], order: list[str] | None = None
) -> list[tuple[str, Value]]:
    names = [n for n in order or [] if n in variables]
    names += [n for n in variables if n not in names and n != "__return__"]
    if "__return__" in variables:
        names.append("__return__")
    return [("return value" if n == "__return__" else n, value(variables[n])) for n in names]


def _heap(state: State) -> list[HeapView]:
    """The objects reachable from the frames, in the order they are first reached."""
    roots = [*state.globals.values()]
    for frame in state.shown_frames():
        roots += frame.variables.values()
    seen: dict[int, int] = {}  # sid -> depth
    todo = [(encoded, 0) for encoded in reversed(roots)]
    while todo:
        encoded, depth = todo.pop()
        item = value(encoded)
        if item.ref is None or item.ref in seen or item.ref not in state.heap:
            continue
        seen[item.ref] = depth
        todo += [(inner, depth + 1) for inner in reversed(_inside(state.heap[item.ref]))]
    return [_object(sid, state.heap[sid], depth) for sid, depth in seen.items()]


def _inside(encoding: list[Any]) -> list[Any]:
    from sector_cli.viz.trace.model import contents

    return contents(encoding)


def _object(sid: int, encoding: list[Any], depth: int = 0) -> HeapView:
    view = _object_view(sid, encoding)
    return replace(view, depth=depth)


def _object_view(sid: int, encoding: list[Any]) -> HeapView:
    tag = encoding[0] if encoding else "?"
    if tag in ("LIST", "TUPLE", "SET"):
        items = encoding[1:]
        cells = [(str(i) if tag != "SET" else "", value(v)) for i, v in enumerate(items)]
        return HeapView(sid, tag.lower(), tag.lower(), cells[:MAX_CELLS], more=_more(cells))
    if tag in HEADER:
        pairs = [pair for pair in encoding[HEADER[tag] :] if isinstance(pair, list)]
        name = _key if tag == "DICT" else str  # attribute names without quotes
        cells = [(name(pair[0]), value(pair[1])) for pair in pairs]
        kind = {"DICT": "dict", "INSTANCE": "instance", "CLASS": "class"}[tag]
        label = {"DICT": "dict", "INSTANCE": f"{encoding[1]} instance"}.get(tag, "")
        if tag == "CLASS":
            bases = f"({', '.join(encoding[2])})" if encoding[2] else ""
            label = f"class {encoding[1]}{bases}"
        return HeapView(sid, kind, label, cells[:MAX_CELLS], more=_more(cells))
    if tag == "FUNCTION":
        parent = f" [parent: frame {encoding[2]}]" if len(encoding) > 2 and encoding[2] else ""
        return HeapView(sid, "function", "function", text=f"{encoding[1]}{parent}")
    if tag == "INSTANCE_PPRINT":  # its printed form, then its attributes
        cells = [(str(pair[0]), value(pair[1])) for pair in encoding[3:] if isinstance(pair, list)]
        label, text = str(encoding[1]), str(encoding[2])
        return HeapView(sid, "instance", label, cells[:MAX_CELLS], text=text, more=_more(cells))
    return HeapView(sid, "other", str(tag), text=" ".join(map(str, encoding[1:])))


def _more(cells: list[tuple[str, Value]]) -> int:
    return max(len(cells) - MAX_CELLS, 0)


def _key(encoded: Any) -> str:
    return value(encoded).plain()


# Stepping ---------------------------------------------------------------------------------


class Navigator:
    """Where the learner is in a trace, moved by commands: n(ext), p(revious), j N (jump to
    step N), l N (run to line N), e (run to the end, or to the next breakpoint), b N
    (breakpoint on line N, on or off), q(uit)."""

    HELP = "n next · p previous · j N step · l N run to line · e run on · b N breakpoint · q quit"

    def __init__(self, trace: Trace, index: int = 0) -> None:
        self.trace = trace
        self.index = max(0, min(index, len(trace) - 1))
        self.breakpoints: set[int] = set()
        self.done = False

    def command(self, text: str) -> str:
        """Carry out one command; returns a message for the status line."""
        name, _, argument = text.strip().partition(" ")
        number = int(argument) if argument.strip().isdigit() else None
        last = len(self.trace) - 1
        if name in ("n", ""):
            return self._go(self.index + 1) if self.index < last else "at the last step"
        if name == "p":
            return self._go(self.index - 1) if self.index > 0 else "at the first step"
        if name == "q":
            self.done = True
            return ""
        if name == "e":
            hit = self._next_breakpoint()
            return (
                self._go(hit, f"breakpoint on line {self.trace.step(hit).line}")
                if hit
                else (self._go(last, "at the end"))
            )
        if number is None:
            return f"{name} needs a number: {self.HELP}" if name in "jlb" else self.HELP
        if name == "j":
            if not 1 <= number <= len(self.trace):
                return f"no step {number}: steps are 1 to {len(self.trace)}"
            return self._go(number - 1)
        if name == "l":
            found = self.trace.find_line(number, self.index)
            return self._go(found) if found is not None else f"line {number} is not run again"
        if name == "b":
            self.breakpoints ^= {number}
            state = "on" if number in self.breakpoints else "off"
            return f"breakpoint on line {number} {state}"
        return self.HELP

    def _go(self, index: int, message: str = "") -> str:
        self.index = index
        return message

    def _next_breakpoint(self) -> int | None:
        """The next step where a breakpoint's line is about to run (once per run of it)."""
        return self.trace.find_lines(self.breakpoints, self.index) if self.breakpoints else None

    def view(self) -> StepView:
        return build_view(self.trace, self.index)


# The terminal ------------------------------------------------------------------------------


def render_terminal(
    view: StepView, breakpoints: set[int] | None = None, height: int | None = None
) -> RenderableType:
    """The step for rich: source with the current line, frames, heap, output so far.

    With `height`, everything fits in that many rows (the stepper's screen): lines are cut
    with an ellipsis instead of wrapping, and the source, frames, heap and output each get a
    share, so that the header (the source panel's title) stays on the first row."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    output = visible(view.stdout[-2000:] + (view.stderr[-1000:] if view.stderr else ""))
    out_lines = output.splitlines() or [""]  # the program must not drive the terminal
    notes = [Text(t, s) for t, s in ((view.exception, "bold red"), (view.note, "yellow")) if t]
    frames, heap = _frame_lines(view), _heap_lines(view)
    if height is None:
        source_rows, out_rows, frame_rows, heap_rows = SOURCE_WINDOW, len(out_lines), 0, 0
    else:
        out_rows = min(len(out_lines), 3)
        main = max(height - out_rows - 2 - len(notes), 8)
        source_rows = main - 2
        heap_rows = min(len(heap) or 1, max((main - 4) // 3, main - 4 - len(frames), 1))
        frame_rows = main - 4 - heap_rows
    source = _source_lines(view, breakpoints or set(), source_rows)
    layout = Table.grid(padding=(0, 2), expand=True)
    layout.add_column(ratio=3)
    layout.add_column(ratio=2)
    right = Group(
        _panel(frames, "Frames", frame_rows, keep_end=True),
        _panel(heap or [Text("(empty)", "dim")], "Heap", heap_rows),
    )
    layout.add_row(_panel(source, view.caption(), 0 if height is None else source_rows), right)
    parts: list[RenderableType] = [layout, *(notes if height is None else map(_cut, notes))]
    shown = [Text(line) for line in out_lines[-out_rows:]]
    out_panel = _panel(shown, "Output so far", 0 if height is None else out_rows)
    parts.insert(1 + (view.exception != ""), out_panel)
    return Group(*parts)


def _panel(lines: list[Text], title: str, rows: int = 0, keep_end: bool = False) -> RenderableType:
    """A titled panel of lines; with `rows`, exactly that tall, cut lines counted."""
    from rich.panel import Panel
    from rich.text import Text

    if rows and len(lines) > rows:
        cut = len(lines) - rows + 1
        more = Text(f"… {cut} more lines", "dim")
        lines = [more, *lines[cut:]] if keep_end else [*lines[: rows - 1], more]
    body = Text("\n").join(lines)  # wrapped when the screen's height does not matter
    if rows:
        _cut(body)
    return Panel(body, title=title, title_align="left", height=rows + 2 if rows else None)


def _cut(text: Text) -> Text:
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _source_lines(view: StepView, breakpoints: set[int], rows: int) -> list[Text]:
    from rich.text import Text

    first = max(0, min(view.line - 1 - rows // 2, len(view.source) - rows))
    lines = []
    for number, text in enumerate(view.source[first : first + rows], start=first + 1):
        mark = "→" if number == view.line else ("●" if number in breakpoints else " ")
        style = "bold black on yellow" if number == view.line else ""
        lines.append(Text(f"{mark}{number:>4}  {text}", style=style))
    return lines


def _frame_lines(view: StepView) -> list[Text]:
    from rich.text import Text

    lines = []
    for frame in view.frames:
        style = "bold" if frame.current else ("dim" if frame.zombie else "")
        lines.append(Text(frame.title + ("  ◀ running" if frame.current else ""), style))
        for name, item in frame.variables:
            line = Text(f"  {name:<12} ", "cyan")
            line.append(item.plain(), "magenta" if item.ref is not None else "")
            lines.append(line)
    return lines


def _heap_lines(view: StepView) -> list[Text]:
    from rich.text import Text

    lines = []
    for obj in view.heap:
        line = Text(f"#{obj.sid} {obj.label}  ", "bold")
        line.append(_inline(obj))
        lines.append(line)
    return lines


def render_counts(trace: Trace, top: int = 8) -> RenderableType:
    """How often the busiest lines ran and each function was called, over the whole run
    (what is left of a run past the step budget)."""
    from rich.table import Table

    lines, calls = trace.counts()
    source = trace.source.splitlines()
    table = Table(title="Counted to the end of the run", title_justify="left", box=None)
    table.add_column("Line", justify="right")
    table.add_column("Runs", justify="right")
    table.add_column("Source", overflow="ellipsis", no_wrap=True)
    for line, count in sorted(lines.items(), key=lambda item: -item[1])[:top]:
        text = source[line - 1].strip() if 0 < line <= len(source) else ""
        table.add_row(f"line {line}", f"{count:,}", text)
    for name, count in sorted(calls.items(), key=lambda item: -item[1])[:top]:
        table.add_row("call", f"{count:,}", f"{name}()")
    return table


def _inline(obj: HeapView) -> str:
    if obj.text and obj.items:  # a printed instance with attributes
        return f"{obj.text} ({_inline(replace(obj, text=''))[1:-1]})"
    if obj.text:
        return obj.text
    if obj.kind in ("list", "tuple", "set"):
        inner = ", ".join(item.plain() for _, item in obj.items)
        brackets = {"list": "[]", "tuple": "()", "set": "{}"}[obj.kind]
    else:
        sep = ": " if obj.kind == "dict" else "="
        inner = ", ".join(f"{label}{sep}{item.plain()}" for label, item in obj.items)
        brackets = "{}" if obj.kind == "dict" else "()"
    more = f", ... {obj.more} more" if obj.more else ""
    return f"{brackets[0]}{inner}{more}{brackets[1]}"


# SVG ------------------------------------------------------------------------------------

FONT = 12.0
ROW = 20.0
PAD = 10.0


@dataclass
class _Anchor:
    """Where an arrow starts (a value cell) and which object it points to."""

    x: float
    y: float
    ref: int


def render_svg(view: StepView, title: str = "") -> Svg:
    """One frame: source, frames with variables, heap objects, arrows for references, and
    the output so far."""
    source_w = max((text_width(f"{n:>3}  {t}", FONT) for n, t in _window(view)), default=200)
    source_w = min(max(source_w + 2 * PAD, 220.0), 520.0)
    frame_x = source_w + 2 * PAD
    frame_w = max(
        [text_width(f.title, FONT) + 2 * PAD for f in view.frames]
        + [_var_width(f) for f in view.frames]
        + [160.0]
    )
    heap_x = frame_x + frame_w + 70
    svg = Svg(0, 0, title or view.caption())
    anchors: list[_Anchor] = []
    y_source = _draw_source(svg, view, PAD, 28.0, source_w)
    y_frames = _draw_frames(svg, view, frame_x, 28.0, frame_w, anchors)
    boxes, heap_w, y_heap = _draw_heap(svg, view, heap_x, 28.0, anchors)
    for anchor in anchors:
        target = boxes.get(anchor.ref)
        if target is not None:
            tx, ty = target
            bend = max(abs(tx - anchor.x) / 2, 40.0)  # leave rightwards, arrive from the left
            svg.path(f"M{anchor.x:.1f},{anchor.y:.1f} C{anchor.x + bend:.1f},{anchor.y:.1f} "
                     f"{tx - bend:.1f},{ty:.1f} {tx:.1f},{ty:.1f}", arrow=True)  # fmt: skip
    svg.text(PAD, 18, view.caption(), size=13, bold=True)
    bottom = max(y_source, y_frames, y_heap) + PAD
    width = max(heap_x + heap_w + PAD, frame_x + frame_w + PAD, 480.0)
    bottom = _draw_output(svg, view, PAD, bottom, width - 2 * PAD)
    svg.width, svg.height = width, bottom + PAD
    return svg


def _window(view: StepView) -> list[tuple[int, str]]:
    first = max(0, view.line - 1 - SOURCE_WINDOW // 2)
    lines = view.source[first : first + SOURCE_WINDOW]
    return list(enumerate(lines, start=first + 1))


def _var_width(frame: FrameView) -> float:
    widths = [
        text_width(f"{name}  {item.plain()}", FONT) + 3 * PAD for name, item in frame.variables
    ]
    return max(widths, default=0.0)


def _draw_source(svg: Svg, view: StepView, x: float, y: float, width: float) -> float:
    window = _window(view)
    svg.rect(x, y, width, ROW * len(window) + PAD, cls="box")
    for row, (number, text) in enumerate(window):
        top = y + PAD / 2 + row * ROW
        if number == view.line:
            svg.rect(x + 2, top, width - 4, ROW, cls="hot", rx=2)
        svg.text(x + PAD, top + 14, f"{number:>3}", size=FONT, cls="muted")
        svg.text(x + PAD + text_width("000  ", FONT), top + 14, text, size=FONT)
    return y + ROW * len(window) + PAD


def _draw_frames(
    svg: Svg, view: StepView, x: float, y: float, width: float, anchors: list[_Anchor]
) -> float:
    for frame in view.frames:
        height = ROW * (len(frame.variables) + 1) + PAD
        svg.rect(x, y, width, height, cls="hot" if frame.current else "box")
        svg.text(x + PAD, y + 15, frame.title, size=FONT, bold=True,
                 cls="muted" if frame.zombie else "")  # fmt: skip
        for row, (name, item) in enumerate(frame.variables, start=1):
            base = y + row * ROW + 15
            svg.text(x + PAD, base, name, size=FONT)
            if item.ref is None:
                svg.text(x + width - PAD, base, item.text, size=FONT, anchor="end")
            else:
                svg.text(x + width - PAD, base, "•", size=FONT + 2, anchor="end")
                anchors.append(_Anchor(x + width - PAD / 2, base - 4, item.ref))
        y += height + PAD
    return y


HEAP_COLUMNS = 3  # objects reached through others go right, up to this many columns


def _draw_heap(
    svg: Svg, view: StepView, x: float, y: float, anchors: list[_Anchor]
) -> tuple[dict[int, tuple[float, float]], float, float]:
    """Heap objects in columns: values of variables first, what they hold to the right."""
    boxes: dict[int, tuple[float, float]] = {}
    left, bottom = x, y
    for column in range(HEAP_COLUMNS):
        objects = [o for o in view.heap if min(o.depth, HEAP_COLUMNS - 1) == column]
        top, widest = y, 0.0
        for obj in objects:
            width, height = _draw_object(svg, obj, left, top, anchors)
            boxes[obj.sid] = (left, top + 16 + min(height, ROW + 14) / 2)
            widest = max(widest, width)
            top += 16 + height + 14
        bottom = max(bottom, top)
        left += widest + (60 if objects else 0)
    return boxes, max(left - x - 60, 0.0), bottom


def _draw_object(
    svg: Svg, obj: HeapView, x: float, y: float, anchors: list[_Anchor]
) -> tuple[float, float]:
    """The object's label above its box; the label counts in the width, as it may be wider."""
    label = f"#{obj.sid} {obj.label}"
    svg.text(x, y + 10, label, size=FONT - 1, cls="muted")
    width, height = _draw_body(svg, obj, x, y + 16, anchors)
    return max(width, text_width(label, FONT - 1)), height


def _draw_body(
    svg: Svg, obj: HeapView, x: float, top: float, anchors: list[_Anchor]
) -> tuple[float, float]:
    if obj.text:
        width = text_width(obj.text, FONT) + 2 * PAD
        svg.rect(x, top, width, ROW + 4)
        svg.text(x + PAD, top + 16, obj.text, size=FONT)
        if not obj.items:
            return width, ROW + 4
        # a printed instance: its attributes below its printed form
        rows_w, rows_h = _draw_rows(svg, obj, x, top + ROW + 8, anchors)
        return max(width, rows_w), ROW + 8 + rows_h
    if obj.kind in ("list", "tuple", "set"):
        return _draw_cells(svg, obj, x, top, anchors)
    return _draw_rows(svg, obj, x, top, anchors)


def _cell_text(item: Value) -> str:
    return "•" if item.ref is not None else item.text


def _draw_cells(
    svg: Svg, obj: HeapView, x: float, y: float, anchors: list[_Anchor]
) -> tuple[float, float]:
    cells = obj.items or [("", Value(""))]
    widths = [max(text_width(_cell_text(item), FONT) + PAD, 28.0) for _, item in cells]
    left = x
    for (label, item), width in zip(cells, widths, strict=True):
        svg.rect(left, y, width, ROW + 14, cls="box", rx=0)
        if label:
            svg.text(left + 3, y + 10, label, size=8, cls="muted")
        svg.text(left + width / 2, y + 27, _cell_text(item), size=FONT, anchor="middle")
        if item.ref is not None:
            anchors.append(_Anchor(left + width / 2, y + 23, item.ref))
        left += width
    if obj.more:
        svg.text(left + 4, y + 27, f"… {obj.more} more", size=FONT - 1, cls="muted")
        left += text_width(f"… {obj.more} more", FONT) + 8
    return left - x, ROW + 14


def _draw_rows(
    svg: Svg, obj: HeapView, x: float, y: float, anchors: list[_Anchor]
) -> tuple[float, float]:
    rows = obj.items or [("", Value("(empty)"))]
    key_w = max(text_width(label, FONT) for label, _ in rows) + 2 * PAD
    value_w = max(max(text_width(_cell_text(item), FONT) for _, item in rows) + 2 * PAD, 40.0)
    for row, (label, item) in enumerate(rows):
        top = y + row * ROW
        svg.rect(x, top, key_w, ROW, cls="box", rx=0)
        svg.rect(x + key_w, top, value_w, ROW, cls="box", rx=0)
        svg.text(x + PAD, top + 14, label, size=FONT)
        svg.text(x + key_w + PAD, top + 14, _cell_text(item), size=FONT)
        if item.ref is not None:
            anchors.append(_Anchor(x + key_w + value_w - PAD / 2, top + ROW / 2, item.ref))
    height = ROW * len(rows)
    if obj.more:
        svg.text(x, y + height + 12, f"… {obj.more} more", size=FONT - 1, cls="muted")
        height += 14
    return key_w + value_w, height


def _draw_output(svg: Svg, view: StepView, x: float, y: float, width: float) -> float:
    lines = (view.stdout + view.stderr).splitlines()[-8:] or [""]
    svg.text(x, y + 12, "Output so far", size=FONT - 1, cls="muted")
    svg.rect(x, y + 18, width, ROW * len(lines) + PAD)
    for row, text in enumerate(lines):
        svg.text(x + PAD, y + 18 + PAD / 2 + row * ROW + 14, text, size=FONT)
    bottom = y + 18 + ROW * len(lines) + PAD
    for message in (view.exception, view.note):
        if message:
            svg.text(x, bottom + 18, message, size=FONT, bold=True)
            bottom += 22
    return bottom


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def visible(text: str) -> str:
    """Control characters (escape sequences, bells) written as \\x1b-style escapes."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
