"""PNG and JPEG read back with Pillow: a picture is an image of its own size (not an A4 page),
other documents are their pages stacked with the empty end cut; the size follows --scale,
code is dark on light and readable at scale 1; an animation, a document too long for one
image and an image too large for memory are refused in one line, with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from sector_cli.errors import UsageError
from sector_cli.export.model import Document, Figure, Section
from sector_cli.export.service import Exports
from sector_cli.plugins.exporter import ExportOptions, Target
from sector_cli.plugins.exporters.raster import MAX_PAGES, JpegExporter, PngExporter
from sector_cli.services import open_services
from tests import export_samples

A4_WIDTH = 794  # CSS px
A4_HEIGHT = 1123
CODE_BACKGROUND = (246, 248, 250)  # #f6f8fa, behind a code block
HOT = (255, 248, 197)  # #fff8c5, the drawings' highlighted box


@pytest.fixture
def exports(sector_home: Path) -> Exports:
    return Exports(open_services())


def write(
    exports: Exports, document: Document, path: Path, scale: float = 1.0, format: str = "png"
) -> Image.Image:
    exporter = PngExporter if format == "png" else JpegExporter
    report = exports.write(document, format, exporter, path, options=ExportOptions(scale))
    image = Image.open(path)
    image.load()
    assert image.format == ("PNG" if format == "png" else "JPEG")
    assert report.written.pages is not None and report.size == path.stat().st_size
    return image


def luminance(image: Image.Image) -> list[int]:
    return list(image.convert("L").get_flattened_data())


def not_blank(image: Image.Image) -> None:
    values = luminance(image)
    dark = sum(v < 100 for v in values)
    assert 0.001 < dark / len(values) < 0.5  # some ink, on a light page
    assert sorted(values)[len(values) // 2] > 240  # mostly white


def code_region(image: Image.Image) -> Image.Image:
    """The first code block: the box of its background colour."""
    rgb = image.convert("RGB")
    mask = Image.new("L", rgb.size)
    mask.putdata([255 if p == CODE_BACKGROUND else 0 for p in rgb.get_flattened_data()])
    box = mask.getbbox()
    assert box is not None, "no code block drawn"
    return rgb.crop(box)


def text_rows(region: Image.Image) -> list[tuple[int, int]]:
    """The (top, bottom) pixel rows of each line of text in `region`."""
    grey = region.convert("L")
    width = grey.width
    pixels = grey.load()
    assert pixels is not None
    inked = [any(pixels[x, y] < 128 for x in range(width)) for y in range(grey.height)]
    rows, start = [], None
    for y, ink in enumerate([*inked, False]):
        if ink and start is None:
            start = y
        elif not ink and start is not None:
            rows.append((start, y))
            start = None
    return rows


def hot_box(image: Image.Image) -> tuple[int, int, int, int]:
    """Where the drawing's highlighted box (#fff8c5) is."""
    mask = Image.new("L", image.size)
    mask.putdata([255 if p == HOT else 0 for p in image.convert("RGB").get_flattened_data()])
    box = mask.getbbox()
    assert box is not None, "the figure is not drawn"
    return box


@pytest.mark.parametrize(("boxes", "scale"), [(3, 1), (3, 2), (7, 2)])
def test_a_picture_is_an_image_of_its_own_size(exports, tmp_path, boxes, scale) -> None:
    figure = export_samples.drawing("fib(6)", boxes)
    document = Document("Call tree of fib", export_samples.meta("calltree"),
                        (Section("fib(6)", (figure,)),))  # fmt: skip
    image = write(exports, document, tmp_path / "tree.png", scale)
    assert image.mode == "RGB"
    not_blank(image)
    # The figure and a margin of 24 px each side, with the title and caption above and
    # under it: not an A4 page.
    assert image.width == round((figure.width + 48) * scale)
    assert figure.height * scale < image.height < (figure.height + 260) * scale
    # Drawn at its own size and place: the highlighted box is 140 x 40 px at x = 20.
    left, top, right, bottom = hot_box(image)
    assert abs(left - (24 + 20) * scale) <= 2 * scale
    assert abs((right - left) - 140 * scale) <= 2 * scale
    assert abs((bottom - top) - 40 * scale) <= 2 * scale


def test_a_run_is_its_pages_stacked_with_the_empty_end_cut(exports, tmp_path) -> None:
    image = write(exports, export_samples.every_block(), tmp_path / "run.png", 1)
    assert image.width == A4_WIDTH
    # Two pages (the call tree goes on the second), the second cut under its caption.
    assert A4_HEIGHT < image.height < 2 * A4_HEIGHT - 200
    not_blank(image)
    # The bottom of the last page holds the call tree's caption, then a margin only.
    bottom = image.crop((0, image.height - 40, image.width, image.height))
    assert min(luminance(bottom)) > 240


