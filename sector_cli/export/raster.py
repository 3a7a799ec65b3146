"""Pictures as pixels, for the formats that cannot hold SVG (DOCX, PPTX, PNG, JPEG).

librsvg's `rsvg-convert` draws the visualizations' monospaced SVG text most faithfully and in
a few milliseconds; without it (a laptop without librsvg2-bin), WeasyPrint draws the SVG into a
PDF page of its size and pypdfium2 renders that page: slower, but nothing else to install.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from sector_cli.errors import SectorError

RSVG_SECONDS = 60


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """The SVG drawn at `scale` pixels per CSS pixel, as PNG bytes."""
    rsvg = shutil.which("rsvg-convert")
    if rsvg is not None:
        return _rsvg(rsvg, svg, scale)
    return _weasyprint(svg, scale)


def svgs_to_png(svgs: list[str], scale: float = 2.0) -> list[bytes]:
    """Many SVGs as PNG bytes, in order: one rsvg-convert draws them all as the pages of one
    PDF and pypdfium2 renders the pages, three times quicker than a process per picture
    (a 50-step trace has 50)."""
    rsvg = shutil.which("rsvg-convert")
    if len(svgs) < 2 or rsvg is None:
        return [svg_to_png(svg, scale) for svg in svgs]
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="sector-pictures-") as folder:
        files = []
        for index, svg in enumerate(svgs):
            files.append(Path(folder) / f"{index:05d}.svg")
            files[-1].write_text(svg, encoding="utf-8")
        pdf = _run_rsvg([rsvg, "--format", "pdf", *map(str, files)], b"")
    return _pdf_pages_to_png(pdf, scale)


def _pdf_pages_to_png(pdf: bytes, scale: float) -> list[bytes]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    pngs = []
    try:
        for page in document:
            # A PDF page is measured in points (3/4 of a CSS pixel): scale pixels per CSS pixel.
            image = page.render(scale=scale * 4 / 3).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", compress_level=1)  # size matters less than time
            pngs.append(buffer.getvalue())
    finally:
        document.close()
    return pngs


def _rsvg(rsvg: str, svg: str, scale: float) -> bytes:
    return _run_rsvg([rsvg, "--zoom", f"{scale:g}", "--format", "png"], svg.encode("utf-8"))


def _run_rsvg(command: list[str], svg: bytes) -> bytes:
    try:
        done = subprocess.run(command, input=svg, capture_output=True, timeout=RSVG_SECONDS)
    except subprocess.TimeoutExpired:
        raise SectorError("rsvg-convert took too long to draw a picture") from None
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise SectorError(f"rsvg-convert could not draw a picture: {reason[-1] if reason else ''}")
    return done.stdout


def _weasyprint(svg: str, scale: float) -> bytes:
    import weasyprint

    from sector_cli.export.html import figure_source
    from sector_cli.export.model import Figure

    width, height = svg_size(svg)
    source = figure_source(Figure(svg, width, height))
    page = (
        f"<style>@page {{ size: {width}px {height}px; margin: 0 }} body {{ margin: 0 }}</style>"
        f'<img src="{source}" width="{width}" height="{height}">'
    )
    pdf = weasyprint.HTML(string=page).write_pdf(presentational_hints=True)
    return _pdf_pages_to_png(pdf, scale)[0]


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height (CSS pixels) on an SVG's root element; 800x600 when absent."""
    import re

    root = re.search(r"<svg\b[^>]*>", svg)
    found = {}
    for name in ("width", "height"):
        match = re.search(rf'\b{name}="([\d.]+)(?:px)?"', root.group() if root else "")
        found[name] = float(match.group(1)) if match else 0.0
    return found["width"] or 800.0, found["height"] or 600.0
