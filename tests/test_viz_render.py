"""Drawings as a renderer shows them: an SVG rasterised by librsvg keeps the indentation of
the source it shows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

from sector_cli.viz import tracer_script
from sector_cli.viz.svg import text_width
from sector_cli.viz.trace_view import FONT, PAD, ROW, build_view, render_svg
from sector_cli.viz.tracing import Trace
from tests.conftest import skip_or_fail

INDENTED = "if True:\n    x = 1\nx = 2\n"  # lines 2 and 3 both start with `x`


def trace_of(tmp_path: Path, code: str) -> Trace:
    """Run the tracer script directly, as the sandbox would, and read its trace."""
    program = tmp_path / "p.py"
    program.write_text(code)
    command = [sys.executable, tracer_script.__file__, "1000", "10", str(program)]
    data = subprocess.run(command, capture_output=True, timeout=30, check=True).stdout
    return Trace(data, code, "p.py")


def rasterise(svg: Path) -> Image.Image:
    if shutil.which("rsvg-convert") is None:
        skip_or_fail("rsvg", "rsvg-convert is not installed (Debian: librsvg2-bin)")
    png = svg.with_suffix(".png")
    subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True, timeout=60)
    return Image.open(png).convert("L")


def first_dark_x(image: Image.Image, top: float, left: float, right: float) -> int:
    """The x of the leftmost dark (text-coloured) pixel in one source row."""
    pixels = image.load()
    assert pixels is not None
    for x in range(int(left), int(right)):
        for y in range(int(top) + 2, int(top + ROW) - 2):
            if pixels[x, y] < 90:  # the text is #1f2328; boxes and line numbers are lighter
                return x
    raise AssertionError(f"no text in the row at y={top}")


def test_an_svg_step_keeps_the_source_indentation_in_its_pixels(tmp_path) -> None:
    found = trace_of(tmp_path, INDENTED)
    svg_path = tmp_path / "step.svg"
    svg = render_svg(build_view(found, len(found) - 1))
    svg_path.write_text(svg.render())
    image = rasterise(svg_path)
    code_x = 2 * PAD + text_width("000 ", FONT)  # past the line numbers
    rows = [28.0 + PAD / 2 + row * ROW for row in range(3)]
    indented, flush = (first_dark_x(image, top, code_x, image.width / 2) for top in rows[1:])
    char = FONT * 0.6  # a monospace advance: 0.6 em in DejaVu Sans Mono, Menlo and Consolas
    assert 3.5 * char < indented - flush < 4.5 * char, (indented, flush)


def test_every_drawing_preserves_spaces(tmp_path) -> None:
    from sector_cli.viz.svg import Svg, html_page

    drawing = Svg(100, 40)
    drawing.text(0, 20, "\tx  =  1")
    document = drawing.render()
    assert 'xml:space="preserve"' in document and "white-space: pre" in document
    assert ">        x  =  1</text>" in document  # a tab is drawn as spaces to the next stop
    assert 'xml:space="preserve"' in html_page("t", [drawing])
