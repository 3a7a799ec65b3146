"""PDF: pages a person can hand in. The document's print HTML (`render_html(..., "print")`:
A4, "Page N of M" in the footer, a frame per page) laid out by WeasyPrint, with the title,
author, subject and date in the file's properties. A picture (a call tree) goes on the A4
page, upright or landscape, that shows it largest; one too large to read there is printed
whole as a map, then in parts at full size (`tiles.py`).

`print_document` is the one place WeasyPrint is called: the PNG and JPEG exporters draw its
pages too."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sector_cli.export.html import render_html
from sector_cli.export.model import Document
from sector_cli.plugins.exporter import Exporter, ExportOptions, Target, Written
from sector_cli.plugins.exporters.tiles import fit, with_parts

if TYPE_CHECKING:
    import weasyprint.document

# The CSS px a page has for a figure: its width inside the margins, and its height once the
# title, the meta line and a heading are placed (a figure never runs off its page).
FIGURE_BOX: dict[str, tuple[float, float]] = {"A4": (680.0, 756.0), "A4 landscape": (1009.0, 453.0)}
# Shrunk past this, a picture's 12-13 px text is under 6 pt on paper: it is printed in parts.
READABLE = 0.6


class PdfExporter(Exporter):
    name: ClassVar[str] = "pdf"
    summary: ClassVar[str] = "numbered A4 pages to print or hand in"
    extension: ClassVar[str] = ".pdf"
    media_type: ClassVar[str] = "application/pdf"

    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        size = page_size(document)
        if document.is_picture():
            document = with_parts(document, FIGURE_BOX[size], READABLE)
        printed = print_document(document, page_style(size))
        printed.write_pdf(target.path)
        return Written(pages=len(printed.pages))


def page_size(document: Document) -> str:
    """A4, or A4 landscape for a picture that it shows larger (a wide call tree)."""
    if not document.is_picture():
        return "A4"
    figures = document.figures()

    def shown(size: str) -> float:
        return min(fit(figure, FIGURE_BOX[size]) for figure in figures)

    return "A4 landscape" if shown("A4 landscape") > shown("A4") else "A4"


def page_style(size: str) -> str:
    """The page and the figures' height on it, over the print style of `render_html` (a
    user stylesheet: `!important` is what lets it win over the page's own)."""
    height = FIGURE_BOX[size][1]
    return (
        f"@page {{ size: {size} !important; }}\n"
        f"figure img {{ max-height: {height:.0f}px !important; width: auto !important; }}\n"
    )


def print_document(document: Document, style: str = "") -> weasyprint.document.Document:
    """`document` laid out in pages by WeasyPrint, ready to write as PDF: its print HTML,
    with `style` (CSS: the page, `page_style`) over it. Nothing is fetched but the
    pictures' data URIs."""
    import weasyprint

    html = weasyprint.HTML(
        string=render_html(document, "print"),
        url_fetcher=weasyprint.URLFetcher(allowed_protocols={"data"}),
    )
    return html.render(
        stylesheets=[weasyprint.CSS(string=style)] if style else None,
        presentational_hints=True,
    )
