"""Documents for the exporters' tests: every kind of block, hostile text, a real drawing, and
documents too long for one page or slide. Each exporter's test opens what it wrote and finds
these strings in it."""

from __future__ import annotations

from datetime import UTC, datetime

from sector_cli.export.model import (
    BulletList,
    Code,
    Document,
    Figure,
    Heading,
    Meta,
    Note,
    Paragraph,
    Section,
    Span,
    Table,
)
from sector_cli.viz.drawing import Svg

SOURCE = (
    'def greet(name):\n    """Say hello."""\n    return f"hello, {name}"\n\nprint(greet("Ada"))\n'
)
OUTPUT = "hello, Ada\nsecond line of output\n"
HOSTILE = "colour \x1b[31mred\x1b[0m, a bell \x07, a NUL \x00, and \ufffd from bad bytes"
VERDICT = "verdict: ok"


def drawing(label: str = "greet('Ada')", boxes: int = 3) -> Figure:
    """A small tree of boxes drawn with the visualizations' own SVG kit."""
    svg = Svg(120 + 150 * boxes, 160, title="sample")
    svg.rect(20, 20, 140, 44)
    svg.text(90, 47, label, anchor="middle")
    for n in range(boxes):
        x = 20 + 150 * n
        svg.line(90, 64, x + 70, 110, arrow=True)
        svg.rect(x, 110, 140, 40, cls="hot" if n == 0 else "box")
        svg.text(x + 70, 135, f"child {n} → {n * n}", anchor="middle")
    return Figure(svg.render(), svg.width, svg.height, caption="a drawing of calls")


def meta(kind: str = "run") -> Meta:
    return Meta(kind, f"{kind} #7", datetime(2026, 12, 4, 9, 30, tzinfo=UTC), "0.1.0", "demo")


def every_block() -> Document:
    """One document with every block type, hostile text included."""
    blocks = (
        Paragraph((Span("Bold", bold=True), Span(" then "), Span("greet()", code=True),
                   Span(" and "), Span("italic", italic=True))),
        Heading("A heading inside", 3),
        BulletList((Paragraph.of("first item").spans, Paragraph.of("second item").spans)),
        Code(SOURCE, "python", numbered=True, marked=frozenset({3}), caption="greet.py"),
        Table(("stream", "text"), (("stdout", "hello, Ada"), ("verdict", "ok")),
              caption="the run", monospace=frozenset({1})),
        Note("the trace stopped at its time limit", "warning"),
    )  # fmt: skip
    return Document(
        "Run #7 of greet.py",
        meta(),
        (
            Section("Program", blocks),
            Section("Output", (Code(OUTPUT + HOSTILE), Paragraph.of(VERDICT))),
            Section("Call tree", (drawing(),)),
        ),
        notes=(Note("exported from a sample"),),
    )


def long_document(lines: int = 400) -> Document:
    """Output far longer than a page or a slide."""
    output = "\n".join(f"line {n:04d} of the output" for n in range(1, lines + 1))
    return Document("A long run", meta(), (Section("Output", (Code(output),)),))


def frames(count: int = 4) -> Document:
    """An animation: one figure per frame."""
    sections = tuple(
        Section(f"Step {n} of {count}", (drawing(f"frame {n}", boxes=n), Paragraph.of(f"x = {n}")))
        for n in range(1, count + 1)
    )
    return Document("Frames of x", meta("ds"), sections, frames=True)


def picture() -> Document:
    """A document that is one picture (a call tree, a network)."""
    return Document("Call tree of greet", meta("calltree"), (Section("greet", (drawing(),)),))
