"""PNG and JPEG: one still image at `--scale` pixels per CSS pixel.

A picture (a call tree, a network: `Document.is_picture()`) is one image of its own size:
title, meta line, the figure and its caption, with a small margin, not an A4 page (drawn by
`picture.py`, quickly, without WeasyPrint). Anything else (a run, an answer) is its pages as
the PDF exporter's WeasyPrint layout makes them, rendered by pypdfium2 and stacked into one
tall image, the empty end of the last page cut off. A still image holds one frame of an animation; a
document longer than MAX_PAGES pages is refused, since PDF holds it better.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sector_cli.errors import UsageError
from sector_cli.export.model import Code, Document
from sector_cli.plugins.exporter import Exporter, ExportOptions, Target, Written
from sector_cli.plugins.exporters.pdf import page_style, print_document

if TYPE_CHECKING:
    from PIL import Image

MAX_PAGES = 20  # stacked into one image; past it, a PDF
MAX_PIXELS = 80_000_000  # ~240 MB of RGB: 20 A4 pages at scale 2 fit
# A stacked page holds fewer lines of code than this (12.2 pt each in 273 mm): a document
# with more than MAX_PAGES times as many is refused before it is laid out.
CODE_LINES_PER_PAGE = 64
PX_PER_PT = 4 / 3  # a PDF point is 4/3 of a CSS pixel
# Pages of a stack: the PDF's, without the page furniture an image has no use for.
STACK_STYLE = """
@page { margin: 12mm 15mm !important;
  @bottom-center { content: none !important; } @top-right { content: none !important; } }
"""
SEPARATOR = (208, 215, 222)  # between stacked pages, as the HTML's rules
WHITE = (255, 255, 255)


class RasterExporter(Exporter):
    """What PNG and JPEG share: the drawing; each saves it its own way."""

    animates: ClassVar[bool] = False

    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        _refuse_frames(document, self.name)
        image, pages = draw(document, options.scale, self.name)
        self.save(image, target.path)
        return Written(pages=pages)

    @abstractmethod
    def save(self, image: Image.Image, path: Path) -> None:
        """Write `image` (RGB) to `path` in the format."""


class PngExporter(RasterExporter):
    name: ClassVar[str] = "png"
    summary: ClassVar[str] = "one image (a picture, or the pages stacked), at --scale"
    extension: ClassVar[str] = ".png"
    media_type: ClassVar[str] = "image/png"

    def save(self, image: Image.Image, path: Path) -> None:
        image.save(path, format="PNG", compress_level=6)


class JpegExporter(RasterExporter):
    name: ClassVar[str] = "jpeg"
    summary: ClassVar[str] = "one JPEG image (a picture, or the pages stacked), at --scale"
    extension: ClassVar[str] = ".jpg"
    other_extensions: ClassVar[tuple[str, ...]] = (".jpeg",)
    media_type: ClassVar[str] = "image/jpeg"

    def save(self, image: Image.Image, path: Path) -> None:
        # No chroma subsampling: coloured code and thin lines stay sharp.
        image.convert("RGB").save(path, format="JPEG", quality=90, subsampling=0)


def _refuse_frames(document: Document, name: str) -> None:
    """The service refuses an animation for a still image first; this is the exporter's
    own guard for a caller that does not go through it."""
    if document.frames and len(document.sections) > 1:
        raise UsageError(
            f"a {name} holds one frame, and this document has {len(document.sections)}",
            "Pick one with --steps N, or use a format that animates (see sector export --list)",
        )


def draw(document: Document, scale: float, name: str = "png") -> tuple[Image.Image, int]:
    """The document as one RGB image, and the number of pages it was drawn from."""
    if document.is_picture():
        return _picture(document, scale, name), 1
    return _stack(document, scale, name)


# a picture ------------------------------------------------------------------------------------


def _picture(document: Document, scale: float, name: str) -> Image.Image:
    from sector_cli.plugins.exporters.picture import MIN_WIDTH, PAD, draw_picture

    figures = document.figures()
    width = max(MIN_WIDTH, max(f.width for f in figures) + 2 * PAD)
    _check_pixels(width, sum(f.height for f in figures) + 2 * PAD, scale, name)
    return draw_picture(document, scale)


# pages stacked ---------------------------------------------------------------------------------


def _stack(document: Document, scale: float, name: str) -> tuple[Image.Image, int]:
    least = _code_lines(document) // CODE_LINES_PER_PAGE
    if least > MAX_PAGES:
        _refuse_length(f"over {least} pages", name)
    printed = print_document(document, page_style("A4") + STACK_STYLE)
    count = len(printed.pages)
    if count > MAX_PAGES:
        _refuse_length(f"{count} pages", name)
    first = printed.pages[0]
    _check_pixels(first.width, first.height * count, scale, name)
    pages = list(_render(printed.write_pdf(), scale))
    pages[-1] = _cut_bottom(pages[-1], 12 / 25.4 * 96 * scale)
    return _join(pages, scale), count


def _code_lines(document: Document) -> int:
    return sum(
        len(block.lines())
        for section in document.sections
        for block in section.blocks
        if isinstance(block, Code)
    )


def _refuse_length(pages: str, name: str) -> None:
    raise UsageError(
        f"this document is {pages} long, more than one {name} image holds ({MAX_PAGES} pages)",
        "Export it as pdf (--format pdf), which keeps it in pages",
    )


def _check_pixels(width: float, height: float, scale: float, name: str) -> None:
    """Refuse an image too large to hold in memory, naming a scale that fits."""
    if width * height * scale * scale <= MAX_PIXELS:
        return
    fits = math.floor(math.sqrt(MAX_PIXELS / (width * height)) * 10) / 10
    hint = f"Pass --scale {fits:g}, or export it as pdf" if fits >= 0.5 else "Export it as pdf"
    raise UsageError(
        f"the {name} would be {width * scale:,.0f}x{height * scale:,.0f} pixels, too large",
        hint,
    )


# pixels -----------------------------------------------------------------------------------------


def _render(pdf: bytes, scale: float) -> Iterator[Image.Image]:
    """Each page of `pdf` as an RGB image at `scale` pixels per CSS pixel, on white."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            yield page.render(scale=scale * PX_PER_PT).to_pil().convert("RGB")
    finally:
        document.close()


def _join(pages: list[Image.Image], scale: float) -> Image.Image:
    """Pages one under the other, a thin rule between two pages."""
    from PIL import Image

    rule = max(1, round(scale))
    width = max(page.width for page in pages)
    height = sum(page.height for page in pages) + rule * (len(pages) - 1)
    joined = Image.new("RGB", (width, height), WHITE)
    top = 0
    for index, page in enumerate(pages):
        if index:
            joined.paste(SEPARATOR, (0, top, width, top + rule))
            top += rule
        joined.paste(page, (0, top))
        top += page.height
    return joined


def _cut_bottom(image: Image.Image, margin: float) -> Image.Image:
    """`image` without its empty bottom, `margin` pixels kept under the last thing drawn."""
    from PIL import ImageChops

    inked = ImageChops.difference(image, _white_like(image)).getbbox()
    if inked is None:
        return image
    bottom = min(image.height, inked[3] + round(margin))
    return image.crop((0, 0, image.width, bottom))


def _white_like(image: Image.Image) -> Image.Image:
    from PIL import Image

    return Image.new("RGB", image.size, WHITE)
