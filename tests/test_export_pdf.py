"""The PDF exporter, read back: pypdf finds the run's output, the verdict, "Page N of M" on
every page and the file's properties; long output is paginated; control characters are shown,
never raw; a wide picture gets a landscape page and a tall one stays on its page."""

from __future__ import annotations

import itertools
from pathlib import Path

import pypdf
import pytest

from sector_cli.export.clean import CONTROL, clean_text
from sector_cli.export.model import Document, Figure, Section
from sector_cli.export.service import Exports
from sector_cli.plugins.exporters.pdf import PdfExporter
from sector_cli.services import open_services
from sector_cli.viz.drawing import Svg
from tests import export_samples
from tests.export_samples import HOSTILE, VERDICT


@pytest.fixture
def exports(sector_home: Path) -> Exports:
    return Exports(open_services())


def write(exports: Exports, document: Document, path: Path) -> pypdf.PdfReader:
    report = exports.write(document, "pdf", PdfExporter, path)
    assert path.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(path)
    assert report.written.pages == len(reader.pages) and report.size == path.stat().st_size
    return reader


def texts(reader: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_a_run_has_its_output_verdict_numbered_pages_and_properties(exports, tmp_path) -> None:
    reader = write(exports, export_samples.every_block(), tmp_path / "r.pdf")
    pages = texts(reader)
    text = "\n".join(pages)
    for expected in ("Run #7 of greet.py", "hello, Ada", VERDICT, 'print(greet("Ada"))',
                     "the trace stopped at its time limit", "child 2 → 4"):  # fmt: skip
        assert expected in text, expected
    count = len(pages)
    assert count >= 2  # the call tree does not fit under the output
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {count}" in page
    # The title runs at the top of every page but the first.
    assert pages[0].count("Run #7 of greet.py") == 1 and "Run #7 of greet.py" in pages[-1]
    info = reader.metadata
    assert info is not None
    assert info.title == "Run #7 of greet.py" and info.author == "Sector"
    assert info.subject == "run" and "demo" in (info.get("/Keywords") or "")
    assert info.creation_date is not None and info.creation_date.year == 2026


def test_a_real_run_exported_has_what_it_printed(sector, workdir, exports, local_runner) -> None:
    (workdir / "greet.py").write_text('print("hello, Ada")\nprint("bye")\n')
    assert sector("run", "greet.py", "-r", "local").exit_code == 0
    report = exports.export("run", "last", format="pdf", out=str(workdir / "run.pdf"))
    reader = pypdf.PdfReader(workdir / "run.pdf")
    text = "\n".join(texts(reader))
    assert "hello, Ada\nbye" in text and "Verdict: accepted" in text
    assert f"Page 1 of {len(reader.pages)}" in text and report.written.pages == len(reader.pages)


def test_long_output_is_paginated_in_order(exports, tmp_path) -> None:
    reader = write(exports, export_samples.long_document(400), tmp_path / "long.pdf")
    pages = texts(reader)
    assert len(pages) >= 5
    numbers = [int(line.split()[1]) for page in pages for line in page.splitlines()
               if line.startswith("line ")]  # fmt: skip
    assert numbers == list(range(1, 401))  # every line once, in order, none cut off a page
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1))


def test_five_thousand_lines_of_output_paginate(exports, tmp_path) -> None:
    reader = write(exports, export_samples.long_document(5000), tmp_path / "huge.pdf")
    count = len(reader.pages)
    assert count > 50
    assert "line 0001 of the output" in reader.pages[0].extract_text()
    last = reader.pages[-1].extract_text()
    assert "line 5000 of the output" in last and f"Page {count} of {count}" in last


def test_control_characters_are_shown_never_raw(exports, tmp_path) -> None:
    reader = write(exports, export_samples.every_block(), tmp_path / "hostile.pdf")
    text = "\n".join(texts(reader))
    assert clean_text(HOSTILE) in text  # colours dropped, controls as visible characters
    assert not CONTROL.search(text)
    assert "hello, Ada" in text and VERDICT in text


def test_every_character_of_hostile_output_has_a_glyph(exports, tmp_path) -> None:
    reader = write(exports, export_samples.every_block(), tmp_path / "hostile.pdf")
    # WeasyPrint gives a font an encoding of its own only to map the characters it has no
    # glyph for to an empty box (which pypdf cannot read back either).
    lacking = [
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if not isinstance(font.get_object().get("/Encoding"), str)
    ]
    assert lacking == []


