"""Word documents (.docx), with python-docx: paragraphs and table rows in document order,
titled by the headings above them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sector_cli.plugins.loader import Loader, Passage, UnreadableDocument
from sector_cli.plugins.loaders.common import HeadingPath, one_line, open_zip_checked

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

HEADING_STYLE = re.compile(r"^heading (\d)$", re.IGNORECASE)


class DocxLoader(Loader):
    """Word documents. DOCX has no pages or lines (Word lays them out when it renders), so a
    passage's `line_start`/`line_end` hold paragraph numbers instead: the 1-based position of
    its paragraphs in the document, counting every paragraph, table cells' included."""

    name: ClassVar[str] = "docx"
    summary: ClassVar[str] = "Word documents (.docx): paragraphs, headings and tables"
    extensions: ClassVar[tuple[str, ...]] = (".docx",)
    format: ClassVar[str] = "docx"

    def load(self, path: Path) -> Iterator[Passage]:
        open_zip_checked(path).close()  # refuse a zip bomb before python-docx inflates it
        yield from _passages(_open(path))


def _open(path: Path) -> Document:
    import docx

    try:
        return docx.Document(str(path))
    except Exception as exc:  # python-docx, lxml and zipfile each raise their own kinds
        raise UnreadableDocument(
            f"{path.name} is not a readable DOCX file ({type(exc).__name__}: {one_line(exc)})",
            "Open it in Word or LibreOffice and save it again as .docx",
        ) from exc


def _passages(document: Document) -> Iterator[Passage]:
    from docx.text.paragraph import Paragraph

    headings = HeadingPath()
    number = 0  # paragraphs seen so far
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            number += 1
            yield from _paragraph(block, number, headings)
        else:
            for row in _rows(block):
                first = number + 1
                number += sum(cell_paragraphs for cell_paragraphs, _ in row)
                text = " | ".join(text for _, text in row if text)
                if text:
                    yield Passage(text, None, first, number, headings.title)


def _paragraph(paragraph: Paragraph, number: int, headings: HeadingPath) -> Iterator[Passage]:
    text = paragraph.text.strip()
    level = _heading_level(paragraph)
    if level is not None:
        headings.enter(level, text)
    if text:
        yield Passage(text, None, number, number, headings.title)


def _heading_level(paragraph: Paragraph) -> int | None:
    """0 for the Title style, N for "Heading N", None for body text."""
    style = paragraph.style.name if paragraph.style is not None else None
    if not style:
        return None
    if style.lower() == "title":
        return 0
    match = HEADING_STYLE.match(style)
    return int(match.group(1)) if match else None


def _rows(table: Table) -> Iterator[list[tuple[int, str]]]:
    """Each row as (paragraph count, text) per cell; a merged cell counts once."""
    for row in table.rows:
        seen: set[int] = set()
        cells = []
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append((len(cell.paragraphs), " ".join(cell.text.split())))
        yield cells
