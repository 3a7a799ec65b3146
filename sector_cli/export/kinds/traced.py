"""The kinds drawn from an execution trace: `trace` (chosen steps: the current line, frames,
heap, output), `calltree` (the tree of calls) and `ds` (a variable's structure, frame by
frame). REF is a Python FILE, traced now in the sandbox and kept as a run, or a RUN number
whose trace `sector run FILE --trace` recorded. The pictures are the visualizations' own SVG."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sector_cli.errors import UsageError
from sector_cli.export.kinds import ExportRequest, meta_for
from sector_cli.export.kinds.steps import check_steps, parse_steps
from sector_cli.export.model import (
    Block,
    Code,
    Document,
    Figure,
    Note,
    Paragraph,
    Section,
    Table,
)

if TYPE_CHECKING:
    from sector_cli.services import Services
    from sector_cli.viz.drawing import Svg
    from sector_cli.viz.trace import StepView, Trace
    from sector_cli.viz.trace.view import FrameView

MAX_STEPS = 200  # sections of a trace (or frames of a ds) without --steps
SOURCE_LINES = 60  # a longer program shows this many lines around the current one
OUTPUT_LINES = 40  # of the output so far
VALUE_CHARS = 80  # of a variable's value in the table


def open_program(ref: str, request: ExportRequest, services: Services) -> Trace:
    """The trace of a RUN, or of a FILE traced now (kept as a run), as `viz trace` opens it."""
    from sector_cli.viz.trace import open_trace, trace_options

    options = trace_options(request.runner, request.timeout, request.memory, request.stdin)
    return open_trace(services.runs, ref, options)


def figure(svg: Svg, caption: str = "", alt: str = "") -> Figure:
    return Figure(svg.render(), svg.width, svg.height, caption, alt)


def reference(trace: Trace) -> str:
    return f"{trace.label}, run #{trace.run_id}" if trace.run_id is not None else trace.label


def stop_notes(trace: Trace) -> list[Note]:
    """A trace cut by its time limit, its step budget or a kill: what is shown is what exists."""
    message = trace.stop_message()
    if not message:
        return []
    return [Note(f"The trace is incomplete: {message}. What was recorded is shown.", "warning")]


def chosen(text: str | None, total: int, word: str) -> tuple[list[int], list[Note]]:
    """The indexes `--steps` picks, or the first MAX_STEPS with a note saying so."""
    if text is not None:
        return parse_steps(text, total, word), []
    if total <= MAX_STEPS:
        return list(range(total)), []
    note = Note(
        f"The first {MAX_STEPS} of {total:,} {word}s are shown: choose others with --steps."
    )
    return list(range(MAX_STEPS)), [note]


# trace ----------------------------------------------------------------------------------------


def build_trace(ref: str, request: ExportRequest, services: Services) -> Document:
    from sector_cli.viz.trace import build_view

    if request.steps is not None:
        check_steps(request.steps)  # bad text costs no run
    trace = open_program(ref, request, services)
    if not len(trace):
        hint = (
            "Trace it again with a longer --timeout"
            if trace.stopped in ("time", "cpu")
            else f"See what it did: `sector runs show {trace.run_id}`"
        )
        raise UsageError(
            f"the trace of {reference(trace)} has no steps: "
            f"{trace.stop_message() or 'the program did nothing'}",
            hint,
        )
    indexes, notes = chosen(request.steps, len(trace), "step")
    sections = tuple(_step_section(build_view(trace, index)) for index in indexes)
    return Document(
        f"Trace of {trace.label}",
        meta_for("trace", reference(trace), services),
        sections,
        frames=True,
        notes=(*stop_notes(trace), *notes),
    )


def _step_section(view: StepView) -> Section:
    from sector_cli.viz.trace import render_svg

    blocks: list[Block] = [
        figure(render_svg(view), alt=_step_alt(view)),  # the heading is its caption
        _source(view),
        _frames_table(view),
    ]
    if view.exception:
        blocks.append(Note(view.exception, "warning"))
    blocks += _output(view.stdout, "stdout so far")
    blocks += _output(view.stderr, "stderr so far")
    return Section(view.caption(), tuple(blocks))


def _step_alt(view: StepView) -> str:
    return f"Step {view.number} of {view.total}: line {view.line} in {view.function}"


def _source(view: StepView) -> Code:
    """The program with the current line marked; a long one around that line."""
    lines = view.source
    first = 0
    if len(lines) > SOURCE_LINES:
        first = min(max(view.line - 1 - SOURCE_LINES // 2, 0), len(lines) - SOURCE_LINES)
        lines = lines[first : first + SOURCE_LINES]
    return Code(
        "\n".join(lines),
        "python",
        first_line=first + 1,
        numbered=True,
        marked=frozenset({view.line}),
        caption=f"line {view.line} ({view.event}, in {view.function})",
    )


def _frames_table(view: StepView) -> Table:
    rows: list[tuple[str, str, str]] = []
    for frame in view.frames:
        cells = [(name, _cut(value.plain())) for name, value in frame.variables]
        # The frame named on its first row only: the rows under it are its variables.
        for position, (name, value) in enumerate(cells or [("", "(no variables)")]):
            rows.append((_frame_title(frame) if position == 0 else "", name, value))
    return Table(
        ("frame", "variable", "value"),
        tuple(rows),
        caption="Variables (→ #N: the heap object N in the drawing)",
        monospace=frozenset({1, 2}),
    )


def _frame_title(frame: FrameView) -> str:
    return frame.title + (" (current)" if frame.current else "")


def _output(text: str, caption: str) -> list[Block]:
    if not text:
        return []
    lines = text.splitlines()
    if len(lines) > OUTPUT_LINES:
        caption += f" (the last {OUTPUT_LINES} of {len(lines):,} lines)"
        text = "\n".join(lines[-OUTPUT_LINES:])
    return [Code(text.rstrip("\n"), caption=caption)]


def _cut(text: str, limit: int = VALUE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# calltree -------------------------------------------------------------------------------------


def build_calltree(ref: str, request: ExportRequest, services: Services) -> Document:
    from sector_cli.viz.calltree import build_calltree as calls_of
    from sector_cli.viz.calltree import fold
    from sector_cli.viz.calltree.render import drawing, layout, summary

    trace = open_program(ref, request, services)
    view = fold(calls_of(trace.to_tutor()), request.max_nodes)
    total = len(view.tree.calls)
    blocks: list[Block] = [
        figure(drawing(view, layout(view)), alt=f"Call tree of {trace.label}"),
        Paragraph.of(summary(view) + "."),
    ]
    if view.shown < total:
        blocks.append(
            Note(
                f"{view.shown:,} of {total:,} calls are drawn, the others folded: "
                f"--max-nodes {max(total, request.max_nodes + 1)} draws more of them."
            )
        )
    return Document(
        f"Call tree of {trace.label}",
        meta_for("calltree", reference(trace), services),
        (Section(f"Calls made by {trace.label}", tuple(blocks)),),
        notes=tuple(stop_notes(trace)),
    )


# ds -------------------------------------------------------------------------------------------


def build_ds(ref: str, request: ExportRequest, services: Services) -> Document:
    from sector_cli.viz.structures import animate
    from sector_cli.viz.structures.render import Places, describe, drawing, header

    var = _var(ref, request)
    if request.steps is not None:
        check_steps(request.steps, "frame")
    trace = open_program(ref, request, services)
    animation = animate(trace.to_tutor(), var, "auto")
    frames = animation.frames
    indexes, notes = chosen(request.steps, len(frames), "frame")
    places = Places(frames)  # nodes keep their place from frame to frame
    sections = []
    for index in indexes:
        frame = frames[index]
        caption = header(animation, frame)
        blocks: list[Block] = [figure(drawing(animation, frame, places), caption, caption)]
        sections.append(Section(f"Frame {frame.number}: {frame.caption}", tuple(blocks)))
    what = describe(frames[-1].structure)
    return Document(
        f"{animation.var} in {trace.label}: {what}",
        meta_for("ds", reference(trace), services),
        tuple(sections),
        frames=True,
        notes=(*stop_notes(trace), *notes),
    )


def _var(ref: str, request: ExportRequest) -> str:
    """--var, checked against a FILE's text before it runs (as `viz ds` does)."""
    from sector_cli.viz.trace import check_program_var

    if not request.var:
        raise UsageError(
            "export ds needs --var NAME: the variable to draw",
            "Name a global, or a local as func:name",
        )
    check_program_var(ref, request.var)
    return request.var