def picture(width: float, height: float, label: str) -> Document:
    svg = Svg(width, height, title=label)
    svg.rect(10, 10, width - 20, height - 20)
    svg.text(width / 2, height / 2, label, anchor="middle")
    figure = Figure(svg.render(), svg.width, svg.height, caption=f"{label} caption")
    return Document(label, export_samples.meta("calltree"), (Section(label, (figure,)),))


def page_shape(reader: pypdf.PdfReader) -> tuple[float, float]:
    box = reader.pages[0].mediabox
    return float(box.width), float(box.height)


def test_a_wide_picture_gets_a_landscape_page_a_small_one_a4(exports, tmp_path) -> None:
    wide = write(exports, picture(980, 440, "fib(6)"), tmp_path / "wide.pdf")
    width, height = page_shape(wide)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    assert "fib(6)" in wide.pages[0].extract_text() and len(wide.pages) == 1
    small = write(exports, picture(500, 200, "fib(2)"), tmp_path / "small.pdf")
    assert [round(v) for v in page_shape(small)] == [595, 842]  # it fits A4 as it is


def test_a_picture_too_wide_to_read_is_printed_whole_then_in_parts(exports, tmp_path) -> None:
    reader = write(exports, picture(4000, 600, "fib(12)"), tmp_path / "huge.pdf")
    pages = texts(reader)
    first = pages[0]
    assert "fib(12) caption" in first and "the 4 pages after this one show it in parts" in first
    assert len(pages) == 5 and [round(v) for v in page_shape(reader)] == [842, 595]
    for number, page in enumerate(pages[1:], 1):
        assert f"fib(12), part {number} of 4" in page and f"Part {number} of 4" in page
        assert f"Page {number + 1} of 5" in page


def test_the_parts_cover_the_whole_drawing_and_nothing_else_changes() -> None:
    import xml.etree.ElementTree as ET

    from sector_cli.plugins.exporters.tiles import MAX_PARTS, cut

    figure = picture(4000, 600, "fib(12)").figures()[0]
    parts, zoom = cut(figure, (1009, 453), 0.6)
    assert len(parts) == 4 and abs(zoom - 600 / 453) < 0.01  # one row, at 75% of its size
    boxes = []
    for part in parts:
        root = ET.fromstring(part.svg)
        x, _, width, height = map(float, root.attrib["viewBox"].split())
        assert (float(root.attrib["width"]), float(root.attrib["height"])) == (width, height)
        assert part.width <= 1009.5 and part.height <= 453.5
        boxes.append((x, x + width))
        # The drawing itself is the same: only the root's window moved.
        assert [child.tag for child in root] == [child.tag for child in ET.fromstring(figure.svg)]
    assert boxes[0][0] == 0 and boxes[-1][1] == 4000
    assert all(left < previous[1] for previous, (left, _) in itertools.pairwise(boxes))
    # A drawing of thousands of calls stays within MAX_PARTS pages, drawn smaller.
    many, zoom = cut(picture(40000, 4000, "huge").figures()[0], (1009, 453), 0.6)
    assert len(many) <= MAX_PARTS and zoom > 1


def test_a_tall_picture_is_shrunk_onto_its_page_or_printed_in_rows(exports, tmp_path) -> None:
    reader = write(exports, picture(400, 1100, "deep"), tmp_path / "tall.pdf")
    assert len(reader.pages) == 1  # shrunk to fit (to 69%), not cut or pushed over pages
    text = reader.pages[0].extract_text()
    assert "deep caption" in text and "Page 1 of 1" in text
    assert [round(v) for v in page_shape(reader)] == [595, 842]
    deeper = texts(write(exports, picture(400, 2600, "deeper"), tmp_path / "deeper.pdf"))
    assert "show it in parts, at 100% of its size" in " ".join(deeper[0].split())
    assert len(deeper) == 1 + 4 and "Row 4 of 4, column 1 of 1" in deeper[-1]


def test_frames_are_a_page_each(exports, tmp_path) -> None:
    reader = write(exports, export_samples.frames(4), tmp_path / "frames.pdf")
    pages = texts(reader)
    assert len(pages) == 4
    for number, page in enumerate(pages, 1):
        assert f"Step {number} of 4" in page and f"x = {number}" in page
