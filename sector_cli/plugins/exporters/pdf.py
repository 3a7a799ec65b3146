"""PDF: pages a person can hand in. The document's print HTML (`render_html(..., "print")`:
A4, "Page N of M" in the footer, a frame per page) laid out by WeasyPrint, with the title,
author, subject and date in the file's properties. A document that is a wide picture (a call
tree) gets a landscape page, a larger one when the picture would shrink past reading.

`print_document` is the one place WeasyPrint is called: the PNG and JPEG exporters draw its
pages too."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sector_cli.export.html import render_html
from sector_cli.export.model import Document
from sector_cli.plugins.exporter import Exporter, ExportOptions, Target, Written

if TYPE_CHECKING:
    import weasyprint.document

# Landscape pages for a wide picture, smallest first, with the width (CSS px) a figure has
# on each once the margins are taken: a picture goes on the first that shows it at READABLE
# of its size or more, else on the last, shrunk (it is vector: a reader can still zoom in).
LANDSCAPE: tuple[tuple[str, float], ...] = (("A4 landscape", 1009.0), ("A3 landscape", 1474.0))
READABLE = 0.8
PORTRAIT_WIDTH = 680.0  # CSS px of an A4 page's width inside its margins
# The page's height left to a picture once the title, the meta line and the heading are
# placed: a figure never runs off its page.
FIGURE_HEIGHT = {"A4": "200mm", "A4 landscape": "120mm", "A3 landscape": "200mm"}


class PdfExporter(Exporter):
    name: ClassVar[str] = "pdf"
    summary: ClassVar[str] = "numbered A4 pages to print or hand in"
    extension: ClassVar[str] = ".pdf"
    media_type: ClassVar[str] = "application/pdf"

    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        printed = print_document(document)
        printed.write_pdf(target.path)
        return Written(pages=len(printed.pages))


def page_size(document: Document) -> str:
    """A4, or a landscape page for a picture wider than tall that A4 would shrink."""
    figures = document.figures()
    if not document.is_picture() or max(f.width / f.height for f in figures) <= 1:
        return "A4"
    widest = max(f.width for f in figures)
    if widest <= PORTRAIT_WIDTH:
        return "A4"
    for size, width in LANDSCAPE:
        if width >= widest * READABLE:
            return size
    return LANDSCAPE[-1][0]


def page_style(size: str) -> str:
    """The page and the figures' height on it, over the print style of `render_html` (a
    user stylesheet: `!important` is what lets it win over the page's own)."""
    height = FIGURE_HEIGHT.get(size, FIGURE_HEIGHT["A4"])
    return (
        f"@page {{ size: {size} !important; }}\n"
        f"figure img {{ max-height: {height} !important; width: auto !important; }}\n"
    )


def print_document(document: Document, style: str | None = None) -> weasyprint.document.Document:
    """`document` laid out in pages by WeasyPrint, ready to write as PDF: its print HTML,
    with `style` (CSS) over it, by default the page that suits it (`page_style`).
    Nothing is fetched but the pictures' data URIs."""
    import weasyprint

    html = weasyprint.HTML(
        string=render_html(document, "print"),
        url_fetcher=weasyprint.URLFetcher(allowed_protocols={"data"}),
    )
    extra = page_style(page_size(document)) if style is None else style
    return html.render(
        stylesheets=[weasyprint.CSS(string=extra)] if extra else None,
        presentational_hints=True,
    )
