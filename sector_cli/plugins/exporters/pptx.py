"""PPTX: a 16:9 deck. A title slide, then a slide for each section (each frame of an
animation); the visualization as a picture drawn from its SVG, fitted and centred; code in a
monospaced, coloured text box; tables as PowerPoint tables. What does not fit on one slide goes
on to the next ("Output (2/3)"): every block is measured in lines at its font size first, so
nothing runs off a slide."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sector_cli.export.clean import cleaned
from sector_cli.export.highlight import INK, Piece
from sector_cli.export.model import (
    Block,
    BulletList,
    Code,
    Document,
    Figure,
    Heading,
    Inline,
    Note,
    Paragraph,
    Span,
    Table,
    safe_link,
)
from sector_cli.export.raster import svg_to_png
from sector_cli.plugins.exporter import Exporter, ExportOptions, Target, Written
from sector_cli.plugins.exporters.office import set_properties, shown_lines

if TYPE_CHECKING:
    from pptx.presentation import Presentation
    from pptx.slide import Slide
    from pptx.text.text import TextFrame, _Paragraph

# Everything is laid out in points (72 to the inch) on a 13.333 x 7.5 inch slide.
SLIDE_WIDTH, SLIDE_HEIGHT = 960.0, 540.0
MARGIN = 43.0
TITLE_TOP, TITLE_HEIGHT = 22.0, 62.0
BODY_TOP = 96.0
FOOTER_TOP = 508.0
BODY_BOTTOM = FOOTER_TOP - 8.0
BODY_WIDTH = SLIDE_WIDTH - 2 * MARGIN
BODY_HEIGHT = BODY_BOTTOM - BODY_TOP
GAP = 8.0  # between blocks

MONO = "DejaVu Sans Mono"
MONO_PITCH_FAMILY = "49"  # fixed pitch, "modern": PowerPoint without the font takes a monospace
# Average advance of a character, in ems, to count how many fit on a line: generous for the
# theme's Calibri (and for DejaVu Sans where Calibri is missing); exact for DejaVu Sans Mono.
PROPORTIONAL_EM = 0.52
MONO_EM = 0.61
LEADING = 1.2  # line height / font size, set exactly on every paragraph

TEXT_SIZE = 16.0
HEADING_SIZE = 20.0
CODE_SIZE = 12.0
TABLE_SIZE = 14.0
NOTE_SIZE = 14.0
CAPTION_SIZE = 12.0
TITLE_SIZE = 28.0
FOOTER_SIZE = 10.0

CODE_PAD = 6.0  # inside a code box, above and below
CODE_INSET = 9.0  # inside a code box, left and right
CELL_PAD = (7.2, 3.6)  # PowerPoint's own cell margins, left/right and top/bottom
NOTE_PAD = 6.0
FIGURE_MIN = 160.0  # a picture never gets less than this height; else the next slide
FIGURE_ZOOM = 2.0  # at most twice its own size: bigger on a slide, still sharp
MAX_PICTURE_PIXELS = 6000
CSS_PX = 0.75  # points per CSS pixel

INK_HEX = INK
MUTED = "57606A"
CODE_SHADE, CODE_LINE = "F6F8FA", "D0D7DE"
MARKED_SHADE = "FFF1B8"
NUMBER_INK = "8C959F"
NOTE_LOOK = {"info": ("EEF4FC", "4A7CC9", "Note"), "warning": ("FFF5E0", "D4880F", "Warning")}


class PptxExporter(Exporter):
    name: ClassVar[str] = "pptx"
    summary: ClassVar[str] = "a 16:9 slide deck: a slide per section, pictures from the SVG"
    extension: ClassVar[str] = ".pptx"
    media_type: ClassVar[str] = (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )

    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        import pptx

        document = cleaned(document)  # the service did; a direct caller may not have
        deck = pptx.Presentation()
        deck.slide_width, deck.slide_height = _emu(SLIDE_WIDTH), _emu(SLIDE_HEIGHT)
        slides = _Deck(deck, document, options).draw()
        _properties(deck, document, slides)
        deck.save(str(target.path))
        return Written(slides=slides)


# measuring text


def _per_line(width: float, size: float, mono: bool) -> int:
    return max(1, int(width / (size * (MONO_EM if mono else PROPORTIONAL_EM))))


def _line_height(size: float) -> float:
    return size * LEADING


Fragment = tuple[Span, str]


@dataclass
class _Line:
    """A line of a wrapped paragraph: pieces of its spans, and whether a newline ends it."""

    fragments: list[Fragment] = field(default_factory=list)
    hard_break: bool = False

    @property
    def length(self) -> int:
        return sum(len(text) for _, text in self.fragments)


def wrap(spans: Inline, per_line: int) -> list[_Line]:
    """The spans broken into lines of at most `per_line` characters, at spaces where it can
    (as PowerPoint will, or a little later: the count errs on the side of more lines)."""
    lines = [_Line()]
    for span in spans:
        for index, text in enumerate(span.text.split("\n")):
            if index:
                lines[-1].hard_break = True
                lines.append(_Line())
            for word in re.findall(r"\S+\s*|\s+", text):
                while word:
                    room = per_line - lines[-1].length
                    if len(word.rstrip()) <= room:
                        lines[-1].fragments.append((span, word))
                        break
                    if lines[-1].length:  # start the word on a new line
                        lines.append(_Line())
                        continue
                    lines[-1].fragments.append((span, word[:per_line]))  # a word too long
                    word = word[per_line:]
                    lines.append(_Line())
    if len(lines) > 1 and not lines[-1].fragments and not lines[-1].hard_break:
        lines.pop()
    return lines


def _wrapped_count(text: str, per_line: int) -> int:
    return max(1, math.ceil(len(text) / per_line))


# flows: a block as rows of known height that can go on different slides


class _Flow:
    """A block laid out as rows (lines, list items, table rows), each of a known height;
    `overhead` is what each part of it on a slide adds (padding, a table's header)."""

    overhead: float = 0.0
    keep_with_next: bool = False

    def rows(self) -> list[float]:
        raise NotImplementedError

    def draw(self, slide: Slide, first: int, last: int, top: float, height: float) -> None:
        raise NotImplementedError


class _TextFlow(_Flow):
    """Paragraphs, headings and lists: a text box with one row per wrapped line."""

    def __init__(self, items: list[Inline], size: float, *, bold: bool = False,
                 bullets: BulletList | None = None) -> None:  # fmt: skip
        self.size = size
        self.bold = bold
        self.bullets = bullets
        self.indent = 22.0 if bullets else 0.0
        per_line = _per_line(BODY_WIDTH - self.indent, size, mono=False)
        # (item index, line) for each row
        self.lines = [(n, line) for n, item in enumerate(items) for line in wrap(item, per_line)]
        self.starts = {n: row for row, (n, _) in reversed(list(enumerate(self.lines)))}

    def rows(self) -> list[float]:
        return [_line_height(self.size)] * len(self.lines)

    def draw(self, slide: Slide, first: int, last: int, top: float, height: float) -> None:
        frame = _text_box(slide, MARGIN, top, BODY_WIDTH, height)
        paragraph: _Paragraph | None = None
        item = -1
        # A list's numbers go on from the slide before; an item that began there has none.
        begun = [n for n, _ in self.lines[first:last] if self.starts[n] >= first]
        number = begun[0] if begun else 0
        for n, line in self.lines[first:last]:
            if paragraph is None or n != item:
                paragraph = _next_paragraph(frame, paragraph is None, self.size)
                item = n
                if self.bullets is not None:
                    marked = self.starts[n] >= first
                    _bullet(paragraph, self.bullets, number, self.indent, marked)
            for span, text in line.fragments:
                _span_run(paragraph, span, text, self.size, self.bold)
            if line.hard_break:
                _line_break(paragraph)


class _CodeFlow(_Flow):
    """Code or output in a shaded box of monospaced, coloured lines; a line too long for the
    box wraps, and its wrapped lines stay on one slide."""

    overhead = 2 * CODE_PAD

    def __init__(self, code: Code) -> None:
        self.code = code
        self.lines = shown_lines(code)
        last = code.first_line + len(self.lines) - 1
        self.number_width = len(str(last)) if code.numbered else 0
        self.per_line = _per_line(BODY_WIDTH - 2 * CODE_INSET, CODE_SIZE, mono=True)
        prefix = self.number_width + 2 if code.numbered else 0
        self.counts = [
            _wrapped_count(
                prefix * " " + "".join(p.text for p in line).expandtabs(4), self.per_line
            )
            for line in self.lines
        ]
        most = int((BODY_HEIGHT - self.overhead) // _line_height(CODE_SIZE))
        self.counts = [min(count, most) for count in self.counts]

    def rows(self) -> list[float]:
        return [count * _line_height(CODE_SIZE) for count in self.counts]

    def draw(self, slide: Slide, first: int, last: int, top: float, height: float) -> None:
        # The box, then a band behind each marked line, then the text over them both: one
        # group, which moves as one.
        group = slide.shapes.add_group_shape()
        group.name = "Code block"
        shapes = group.shapes
        box = _rectangle(shapes, MARGIN, top, BODY_WIDTH, height)
        _fill(box, CODE_SHADE, CODE_LINE)
        box.name = "Code background"
        line_top = top + CODE_PAD
        for index in range(first, last):
            band = self.counts[index] * _line_height(CODE_SIZE)
            if self.code.first_line + index in self.code.marked:
                mark = _rectangle(shapes, MARGIN + 1, line_top, BODY_WIDTH - 2, band)
                _fill(mark, MARKED_SHADE, MARKED_SHADE)
                mark.name = "Marked line"
            line_top += band
        text = shapes.add_textbox(_emu(MARGIN), _emu(top), _emu(BODY_WIDTH), _emu(height))
        text.name = "Code"
        frame = _frame(text.text_frame, CODE_INSET, CODE_PAD)
        for index in range(first, last):
            number = self.code.first_line + index
            paragraph = _next_paragraph(frame, index == first, CODE_SIZE)
            marked = number in self.code.marked
            if self.code.numbered:
                run = _mono_run(paragraph, f"{number:>{self.number_width}}  ", CODE_SIZE,
                                INK_HEX if marked else NUMBER_INK)  # fmt: skip
                run.font.bold = marked or None
            for piece in self.lines[index]:
                _piece_run(paragraph, piece)


class _CaptionFlow(_Flow):
    keep_with_next = True

    def __init__(self, text: str) -> None:
        self.lines = wrap((Span(text, italic=True),), _per_line(BODY_WIDTH, CAPTION_SIZE, False))

    def rows(self) -> list[float]:
        return [_line_height(CAPTION_SIZE)] * len(self.lines)

    def draw(self, slide: Slide, first: int, last: int, top: float, height: float) -> None:
        frame = _text_box(slide, MARGIN, top, BODY_WIDTH, height)
        paragraph = _next_paragraph(frame, True, CAPTION_SIZE)
        for line in self.lines[first:last]:
            for span, text in line.fragments:
                _span_run(paragraph, span, text, CAPTION_SIZE, False).font.color.rgb = _rgb(MUTED)


class _TableFlow(_Flow):
    """A PowerPoint table; its header row comes again on every slide it continues on."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = max([len(table.header), *(len(row) for row in table.rows)], default=0)
        self.widths = _column_widths(table, self.columns)
        self.header = self._cell_lines(table.header, header=True) if table.header else []
        self.body = [self._cell_lines(row, header=False) for row in table.rows]
        most = int((BODY_HEIGHT - self._height(self.header) - 2 * CELL_PAD[1]) //
                   _line_height(TABLE_SIZE))  # fmt: skip
        # A row taller than a slide goes on as several rows, its cells' lines shared out.
        self.parts: list[list[list[str]]] = []
        for row in self.body:
            tallest = max((len(cell) for cell in row), default=1)
            for start in range(0, max(tallest, 1), max(most, 1)):
                self.parts.append([cell[start : start + most] for cell in row])
        self.overhead = self._height(self.header) if self.header else 0.0

    def _cell_lines(self, values: tuple[str, ...], header: bool) -> list[list[str]]:
        cells = []
        for index in range(self.columns):
            text = values[index] if index < len(values) else ""
            mono = index in self.table.monospace and not header
            per_line = _per_line(self.widths[index] - 2 * CELL_PAD[0], TABLE_SIZE, mono)
            lines = wrap((Span(text),), per_line)
            cells.append(["".join(t for _, t in line.fragments) for line in lines])
        return cells

    def _height(self, row: list[list[str]]) -> float:
        tallest = max((len(cell) for cell in row), default=1)
        return max(tallest, 1) * _line_height(TABLE_SIZE) + 2 * CELL_PAD[1]

    def rows(self) -> list[float]:
        # A table of a header alone is its header: one row of no height after it.
        return [self._height(row) for row in self.parts] or [0.0]

    def draw(self, slide: Slide, first: int, last: int, top: float, height: float) -> None:
        rows = ([self.header] if self.header else []) + self.parts[first:last]
        shape = slide.shapes.add_table(len(rows), self.columns, _emu(MARGIN), _emu(top),
                                       _emu(sum(self.widths)), _emu(height))  # fmt: skip
        grid = shape.table
        grid.first_row = bool(self.header)
        for index, width in enumerate(self.widths):
            grid.columns[index].width = _emu(width)
        for r, row in enumerate(rows):
            grid.rows[r].height = _emu(self._height(row))
            header = bool(self.header) and r == 0
            for c, lines in enumerate(row):
                mono = c in self.table.monospace and not header
                _cell(grid.cell(r, c), "".join(lines), mono=mono, bold=header)


class _FigureFlow(_Flow):
    """A picture drawn from the figure's SVG, as large as the room left on its slide allows
    (up to twice its own size), centred, with its caption under it."""

    def __init__(self, figure: Figure, options: ExportOptions) -> None:
        self.figure = figure
        self.options = options
        self.caption = _line_height(CAPTION_SIZE) + 4 if figure.caption else 0.0
        width, height = max(figure.width, 1.0) * CSS_PX, max(figure.height, 1.0) * CSS_PX
        self.aspect = height / width
        # The tallest it is worth being: twice its size, as wide as the slide at most.
        self.most = min(height * FIGURE_ZOOM, BODY_WIDTH * self.aspect, BODY_HEIGHT - self.caption)
        self.least = min(self.most, FIGURE_MIN)
        self.box = (MARGIN, BODY_TOP, BODY_WIDTH, BODY_HEIGHT)
        self.scale = options.scale
        self.png: bytes | None = None

    def rows(self) -> list[float]:
        return [self.least + self.caption]

    def fit(self, top: float, height: float) -> None:
        """Where the picture goes in the room given, and the pixels it is drawn with: the
        options' scale per CSS pixel shown (more when shown larger than its own size)."""
        picture_height = min(height - self.caption, self.most)
        width = min(BODY_WIDTH, picture_height / self.aspect)
        picture_height = width * self.aspect
        left = MARGIN + (BODY_WIDTH - width) / 2
        self.box = (left, top + (height - self.caption - picture_height) / 2, width, picture_height)
        zoom = width / (self.figure.width * CSS_PX)
        scale = self.options.scale * max(1.0, zoom)
        longest = max(self.figure.width, self.figure.height, 1.0)
        # In quarters, up: the frames of a trace, nearly of a size, share one batch.
        self.scale = min(math.ceil(scale * 4) / 4, MAX_PICTURE_PIXELS / longest)

    def draw(self, slide: Slide, first: int, last: int, top: float, height: float) -> None:
        left, picture_top, width, picture_height = self.box
        png = self.png or svg_to_png(self.figure.svg, self.scale)
        picture = slide.shapes.add_picture(io.BytesIO(png), _emu(left), _emu(picture_top),
                                           _emu(width), _emu(picture_height))  # fmt: skip
        picture.name = "Figure"
        cast(Any, picture._element).nvPicPr.cNvPr.set("descr", self.figure.description)
        if self.figure.caption:
            frame = _text_box(slide, MARGIN, picture_top + picture_height + 4, BODY_WIDTH,
                              _line_height(CAPTION_SIZE))  # fmt: skip
            paragraph = _next_paragraph(frame, True, CAPTION_SIZE)
            _centre(paragraph)
            run = _span_run(paragraph, Span(self.figure.caption, italic=True), None,
                            CAPTION_SIZE, False)  # fmt: skip
            run.font.color.rgb = _rgb(MUTED)


class _NoteFlow(_Flow):
    overhead = 2 * NOTE_PAD

    def __init__(self, note: Note, width: float = BODY_WIDTH) -> None:
        self.note = note
        self.width = width
        shade, bar, word = NOTE_LOOK[note.tone]
        self.look = (shade, bar)
        spans = (Span(f"{word}: ", bold=True), Span(note.text))
        self.lines = wrap(spans, _per_line(width - 2 * CODE_INSET, NOTE_SIZE, mono=False))

    def rows(self) -> list[float]:
        return [_line_height(NOTE_SIZE)] * len(self.lines)

    def draw(self, slide: Slide, first: int, last: int, top: float, height: float) -> None:
        left = MARGIN + (BODY_WIDTH - self.width) / 2
        box = slide.shapes.add_textbox(_emu(left), _emu(top), _emu(self.width), _emu(height))
        _fill(box, *self.look)
        frame = _frame(box.text_frame, CODE_INSET, NOTE_PAD)
        paragraph = _next_paragraph(frame, True, NOTE_SIZE)
        for line in self.lines[first:last]:
            for span, text in line.fragments:
                _span_run(paragraph, span, text, NOTE_SIZE, False)
            if line.hard_break:
                _line_break(paragraph)


def _flows(block: Block, options: ExportOptions) -> list[_Flow]:
    if isinstance(block, Paragraph):
        return [_TextFlow([block.spans], TEXT_SIZE)]
    if isinstance(block, Heading):
        heading = _TextFlow([(Span(" ".join(block.text.split())),)], HEADING_SIZE, bold=True)
        heading.keep_with_next = True
        return [heading]
    if isinstance(block, BulletList):
        return [_TextFlow(list(block.items), TEXT_SIZE, bullets=block)] if block.items else []
    if isinstance(block, Code):
        return [*([_CaptionFlow(block.caption)] if block.caption else []), _CodeFlow(block)]
    if isinstance(block, Table):
        table = _TableFlow(block)
        if table.columns == 0:
            return []
        return [*([_CaptionFlow(block.caption)] if block.caption else []), table]
    if isinstance(block, Figure):
        return [_FigureFlow(block, options)]
    return [_NoteFlow(block)]


# slides


@dataclass
class _Placed:
    flow: _Flow
    first: int
    last: int
    height: float


class _Deck:
    def __init__(self, deck: Presentation, document: Document, options: ExportOptions) -> None:
        self.deck = deck
        self.document = document
        self.options = options
        self.pages: list[tuple[str, list[_Placed], list[Code | Table]]] = []

    def draw(self) -> int:
        for section in self.document.sections:
            shown, aside = self.on_the_slide(section.blocks)
            flows = [flow for block in shown for flow in _flows(block, self.options)]
            parts = paginate(flows)
            heading = " ".join(section.heading.split())
            for number, page in enumerate(parts, start=1):
                title = f"{heading} ({number}/{len(parts)})" if len(parts) > 1 else heading
                self.pages.append((title, page, aside if number == 1 else []))
        laid_out = [_layout(placed) for _, placed, _ in self.pages]
        _draw_pictures([part.flow for page in laid_out for part, _ in page])
        total = 1 + len(self.pages)
        self.title_slide(total)
        for number, (title, _, aside) in enumerate(self.pages, start=2):
            slide = self.slide(title, number, total)
            for part, top in laid_out[number - 2]:
                part.flow.draw(slide, part.first, part.last, top, part.height)
            if aside:
                _speaker_notes(slide, aside)
        return total

    def on_the_slide(self, blocks: tuple[Block, ...]) -> tuple[list[Block], list[Code | Table]]:
        """A frame of an animation is one slide, the same on each: its picture as large as
        it goes, with its words and notes; its code and tables (the source, the variables,
        which the picture draws too) go in the speaker notes, so a step never spills onto a
        second slide and flipping through the frames does not jump."""
        if not self.document.frames or not any(isinstance(b, Figure) for b in blocks):
            return list(blocks), []
        aside = [b for b in blocks if isinstance(b, Code | Table)]
        return [b for b in blocks if not isinstance(b, Code | Table)], aside

    def title_slide(self, total: int) -> None:
        from pptx.enum.text import MSO_ANCHOR

        slide = self.deck.slides.add_slide(self.deck.slide_layouts[0])
        title, subtitle = slide.placeholders[0], slide.placeholders[1]
        _position(title, MARGIN, 130, BODY_WIDTH, 130)
        title.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
        text, size = _fit(self.document.title, BODY_WIDTH, 130, (40, 32, 26))
        _set_text(title.text_frame, text, size, INK_HEX, bold=True, centred=True)
        _position(subtitle, MARGIN, 270, BODY_WIDTH, 40)
        subtitle.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        text, size = _fit(self.document.meta.line(), BODY_WIDTH, 40, (18, 14))
        _set_text(subtitle.text_frame, text, size, MUTED, centred=True)
        top = 330.0
        for note in self.document.notes:
            flow = _NoteFlow(note, width=BODY_WIDTH * 0.8)
            height = flow.overhead + sum(flow.rows())
            if top + height > BODY_BOTTOM:
                break  # the notes are said again in the export's report
            flow.draw(slide, 0, len(flow.lines), top, height)
            top += height + GAP
        self.footer(slide, 1, total)

    def slide(self, title: str, number: int, total: int) -> Slide:
        from pptx.enum.text import MSO_ANCHOR

        slide: Slide = self.deck.slides.add_slide(self.deck.slide_layouts[5])  # Title Only
        placeholder = slide.shapes.title
        assert placeholder is not None
        _position(placeholder, MARGIN, TITLE_TOP, BODY_WIDTH, TITLE_HEIGHT)
        placeholder.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        text, size = _fit(title, BODY_WIDTH, TITLE_HEIGHT, (TITLE_SIZE, 22, 18))
        _set_text(placeholder.text_frame, text, size, INK_HEX, bold=True)
        self.footer(slide, number, total)
        return slide

    def footer(self, slide: Slide, number: int, total: int) -> None:
        from pptx.enum.text import PP_ALIGN

        reference = _text_box(slide, MARGIN, FOOTER_TOP, BODY_WIDTH * 0.8, 20)
        said = f"{self.document.meta.reference} · {self.document.title}"
        text, _ = _fit(said, BODY_WIDTH * 0.8, _line_height(FOOTER_SIZE), (FOOTER_SIZE,), 0)
        _set_text(reference, text, FOOTER_SIZE, NUMBER_INK)
        count = _text_box(slide, MARGIN + BODY_WIDTH * 0.8, FOOTER_TOP, BODY_WIDTH * 0.2, 20)
        _set_text(count, f"{number} / {total}", FOOTER_SIZE, NUMBER_INK)
        count.paragraphs[0].alignment = PP_ALIGN.RIGHT


def _speaker_notes(slide: Slide, blocks: list[Code | Table]) -> None:
    """Code and tables as text in the slide's notes: code lines monospaced and numbered, the
    marked one pointed at; a table a row a line."""
    from pptx.util import Pt

    frame = slide.notes_slide.notes_text_frame
    assert frame is not None
    first = True
    for block in blocks:
        caption = block.caption
        if caption:
            paragraph = _next_paragraph(frame, first, 12)
            first = False
            run = paragraph.add_run()
            run.text = caption
            run.font.bold = True
        if isinstance(block, Code):
            lines = block.text.split("\n")
            width = len(str(block.first_line + len(lines) - 1))
            for index, line in enumerate(lines):
                number = block.first_line + index
                mark = "→" if number in block.marked else " "
                prefix = f"{number:>{width}} {mark} " if block.numbered else ""
                paragraph = _next_paragraph(frame, first, 10)
                first = False
                _mono_run(paragraph, prefix + line.expandtabs(4), 10, INK_HEX)
        elif isinstance(block, Table):
            for row in (block.header, *block.rows) if block.header else block.rows:
                paragraph = _next_paragraph(frame, first, 12)
                first = False
                paragraph.add_run().text = " | ".join(row)
                paragraph.runs[0].font.size = Pt(12)


def _fit(
    text: str, width: float, height: float, sizes: tuple[float, ...], inset: float = 7.2
) -> tuple[str, float]:
    """The largest of `sizes` at which `text` fits the box (a placeholder's insets taken
    off); at the smallest, the text cut with an ellipsis where the box ends."""
    text = " ".join(text.split())
    width, height = width - 2 * inset, height - inset
    for size in sizes:
        lines = wrap((Span(text),), _per_line(width, size, mono=False))
        if len(lines) * _line_height(size) <= height:
            return text, size
    size = sizes[-1]
    lines = wrap((Span(text),), _per_line(width, size, mono=False))
    kept = lines[: max(1, int(height // _line_height(size)))]
    cut = "".join(piece for line in kept for _, piece in line.fragments).rstrip()
    return cut[:-1].rstrip() + "…", size


def paginate(flows: list[_Flow]) -> list[list[_Placed]]:
    """The flows' rows shared out over slides of BODY_HEIGHT; at least one slide."""
    pages: list[list[_Placed]] = [[]]
    room = BODY_HEIGHT
    for index, flow in enumerate(flows):
        heights = flow.rows()
        row = 0
        while row < len(heights):
            gap = GAP if pages[-1] else 0.0
            need = gap + flow.overhead + heights[row]
            if flow.keep_with_next and index + 1 < len(flows) and row == len(heights) - 1:
                following = flows[index + 1]
                need += GAP + following.overhead + following.rows()[0]
            if need > room and pages[-1]:
                pages.append([])
                room = BODY_HEIGHT
                continue
            used, first = gap + flow.overhead, row
            while row < len(heights) and (used + heights[row] <= room or row == first):
                used += heights[row]
                row += 1
            pages[-1].append(_Placed(flow, first, row, used - gap))
            room -= used
            if row < len(heights):
                pages.append([])
                room = BODY_HEIGHT
    return pages


def _layout(placed: list[_Placed]) -> list[tuple[_Placed, float]]:
    """A slide's parts top to bottom, each with its top; the room left goes to its pictures,
    which are fitted in the room they get."""
    used = sum(part.height for part in placed) + GAP * max(len(placed) - 1, 0)
    pictures = [part for part in placed if isinstance(part.flow, _FigureFlow)]
    spare = BODY_HEIGHT - used
    for part in pictures:
        flow = part.flow
        assert isinstance(flow, _FigureFlow)
        grow = min(spare / len(pictures), flow.most + flow.caption - part.height)
        part.height += max(grow, 0.0)
    top = BODY_TOP
    if pictures:  # a slide with a picture is centred in the body, a slide of text starts high
        used = sum(part.height for part in placed) + GAP * max(len(placed) - 1, 0)
        top += max(BODY_HEIGHT - used, 0.0) / 2
    laid_out = []
    for part in placed:
        if isinstance(part.flow, _FigureFlow):
            part.flow.fit(top, part.height)
        laid_out.append((part, top))
        top += part.height + GAP
    return laid_out


def _draw_pictures(flows: list[_Flow]) -> None:
    """Every picture of the deck drawn at once, a batch per scale (one rsvg-convert for all
    the frames of a trace, which share their size)."""
    from sector_cli.export.raster import svgs_to_png

    figures = [flow for flow in flows if isinstance(flow, _FigureFlow)]
    for scale in sorted({flow.scale for flow in figures}):
        batch = [flow for flow in figures if flow.scale == scale]
        for flow, png in zip(batch, svgs_to_png([f.figure.svg for f in batch], scale), strict=True):
            flow.png = png


# drawing helpers


def _emu(points: float) -> Any:
    from pptx.util import Emu

    return Emu(round(points * 12700))


def _rgb(hex_colour: str) -> Any:
    from pptx.dml.color import RGBColor

    return cast(Any, RGBColor).from_string(hex_colour.upper())


def _position(shape: Any, left: float, top: float, width: float, height: float) -> None:
    shape.left, shape.top = _emu(left), _emu(top)
    shape.width, shape.height = _emu(width), _emu(height)


def _frame(frame: TextFrame, inset: float, pad: float) -> TextFrame:
    from pptx.enum.text import MSO_AUTO_SIZE

    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = _emu(inset)
    frame.margin_top = frame.margin_bottom = _emu(pad)
    return frame


def _text_box(slide: Slide, left: float, top: float, width: float, height: float) -> TextFrame:
    box = slide.shapes.add_textbox(_emu(left), _emu(top), _emu(width), _emu(height))
    return _frame(box.text_frame, 0, 0)


def _rectangle(shapes: Any, left: float, top: float, width: float, height: float) -> Any:
    """A plain rectangle: no theme shadow."""
    from pptx.enum.shapes import MSO_SHAPE

    shape = shapes.add_shape(MSO_SHAPE.RECTANGLE, _emu(left), _emu(top), _emu(width), _emu(height))
    shape.shadow.inherit = False
    return shape


def _fill(shape: Any, fill: str, line: str) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(fill)
    shape.line.color.rgb = _rgb(line)
    shape.line.width = _emu(0.75)


def _next_paragraph(frame: TextFrame, first: bool, size: float) -> _Paragraph:
    """The frame's first paragraph, or a new one; its line height set exactly, as measured."""
    from pptx.util import Pt

    paragraph: _Paragraph = frame.paragraphs[0] if first else cast(Any, frame).add_paragraph()
    paragraph.line_spacing = Pt(_line_height(size))
    paragraph.space_before = paragraph.space_after = Pt(0)
    return paragraph


def _line_break(paragraph: _Paragraph) -> None:
    cast(Any, paragraph).add_line_break()  # python-pptx leaves it untyped


def _centre(paragraph: _Paragraph) -> None:
    from pptx.enum.text import PP_ALIGN

    paragraph.alignment = PP_ALIGN.CENTER


def _set_text(
    frame: TextFrame, text: str, size: float, colour: str, *, bold: bool = False,
    centred: bool = False,
) -> None:  # fmt: skip
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Pt

    frame.text = text
    for paragraph in frame.paragraphs:
        paragraph.alignment = PP_ALIGN.CENTER if centred else PP_ALIGN.LEFT
        paragraph.line_spacing = Pt(_line_height(size))
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.color.rgb = _rgb(colour)


def _span_run(paragraph: _Paragraph, span: Span, text: str | None, size: float, bold: bool) -> Any:
    from pptx.util import Pt

    run = paragraph.add_run()
    run.text = span.text if text is None else text
    run.font.size = Pt(size)
    run.font.bold = bold or span.bold or None
    run.font.italic = span.italic or None
    if span.code:
        _monospace(run)
    else:
        run.font.color.rgb = _rgb(INK_HEX)
    link = safe_link(span)
    if link:  # a web or mail address only: never a script or a local file
        run.hyperlink.address = link
    return run


def _mono_run(paragraph: _Paragraph, text: str, size: float, colour: str) -> Any:
    from pptx.util import Pt

    run = paragraph.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.color.rgb = _rgb(colour)
    _monospace(run)
    return run


def _piece_run(paragraph: _Paragraph, piece: Piece) -> None:
    run = _mono_run(paragraph, piece.text.expandtabs(4), CODE_SIZE, piece.colour)
    run.font.bold = piece.bold or None
    run.font.italic = piece.italic or None


def _monospace(run: Any) -> None:
    """The monospaced font for every script, declared fixed-pitch."""
    run.font.name = MONO
    properties = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        for old in properties.findall(_qn(tag)):
            properties.remove(old)
    latin = properties.find(_qn("a:latin"))
    latin.set("pitchFamily", MONO_PITCH_FAMILY)
    for tag in ("a:cs", "a:ea"):  # each put right after latin: latin, ea, cs
        latin.addnext(
            properties.makeelement(_qn(tag), {"typeface": MONO, "pitchFamily": MONO_PITCH_FAMILY})
        )


def _qn(tag: str) -> str:
    from pptx.oxml.ns import qn

    return qn(tag)


def _bullet(
    paragraph: _Paragraph, bullets: BulletList, first: int, indent: float, marked: bool
) -> None:
    """A list item's bullet or number (the box's numbers count from its first item's, at
    `first` in the list), or none where the item goes on from the slide before."""
    properties = paragraph._p.get_or_add_pPr()
    properties.set("marL", str(round(indent * 12700)))
    properties.set("indent", str(-round(indent * 12700) if marked else 0))
    if not marked:
        mark = properties.makeelement(_qn("a:buNone"), {})
    elif bullets.ordered:
        start = {"type": "arabicPeriod", "startAt": str(bullets.start + first)}
        mark = properties.makeelement(_qn("a:buAutoNum"), start)
    else:
        mark = properties.makeelement(_qn("a:buChar"), {"char": "•"})
    properties.append(mark)


def _cell(cell: Any, text: str, *, mono: bool, bold: bool) -> None:
    from pptx.util import Pt

    cell.margin_left = cell.margin_right = _emu(CELL_PAD[0])
    cell.margin_top = cell.margin_bottom = _emu(CELL_PAD[1])
    frame = cell.text_frame
    frame.word_wrap = True
    paragraph = _next_paragraph(frame, True, TABLE_SIZE)
    run = paragraph.add_run()
    run.text = text
    run.font.size = Pt(TABLE_SIZE)
    run.font.bold = bold or None
    if mono and text:
        _monospace(run)


def _column_widths(table: Table, columns: int) -> list[float]:
    """Columns as wide as their longest text, in proportion, none narrower than 70 points."""
    if columns == 0:
        return []
    longest = [1] * columns
    for row in (table.header, *table.rows):
        for index, text in enumerate(row[:columns]):
            longest[index] = max(longest[index], min(len(text), 60))
    least = min(70.0, BODY_WIDTH / columns)
    total = sum(longest)
    widths = [max(least, BODY_WIDTH * n / total) for n in longest]
    shrink = BODY_WIDTH / sum(widths)
    return [w * shrink for w in widths]


# the file's properties


def _properties(deck: Presentation, document: Document, slides: int) -> None:
    set_properties(deck.core_properties, document)
    _rewrite_app_properties(deck, slides)


def _rewrite_app_properties(deck: Presentation, slides: int) -> None:
    """The template's app.xml says 4:3 and names another application; its thumbnail shows
    another deck."""
    from pptx.opc.constants import RELATIONSHIP_TYPE

    package = deck.part.package
    for rel in list(package._rels.values()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            package._rels.pop(rel.rId)
        elif rel.reltype == RELATIONSHIP_TYPE.EXTENDED_PROPERTIES:
            rel.target_part._blob = (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns='
                b'"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                b"<Application>Sector</Application><PresentationFormat>Widescreen"
                b"</PresentationFormat><Slides>%d</Slides></Properties>" % slides
            )
