"""A picture document (`Document.is_picture()`: a call tree, a network, one frame) as one image
of its own size: the title, the meta line, each figure under its heading with its caption,
notes and paragraphs, in the HTML page's fonts and colours, with a small margin.

The figure is drawn by `svg_to_png` (rsvg-convert) and the few lines of text by Pillow, not
through WeasyPrint's pages: importing WeasyPrint alone takes half a second, and a call tree
should be a PNG in well under one (the issue's target). Text is wrapped to the picture's width.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from sector_cli.export.model import Document, Figure, Note, Paragraph

if TYPE_CHECKING:
    from PIL import Image, ImageFont

PAD = 24  # CSS px around the picture
MIN_WIDTH = 420  # CSS px: a small figure's title and meta line still fit on a line or two
INK = (31, 35, 40)  # #1f2328, the page's text
MUTED = (101, 109, 118)  # #656d76, the meta line and captions
RULE = (208, 215, 222)  # #d0d7de, under a heading
NOTE_COLOURS = {  # (bar, background), as the HTML's notes
    "info": ((84, 174, 255), (221, 244, 255)),
    "warning": ((212, 167, 44), (255, 248, 197)),
}
WHITE = (255, 255, 255)
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}


@dataclass(frozen=True)
class _Text:
    text: str
    size: float  # CSS px
    bold: bool = False
    colour: tuple[int, int, int] = INK
    before: float = 0  # CSS px of space above
    note: str | None = None  # the note's tone: drawn in its coloured box
    rule: bool = False  # a line under it (a section's heading)


def draw_picture(document: Document, scale: float) -> Image.Image:
    """The document as one RGB image, `scale` pixels per CSS pixel."""
    from PIL import Image

    from sector_cli.export.raster import svg_to_png

    figures = document.figures()
    drawn = {id(f): _on_white(Image.open(io.BytesIO(svg_to_png(f.svg, scale))))
             for f in figures}  # fmt: skip
    # As drawn: an SVG's own size wins over what its Figure says.
    widest = max(picture.width for picture in drawn.values()) / scale
    width = max(MIN_WIDTH, widest + 2 * PAD)
    parts = _parts(document)
    painter = _Painter(width, scale)
    height = painter.place(parts, drawn)
    image = Image.new("RGB", (round(width * scale), round(height * scale)), WHITE)
    painter.paint(image, parts, drawn)
    return image


def _on_white(picture: Image.Image) -> Image.Image:
    """The picture on white paper: what an SVG leaves transparent is not black."""
    from PIL import Image

    picture = picture.convert("RGBA")
    paper = Image.new("RGBA", picture.size, (*WHITE, 255))
    return Image.alpha_composite(paper, picture).convert("RGB")


def _parts(document: Document) -> list[_Text | Figure]:
    """What is drawn, top to bottom, with the page's sizes (14 px text, as 10.5 pt)."""
    parts: list[_Text | Figure] = [
        _Text(document.title, 25.6, bold=True),
        _Text(document.meta.line(), 14, colour=MUTED, before=3),
    ]
    parts += [_Text(n.text, 14, before=10, note=n.tone) for n in document.notes]
    for section in document.sections:
        parts.append(_Text(section.heading, 20, bold=True, before=20, rule=True))
        for block in section.blocks:
            if isinstance(block, Figure):
                parts.append(block)
                if block.caption:
                    parts.append(_Text(block.caption, 12.6, colour=MUTED, before=4))
            elif isinstance(block, Note):
                parts.append(_Text(block.text, 14, before=10, note=block.tone))
            elif isinstance(block, Paragraph):
                parts.append(_Text(block.text, 14, before=10))
    return parts


class _Painter:
    """Places the parts (in CSS px) down the picture, then paints them at `scale`."""

    def __init__(self, width: float, scale: float) -> None:
        self.width = width
        self.scale = scale
        self.tops: list[float] = []
        self.lines: list[list[str]] = []

    def place(self, parts: list[_Text | Figure], drawn: dict[int, Image.Image]) -> float:
        top: float = PAD
        for part in parts:
            if isinstance(part, Figure):
                top += 12
                self.tops.append(top)
                self.lines.append([])
                top += drawn[id(part)].height / self.scale + 4
                continue
            top += part.before
            self.tops.append(top)
            inset = 16 if part.note else 0
            lines = _wrap(part.text, _font(part.bold, part.size * self.scale),
                          (self.width - 2 * PAD - 2 * inset) * self.scale)  # fmt: skip
            self.lines.append(lines)
            top += (
                len(lines) * part.size * 1.45 + (12 if part.note else 0) + (6 if part.rule else 0)
            )
        return top + PAD

    def paint(
        self, image: Image.Image, parts: list[_Text | Figure], drawn: dict[int, Image.Image]
    ) -> None:
        from PIL import ImageDraw

        pen = ImageDraw.Draw(image)
        s = self.scale
        for part, top, lines in zip(parts, self.tops, self.lines, strict=True):
            if isinstance(part, Figure):
                image.paste(drawn[id(part)], (round(PAD * s), round(top * s)))
                continue
            font = _font(part.bold, part.size * s)
            left, y = PAD, top
            line_height = part.size * 1.45
            if part.note:
                bar, background = NOTE_COLOURS.get(part.note, NOTE_COLOURS["info"])
                bottom = top + len(lines) * line_height + 12
                pen.rectangle([PAD * s, top * s, (self.width - PAD) * s, bottom * s], background)
                pen.rectangle([PAD * s, top * s, (PAD + 4) * s, bottom * s], bar)
                left, y = PAD + 16, top + 6
            for line in lines:
                pen.text((left * s, (y + line_height / 2) * s), line, part.colour, font, "lm")
                y += line_height
            if part.rule:
                pen.line([PAD * s, (y + 3) * s, (self.width - PAD) * s, (y + 3) * s], RULE,
                         max(1, round(s)))  # fmt: skip


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """`text` in lines no wider than `width` pixels, broken between words (inside a word
    too long for a line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while font.getlength(line) > width and len(line) > 1:
                cut = _fit(line, font, width)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def _fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> int:
    """How many of `text`'s characters fit in `width` pixels (one at least)."""
    fits = 1
    while fits < len(text) and font.getlength(text[: fits + 1]) <= width:
        fits += 1
    return fits


@lru_cache(maxsize=16)
def _font(bold: bool, size: float) -> ImageFont.FreeTypeFont:
    """DejaVu Sans as the page's own text; Pillow's font where DejaVu is not installed."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype(FONT_FILES[bold], round(size))
    except OSError:
        fallback = ImageFont.load_default(size=round(size))
        assert isinstance(fallback, ImageFont.FreeTypeFont)  # Pillow is built with FreeType
        return fallback
