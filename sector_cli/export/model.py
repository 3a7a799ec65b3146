"""The document model every export is made of: a kind (a run, a trace, a call tree...) builds
one, an exporter plugin (PDF, DOCX, ...) draws it. Neither knows the other: no kind knows about
DOCX, no format knows about runs.

A document is a title, what it is (`Meta`), and sections of blocks: paragraphs, headings,
lists, code, tables, figures and notes. Figures are SVG, the visualizations' own drawings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Span:
    """A run of text with one style, inside a paragraph or a list item."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    link: str | None = None


Inline = tuple[Span, ...]
SAFE_LINKS = ("http://", "https://", "mailto:")


def safe_link(span: Span) -> str | None:
    """The span's link if a reader may follow it: a web or mail address, never a script
    (`javascript:`), a local file or a data URI that a model's answer could carry."""
    link = (span.link or "").strip()
    return link if link.lower().startswith(SAFE_LINKS) else None


def plain(text: str) -> Inline:
    return (Span(text),)


@dataclass(frozen=True)
class Paragraph:
    spans: Inline

    @classmethod
    def of(cls, text: str) -> Paragraph:
        return cls(plain(text))

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Heading:
    """A heading inside a section (the section's own heading is level 2): level 3 to 6."""

    text: str
    level: int = 3


@dataclass(frozen=True)
class BulletList:
    items: tuple[Inline, ...]
    ordered: bool = False
    start: int = 1


@dataclass(frozen=True)
class Code:
    """Source code or program output, drawn in a monospaced font.

    `language` names a Pygments lexer ("python", "c") to colour it; "" leaves it plain (output).
    `marked` holds line numbers, counted from `first_line`, to light up (the current line of a
    trace step)."""

    text: str
    language: str = ""
    first_line: int = 1
    numbered: bool = False
    marked: frozenset[int] = frozenset()
    caption: str = ""

    def lines(self) -> list[str]:
        return self.text.split("\n") if self.text else [""]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    # Columns, by index, whose cells are code or values and are set in a monospaced font.
    monospace: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Figure:
    """A picture, as SVG text with its size in CSS pixels (the source of every raster copy)."""

    svg: str
    width: float
    height: float
    caption: str = ""
    alt: str = ""  # what a reader without the picture is told; the caption when empty

    @property
    def description(self) -> str:
        return self.alt or self.caption or "figure"


@dataclass(frozen=True)
class Note:
    """Something the reader must know about what is shown: a cut trace, a capped list."""

    text: str
    tone: Literal["info", "warning"] = "info"


Block = Paragraph | Heading | BulletList | Code | Table | Figure | Note


@dataclass(frozen=True)
class Section:
    """A part of a document: a page break may come before it, and a slide shows one."""

    heading: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Meta:
    """What a document is: shown under its title, and in a file's properties."""

    kind: str  # "run", "trace", ...
    reference: str  # "run #12", "conversation #3", "fib.py"
    created: datetime
    version: str  # Sector's
    project: str | None = None

    def line(self) -> str:
        parts = [self.reference]
        if self.project:
            parts.append(f"project {self.project}")
        parts.append(self.created.strftime("%Y-%m-%d %H:%M %Z").strip())
        parts.append(f"Sector {self.version}")
        return " · ".join(parts)


@dataclass(frozen=True)
class Document:
    title: str
    meta: Meta
    sections: tuple[Section, ...]
    # Each section is a frame of an animation (trace steps, data-structure frames): a page or a
    # slide each, and one page that steps through them in HTML.
    frames: bool = False
    # Said about the whole export, first: "the trace stopped at its time limit", "the first
    # 200 of 5,000 steps".
    notes: tuple[Note, ...] = field(default_factory=tuple)

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    def is_picture(self) -> bool:
        """Whether the document is a picture (every section is one figure, maybe with notes
        and a caption): a PNG of it is the picture, not a page."""
        return bool(self.sections) and all(
            sum(isinstance(b, Figure) for b in s.blocks) == 1
            and all(isinstance(b, Figure | Note | Paragraph) for b in s.blocks)
            for s in self.sections
        )
