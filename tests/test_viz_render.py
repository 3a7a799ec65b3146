"""Drawings as a renderer shows them: an SVG rasterised by librsvg, and an HTML page shot by
Chromium, keep the indentation of the source they show; the interactive trace fits an 80x24
terminal, checked in tmux."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from sector_cli.viz.drawing import text_width
from sector_cli.viz.trace import Trace, build_view, render_svg, tracer_script
from sector_cli.viz.trace.view import FONT, PAD, ROW
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


def text_bands(image: Image.Image) -> list[int]:
    """Each run of rows with dark pixels (a line of text), as the x of its leftmost one."""
    pixels = image.load()
    assert pixels is not None
    bands: list[int] = []
    blank = 99  # rows since the last dark one: a line's own thin rows leave gaps of 1 or 2
    for y in range(image.height):
        dark = [x for x in range(image.width // 2) if pixels[x, y] < 90]
        if dark and blank <= 2:
            bands[-1] = min(bands[-1], dark[0])
        elif dark:
            bands.append(dark[0])
        blank = 0 if dark else blank + 1
    return bands


def test_an_html_step_keeps_the_source_indentation_in_chromium(tmp_path) -> None:
    from sector_cli.viz.drawing import html_page

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        skip_or_fail("chromium", "chromium is not installed")
    found = trace_of(tmp_path, INDENTED)
    page, shot = tmp_path / "step.html", tmp_path / "step.png"
    page.write_text(html_page("Trace", [render_svg(build_view(found, len(found) - 1))]))
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--screenshot={shot}", "--window-size=800,400", page.as_uri()]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    *_, first, indented, flush = text_bands(Image.open(shot).convert("L"))  # the source, last
    char = FONT * 0.6
    assert abs(first - flush) <= 2 and 3.5 * char < indented - flush < 4.5 * char, (
        first,
        indented,
        flush,
    )


def test_every_drawing_preserves_spaces(tmp_path) -> None:
    from sector_cli.viz.drawing import Svg, html_page

    drawing = Svg(100, 40)
    drawing.text(0, 20, "\tx  =  1")
    document = drawing.render()
    assert 'xml:space="preserve"' in document and "white-space: pre" in document
    assert ">        x  =  1</text>" in document  # a tab is drawn as spaces to the next stop
    assert 'xml:space="preserve"' in html_page("t", [drawing])


# The terminal stepper in tmux -----------------------------------------------------------------


class Tmux:
    """A detached 80x24 tmux session on a server of its own (its own socket)."""

    def __init__(self, socket: Path) -> None:
        if shutil.which("tmux") is None:
            skip_or_fail("tmux", "tmux is not installed")
        self.base = ["tmux", "-S", str(socket)]

    def start(self, command: str, width: int = 80, height: int = 24) -> None:
        size = ["-x", str(width), "-y", str(height)]
        subprocess.run([*self.base, "new-session", "-d", *size, command], check=True)

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", *keys], check=True)

    def screen(self) -> list[str]:
        shown = subprocess.run(
            [*self.base, "capture-pane", "-p"], capture_output=True, text=True, check=True
        )
        return shown.stdout.splitlines()

    def wait_for(self, text: str, seconds: float = 60) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if any(text in line for line in screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never shown:\n" + "\n".join(self.screen()))

    def stop(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


WALK = """def walk(items):
    total = 0
    for index, item in enumerate(items):
        if item % 2:
            total += item * index
        else:
            total -= item
        print('item', index, 'gives a running total of', total, 'so far, and counting')
    return total
"""
VALUES = "".join(f"v{n} = [{n}, {n + 1}, {n + 2}]\n" for n in range(12))
LONG = WALK + "\n\n" + VALUES + "print(walk(list(range(12))))\n"  # 35 lines, 12 lists


def test_the_interactive_trace_fits_80x24_with_its_header_on_the_first_row(
    sector, workdir, local_runner, tmp_path, sector_home
) -> None:
    (workdir / "long.py").write_text(LONG)
    assert sector("run", "long.py", "--trace", "-r", "local").exit_code == 0
    tmux = Tmux(tmp_path / "tmux.sock")
    sector_bin = Path(sys.executable).with_name("sector")
    tmux.start(f"cd {workdir} && SECTOR_HOME={sector_home} {sector_bin} viz trace 1; sleep 30")
    try:
        assert "step 1 of" in tmux.wait_for("q quit")[0]
        for keys, shown in ((["j", "60", "Enter"], "step 60 of"), (["e"], "at the end")):
            tmux.keys(*keys)
            screen = tmux.wait_for(shown)
            assert re.match(r"╭─ step \d+ of \d+ · line \d+", screen[0]), "\n".join(screen)
            assert len(screen) <= 24 and all(len(line) <= 80 for line in screen)
        tmux.keys("q")
    finally:
        tmux.stop()


def test_a_step_rendered_for_a_small_screen_is_exactly_that_tall(tmp_path) -> None:
    from rich.console import Console

    from sector_cli.viz.trace import render_terminal

    found = trace_of(tmp_path, LONG)
    for index in (0, 59, len(found) - 1):
        for width, height in ((80, 22), (60, 14), (120, 40)):
            console = Console(width=width, height=height + 2, record=True)
            console.print(render_terminal(build_view(found, index), height=height))
            lines = console.export_text().splitlines()
            assert len(lines) == height and lines[0].startswith(f"╭─ step {index + 1} of")
            assert all(len(line) <= width for line in lines)
