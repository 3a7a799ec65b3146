"""DOCX: a Word document a person can hand in and edit. Real headings (the outline and a table
of contents work), real tables, code as monospaced text in a style of its own (not a picture of
text), pictures drawn from the visualizations' SVG, page numbers in the footer."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, ClassVar

from sector_cli.export.clean import cleaned
from sector_cli.export.highlight import INK
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
    from docx.document import Document as WordDocument
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph as WordParagraph

# The visualizations' own font; Word without it takes Consolas, or any fixed-pitch font, as the
# font table says (family "modern", pitch "fixed").
MONO = "DejaVu Sans Mono"
MONO_ALTERNATIVE = "Consolas"
MONO_PANOSE = "020B0609030804020204"
CODE_STYLE = "Source Code"  # a paragraph style: a code block's lines
CODE_CHAR_STYLE = "Source Code Char"  # a character style: code inside a sentence or a cell
CODE_CHAR_ID = "SourceCodeChar"  # its id, which runs name

CODE_SHADE = "F6F8FA"
CODE_BORDER = "D0D7DE"
MARKED_SHADE = "FFF1B8"  # the current line of a trace step
NUMBER_INK = "8C959F"
HEADER_SHADE = "EAEEF2"
NOTE_LOOK = {"info": ("EEF4FC", "4A7CC9", "Note"), "warning": ("FFF5E0", "D4880F", "Warning")}

# A4 with 2 cm margins: the text is 17 cm wide and 25.7 cm high.
PAGE_CM = (21.0, 29.7)
MARGIN_CM = 2.0
CSS_PX_PER_INCH = 96
MAX_PICTURE_PIXELS = 6000
# Code blocks this short stay on one page; longer ones break where the page ends.
KEEP_TOGETHER_LINES = 20


class DocxExporter(Exporter):
    name: ClassVar[str] = "docx"
    summary: ClassVar[str] = "a Word document: real headings and tables, monospaced code"
    extension: ClassVar[str] = ".docx"
    media_type: ClassVar[str] = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )

    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        import docx

        # The service has cleaned the text already; a direct caller may not have (XML refuses
        # control characters), and cleaning twice changes nothing.
        document = cleaned(document)
        writer = _Writer(docx.Document(), options)
        writer.document(document)
        writer.word.save(str(target.path))
        return Written()


class _Writer:
    def __init__(self, word: WordDocument, options: ExportOptions) -> None:
        self.word = word
        self.options = options
        self.pictures = 0
        self.ids: dict[str, str] = {}
        self.pngs: list[bytes] = []
        self.figures = 0  # captioned ones
        self.tables = 0  # captioned ones

    def style_id(self, name: str) -> str:
        """A style's id, looked up once: python-docx looks through every style of the
        template each time a paragraph is given a style by name."""
        if name not in self.ids:
            self.ids[name] = str(self.word.styles[name].style_id)
        return self.ids[name]

    def paragraph(self, style: str | None = None) -> WordParagraph:
        paragraph = self.word.add_paragraph()
        if style is not None:
            paragraph._p.style = self.style_id(style)
        return paragraph

    def scale(self, figure: Figure) -> float:
        """The options' scale; less for a huge drawing, which a page cannot show at it."""
        longest = max(figure.width, figure.height, 1.0)
        return min(self.options.scale, MAX_PICTURE_PIXELS / longest)

    def draw_pictures(self, document: Document) -> None:
        """Every picture drawn at once, by one rsvg-convert for all those of one scale."""
        from sector_cli.export.raster import svgs_to_png

        figures = document.figures()
        scales = [self.scale(figure) for figure in figures]
        pngs: list[bytes | None] = [None] * len(figures)
        for scale in sorted(set(scales)):
            chosen = [n for n, wanted in enumerate(scales) if wanted == scale]
            for n, png in zip(chosen, svgs_to_png([figures[n].svg for n in chosen], scale),
                              strict=True):  # fmt: skip
                pngs[n] = png
        self.pngs = [png for png in pngs if png is not None]

    # the whole document

    def document(self, document: Document) -> None:
        self.draw_pictures(document)
        _properties(self.word, document)
        _page(self.word, document)
        _styles(self.word)
        self.paragraph("Title").add_run(_one_line(document.title))
        self.paragraph("Subtitle").add_run(document.meta.line())
        for note in document.notes:
            self.note(note)
        for section in document.sections:
            heading = self.paragraph("Heading 1")
            heading.add_run(_one_line(section.heading))
            # A frame of an animation is a page of its own, as in the PDF.
            if document.frames:
                heading.paragraph_format.page_break_before = True
            for block in section.blocks:
                self.block(block)

    def block(self, block: Block) -> None:
        if isinstance(block, Paragraph):
            self.spans(self.word.add_paragraph(), block.spans)
        elif isinstance(block, Heading):
            # The section's heading is Heading 1; a heading inside it (level 3 and on) is 2 and on.
            level = min(max(block.level - 1, 2), 9)
            self.paragraph(f"Heading {level}").add_run(_one_line(block.text))
        elif isinstance(block, BulletList):
            self.bullets(block)
        elif isinstance(block, Code):
            self.code(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Figure):
            self.figure(block)
        else:
            self.note(block)

    # text

    def spans(self, paragraph: WordParagraph, spans: Inline) -> None:
        for span in spans:
            link = safe_link(span)
            if link:
                self.link(paragraph, span, link)
            else:
                _styled_run(paragraph, span)

    def link(self, paragraph: WordParagraph, span: Span, link: str) -> None:
        """A hyperlink that opens in a browser (python-docx has no call for one)."""
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        rel = paragraph.part.relate_to(link, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), rel)
        paragraph._p.append(hyperlink)
        run = _styled_run(paragraph, span)
        run.font.underline = True
        if not span.code:
            run.font.color.rgb = _rgb("0969DA")
        hyperlink.append(run._r)  # moved from the paragraph into the link

    def bullets(self, block: BulletList) -> None:
        style = "List Number" if block.ordered else "List Bullet"
        number = self._numbering(block.start) if block.ordered else None
        for item in block.items:
            paragraph = self.paragraph(style)
            if number is not None:
                _set_numbering(paragraph, number)
            self.spans(paragraph, item)

    def _numbering(self, start: int) -> int:
        """A numbering of its own for this list, so it starts at `start` rather than going on
        from the list before it."""
        numbering = self.word.part.numbering_part.element
        style_numbering = self.word.styles["List Number"].element.pPr.numPr
        abstract = numbering.num_having_numId(style_numbering.numId.val).abstractNumId.val
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return int(num.numId)

    def note(self, note: Note) -> None:
        shade, bar, word = NOTE_LOOK[note.tone]
        paragraph = self.word.add_paragraph()
        _shade(paragraph._p.get_or_add_pPr(), shade)
        _borders(paragraph._p.get_or_add_pPr(), {"left": (bar, 24, 8)})
        paragraph.paragraph_format.left_indent = _cm(0.3)
        label = paragraph.add_run(f"{word}: ")
        label.bold = True
        paragraph.add_run(note.text)

    # code

    def code(self, code: Code) -> None:
        if code.caption:
            self.caption(code.caption, keep_with_next=True)
        lines = shown_lines(code)
        width = len(str(code.first_line + len(lines) - 1))
        keep = len(lines) <= KEEP_TOGETHER_LINES
        for index, pieces in enumerate(lines):
            number = code.first_line + index
            paragraph = self.paragraph(CODE_STYLE)
            marked = number in code.marked
            if marked:
                _shade(paragraph._p.get_or_add_pPr(), MARKED_SHADE)
            if keep and index < len(lines) - 1:
                paragraph.paragraph_format.keep_with_next = True
            if code.numbered:
                run = paragraph.add_run(f"{number:>{width}}  ")
                run.font.color.rgb = _rgb(INK if marked else NUMBER_INK)
                run.bold = marked or None
            column = 0
            for piece in pieces:
                text = _expand_tabs(piece.text, column)
                column += len(text)
                # A long line wraps where Word likes, never in the middle of a tab.
                run = paragraph.add_run(text)
                run.font.color.rgb = _rgb(piece.colour)
                run.bold = piece.bold or None
                run.italic = piece.italic or None

    # tables

    def table(self, table: Table) -> None:
        columns = max([len(table.header), *(len(row) for row in table.rows)], default=0)
        if columns == 0:
            return
        if table.caption:
            self.tables += 1
            self.caption(table.caption, keep_with_next=True, label="Table", number=self.tables)
        grid = self.word.add_table(rows=0, cols=columns)
        grid._tbl.tblPr.style = self.style_id("Table Grid")
        if table.header:
            row = grid.add_row()
            _repeat_as_header(row._tr)
            for index, cell in enumerate(row.cells):
                text = table.header[index] if index < len(table.header) else ""
                _shade(cell._tc.get_or_add_tcPr(), HEADER_SHADE)
                _cell_text(cell, text, bold=True, mono=False)
        for values in table.rows:
            row = grid.add_row()
            for index, cell in enumerate(row.cells):
                text = values[index] if index < len(values) else ""
                _cell_text(cell, text, bold=False, mono=index in table.monospace)
        self.word.add_paragraph()  # room between the table and what follows

    # pictures

    def figure(self, figure: Figure) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Inches

        png = self.pngs.pop(0) if self.pngs else svg_to_png(figure.svg, self.scale(figure))
        width, height = _fitted(figure.width, figure.height)
        self.word.add_picture(io.BytesIO(png), width=Inches(width), height=Inches(height))
        paragraph = self.word.paragraphs[-1]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.pictures += 1
        for properties in paragraph._p.iter(_qn("wp:docPr")):
            properties.set("name", f"Picture {self.pictures}")
            properties.set("descr", figure.description)
        if figure.caption:
            # Numbered as Word's SEQ field counts: captioned figures only.
            self.figures += 1
            paragraph.paragraph_format.keep_with_next = True
            self.caption(figure.caption, label="Figure", number=self.figures, centred=True)

    def caption(
        self,
        text: str,
        *,
        keep_with_next: bool = False,
        label: str = "",
        number: int = 0,
        centred: bool = False,
    ) -> None:
        """A caption in Word's Caption style; a figure's and a table's numbered by a SEQ
        field, so Word can list them."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        paragraph = self.paragraph("Caption")
        if keep_with_next:
            paragraph.paragraph_format.keep_with_next = True
        if centred:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if label:
            paragraph.add_run(f"{label} ")
            _field(paragraph, f"SEQ {label} \\* ARABIC", str(number))
            paragraph.add_run(": ")
        paragraph.add_run(text)


# runs and cells


def _styled_run(paragraph: WordParagraph, span: Span) -> Any:
    run = paragraph.add_run(span.text)
    if span.code:
        run._r.style = CODE_CHAR_ID
    run.bold = span.bold or None
    run.italic = span.italic or None
    return run


def _cell_text(cell: _Cell, text: str, *, bold: bool, mono: bool) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = 0
    run = paragraph.add_run(text)
    if mono and text:
        run._r.style = CODE_CHAR_ID
    run.bold = bold or None


def _expand_tabs(text: str, column: int) -> str:
    """Tabs as spaces to the next multiple of 4 (Word's tab stops are not columns)."""
    if "\t" not in text:
        return text
    out = []
    for char in text:
        if char == "\t":
            spaces = 4 - (column % 4)
            out.append(" " * spaces)
            column += spaces
        else:
            out.append(char)
            column += 1
    return "".join(out)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fitted(width_px: float, height_px: float) -> tuple[float, float]:
    """A picture's size in inches: its own size, smaller when wider than the text or taller
    than most of a page (its caption goes under it)."""
    text_width = (PAGE_CM[0] - 2 * MARGIN_CM) / 2.54
    text_height = (PAGE_CM[1] - 2 * MARGIN_CM) / 2.54 * 0.8
    width, height = max(width_px, 1.0) / CSS_PX_PER_INCH, max(height_px, 1.0) / CSS_PX_PER_INCH
    shrink = min(1.0, text_width / width, text_height / height)
    return width * shrink, height * shrink


# XML that python-docx has no call for


def _qn(name: str) -> str:
    from docx.oxml.ns import qn

    return qn(name)


def _element(tag: str, **attributes: str) -> BaseOxmlElement:
    from docx.oxml import OxmlElement

    return OxmlElement(tag, {_qn(f"w:{key}"): value for key, value in attributes.items()})


def _shade(properties: BaseOxmlElement, fill: str) -> None:
    """A background colour on paragraph or cell properties (replacing one set before)."""
    for old in properties.findall(_qn("w:shd")):
        properties.remove(old)
    shading = _element("w:shd", val="clear", color="auto", fill=fill)
    _insert_in_order(properties, shading)


def _borders(properties: BaseOxmlElement, sides: dict[str, tuple[str, int, int]]) -> None:
    """Paragraph borders: side -> (colour, width in eighths of a point, space in points)."""
    borders = _element("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        if side in sides:
            colour, size, space = sides[side]
            borders.append(_element(f"w:{side}", val="single", sz=str(size),
                                    space=str(space), color=colour))  # fmt: skip
    _insert_in_order(properties, borders)


# Where pPr's and tcPr's children go: Word refuses a document whose elements are out of the
# schema's order.
_ORDER = [
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
    "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
    "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
]  # fmt: skip
_CELL_ORDER = [
    "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd",
    "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
]  # fmt: skip


def _insert_in_order(properties: BaseOxmlElement, child: BaseOxmlElement) -> None:
    order = _CELL_ORDER if properties.tag == _qn("w:tcPr") else _ORDER
    names = [_qn(name) for name in order]
    rank = names.index(child.tag)
    for index, existing in enumerate(properties):
        if existing.tag in names and names.index(existing.tag) > rank:
            properties.insert(index, child)
            return
    properties.append(child)


def _repeat_as_header(row: BaseOxmlElement) -> None:
    """The header row repeats at the top of every page the table runs onto."""
    properties = row.get_or_add_trPr()
    properties.append(_element("w:tblHeader"))


def _set_numbering(paragraph: WordParagraph, number: int) -> None:
    numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = number


def _field(paragraph: WordParagraph, instruction: str, shown: str) -> None:
    """A field (PAGE, NUMPAGES, SEQ) as Word writes one, with `shown` until Word updates it."""
    for kind in ("begin", "instruction", "separate", "shown", "end"):
        run = paragraph.add_run(shown if kind == "shown" else None)
        if kind == "instruction":
            text = _element("w:instrText")
            text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            text.text = f" {instruction} "
            run._r.append(text)
        elif kind != "shown":
            run._r.append(_element("w:fldChar", fldCharType=kind))


def _rgb(hex_colour: str) -> Any:
    from docx.shared import RGBColor

    return RGBColor.from_string(hex_colour.upper())


def _cm(value: float) -> Any:
    from docx.shared import Cm

    return Cm(value)


# the document's frame: properties, page, styles


def _properties(word: WordDocument, document: Document) -> None:
    set_properties(word.core_properties, document)
    _rewrite_app_properties(word)


def _rewrite_app_properties(word: WordDocument) -> None:
    """The template's docProps/app.xml names another application and counts its own pages;
    its thumbnail shows another document."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    package = word.part.package
    for rel in list(package.rels.values()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            package.rels.pop(rel.rId)
        elif rel.reltype == RELATIONSHIP_TYPE.EXTENDED_PROPERTIES:
            rel.target_part._blob = APP_PROPERTIES


APP_PROPERTIES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Application>Sector</Application><DocSecurity>0</DocSecurity></Properties>"
)


def _page(word: WordDocument, document: Document) -> None:
    """A4, and the reference and page numbers in the footer of every page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section = word.sections[0]
    section.page_width, section.page_height = _cm(PAGE_CM[0]), _cm(PAGE_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, _cm(MARGIN_CM))
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{document.meta.reference} · page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")
    for run in footer.runs:
        run.font.size = _pt(9)
        run.font.color.rgb = _rgb(NUMBER_INK)


def _pt(value: float) -> Any:
    from docx.shared import Pt

    return Pt(value)


def _styles(word: WordDocument) -> None:
    """The code styles (a reader changes every code block at once by changing them), the
    monospaced font in the font table, and room after paragraphs."""
    from docx.enum.style import WD_STYLE_TYPE

    styles = word.styles
    normal = styles["Normal"]
    normal.font.size = _pt(11)
    normal.paragraph_format.space_after = _pt(6)

    character = styles.add_style(CODE_CHAR_STYLE, WD_STYLE_TYPE.CHARACTER)
    character.style_id = CODE_CHAR_ID
    character.base_style = styles["Default Paragraph Font"]
    character.quick_style = True  # in Word's style gallery
    _mono(character.element)
    character.font.size = _pt(10)
    character.font.color.rgb = _rgb("24292F")

    code = styles.add_style(CODE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    code.base_style = normal
    code.quick_style = True
    _mono(code.element)
    code.font.size = _pt(9)
    layout = code.paragraph_format
    layout.space_before = layout.space_after = 0
    layout.line_spacing = 1.0
    layout.left_indent = layout.right_indent = _cm(0.15)
    layout.widow_control = False
    properties = code.element.get_or_add_pPr()
    # Identical borders on following paragraphs make one box around the whole block.
    side = (CODE_BORDER, 4, 4)
    _borders(properties, {"top": side, "left": side, "bottom": side, "right": side})
    _shade(properties, CODE_SHADE)
    _font_table(word)


def _mono(style_element: BaseOxmlElement) -> None:
    fonts = style_element.get_or_add_rPr().get_or_add_rFonts()
    for script in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(_qn(f"w:{script}"), MONO)


def _font_table(word: WordDocument) -> None:
    """Declare the monospaced font: a Word without it substitutes a fixed-pitch one."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.oxml import serialize_part_xml
    from docx.oxml.parser import parse_xml

    for rel in word.part.rels.values():
        if rel.reltype != RELATIONSHIP_TYPE.FONT_TABLE:
            continue
        part = rel.target_part
        fonts = parse_xml(part.blob)
        font = _element("w:font", name=MONO)
        for name, value in MONO_FONT_ENTRY:
            font.append(_element(f"w:{name}", val=value))
        fonts.append(font)
        part._blob = serialize_part_xml(fonts)


# In the schema's order.
MONO_FONT_ENTRY = (
    ("altName", MONO_ALTERNATIVE),
    ("panose1", MONO_PANOSE),
    ("charset", "00"),
    ("family", "modern"),
    ("pitch", "fixed"),
)