def test_code_is_dark_on_light_and_readable_at_scale_one(exports, tmp_path) -> None:
    image = write(exports, export_samples.long_document(60), tmp_path / "out.png", 1)
    code = code_region(image)
    values = luminance(code)
    assert sum(v < 100 for v in values) / len(values) > 0.01  # dark text...
    assert sorted(values)[len(values) // 2] > 230  # ...on a light background
    rows = text_rows(code)
    assert len(rows) >= 50  # the lines of one page, told apart
    pitch = (rows[-1][0] - rows[0][0]) / (len(rows) - 1)
    tallest = max(bottom - top for top, bottom in rows)
    assert pitch >= 15 and tallest >= 9  # 12 pt lines, glyphs of 9 px and more: readable


def test_the_size_follows_the_scale_and_text_is_drawn_at_it(exports, tmp_path) -> None:
    small = write(exports, export_samples.long_document(30), tmp_path / "one.png", 1)
    large = write(exports, export_samples.long_document(30), tmp_path / "two.png", 2)
    assert large.width == 2 * small.width and abs(large.height - 2 * small.height) <= 2
    # Sharp at 2: the text is rendered at the scale (lines twice as tall), not enlarged; an
    # enlarged image would hold no edge sharper than the small one's.
    one, two = text_rows(code_region(small)), text_rows(code_region(large))
    assert len(one) == len(two)
    assert abs((two[-1][0] - two[0][0]) - 2 * (one[-1][0] - one[0][0])) <= 4
    assert max(b - t for t, b in two) >= 2 * max(b - t for t, b in one) - 2


def test_jpeg_is_rgb_and_the_same_drawing(exports, tmp_path) -> None:
    png = write(exports, export_samples.every_block(), tmp_path / "run.png", 1)
    jpeg = write(exports, export_samples.every_block(), tmp_path / "run.jpg", 1, "jpeg")
    assert jpeg.mode == "RGB" and jpeg.size == png.size
    not_blank(jpeg)
    picture = write(exports, export_samples.picture(), tmp_path / "tree.jpeg", 2, "jpeg")
    assert picture.mode == "RGB" and picture.width == (570 + 48) * 2
    assert min(picture.getpixel((2, 2))) >= 250  # on white, not on black transparency


def test_a_transparent_drawing_is_on_white_at_the_size_it_draws(exports, tmp_path) -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="100">'
           '<rect x="200" y="25" width="200" height="50" fill="#0969da"/></svg>')  # fmt: skip
    # The Figure says 300 px wide; the SVG draws 600: the picture is as wide as what is drawn.
    document = Document(
        "Bars", export_samples.meta("nn"), (Section("net", (Figure(svg, 300, 100),)),)
    )
    for format, name in (("png", "bars.png"), ("jpeg", "bars.jpg")):
        image = write(exports, document, tmp_path / name, 1, format).convert("RGB")
        assert image.width == 600 + 48
        left, top, right, bottom = blue_box(image)
        assert (left, right - left, bottom - top) == (24 + 200, 200, 50)
        assert min(image.getpixel((24 + 100, top + 25))) > 240  # not black: white paper


def blue_box(image: Image.Image) -> tuple[int, int, int, int]:
    mask = Image.new("L", image.size)
    mask.putdata([255 if b > 150 and r < 60 else 0 for r, _, b in image.get_flattened_data()])
    box = mask.getbbox()
    assert box is not None
    return box


def test_an_animation_is_refused_by_the_exporter_itself(tmp_path) -> None:
    target = Target(tmp_path / "frames.png", "frames.png")
    with pytest.raises(UsageError) as raised:
        PngExporter().export(export_samples.frames(3), target, ExportOptions())
    assert "a png holds one frame, and this document has 3" in raised.value.message
    assert "--steps N" in (raised.value.hint or "") and not PngExporter.animates
    assert not target.path.exists()
    # One frame of it is a picture.
    PngExporter().export(export_samples.frames(1), target, ExportOptions(1))
    assert Image.open(target.path).width < A4_WIDTH


def test_five_thousand_lines_are_refused_naming_pdf(exports, tmp_path) -> None:
    with pytest.raises(UsageError) as raised:
        exports.write(export_samples.long_document(5000), "png", PngExporter,
                      tmp_path / "huge.png")  # fmt: skip
    error = raised.value
    assert f"more than one png image holds ({MAX_PAGES} pages)" in error.message
    assert "pdf" in (error.hint or "") and "\n" not in error.one_line()
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing half-written


def test_a_document_just_past_the_cap_is_refused_once_laid_out(exports, tmp_path) -> None:
    # Under the quick estimate (64 lines a page), over 20 pages once laid out.
    with pytest.raises(UsageError, match=r"this document is 2\d pages long"):
        exports.write(export_samples.long_document(1300), "jpeg", JpegExporter,
                      tmp_path / "long.jpg")  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_an_image_too_large_for_memory_names_a_scale_that_fits(exports, tmp_path) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="6000"></svg>'
    document = Document("Huge", export_samples.meta("nn"),
                        (Section("net", (Figure(svg, 9000, 6000),)),))  # fmt: skip
    with pytest.raises(UsageError) as raised:
        exports.write(document, "png", PngExporter, tmp_path / "huge.png",
                      options=ExportOptions(2))  # fmt: skip
    assert "pixels, too large" in raised.value.message
    # 9,048 x 6,048 px with its margins: 1.2² of that is under 80 million pixels, 1.3² over.
    assert raised.value.hint == "Pass --scale 1.2, or export it as pdf"
    assert list(tmp_path.iterdir()) == []
