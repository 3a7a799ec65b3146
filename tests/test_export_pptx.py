"""PPTX export read back with python-pptx: a 16:9 deck of a title slide and a slide per
section, the figure as a picture Pillow decodes (not a screenshot of a terminal), code as
monospaced coloured runs, tables as PowerPoint tables, notes on the slides, and content too long
for a slide continued on the next ones, each text box holding its text (measured again here
with real fonts) and none running off its slide."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pptx
import pytest
from PIL import Image, ImageFont
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.util import Emu

from sector_cli.export.clean import clean_text
from sector_cli.export.kinds import ExportRequest
from sector_cli.export.model import BulletList, Code, Document, Paragraph, Section, Table, plain
from sector_cli.export.service import Exports
from sector_cli.plugins.exporter import ExportOptions
from sector_cli.plugins.exporters.pptx import PptxExporter
from sector_cli.services import open_services
from tests import export_samples
from tests.test_export_docx import MONOSPACED, assert_not_blank
from tests.test_export_kinds_text import run
from tests.test_export_kinds_viz import FIB, SQUARES

WIDESCREEN = (12192000, 6858000)  # 13.333 x 7.5 inches


@pytest.fixture
def exports(sector_home: Path) -> Exports:
    return Exports(open_services())


def written(exports: Exports, document: Document, path: Path, **options: Any) -> Any:
    path.parent.mkdir(exist_ok=True)
    report = exports.write(document, "pptx", PptxExporter, path, options=ExportOptions(**options))
    assert path.stat().st_size == report.size > 0
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]
    deck = pptx.Presentation(str(path))
    assert report.written.slides == len(deck.slides)
    assert (deck.slide_width, deck.slide_height) == WIDESCREEN
    for slide in deck.slides:
        assert_on_the_slide(deck, slide)
    return deck


def assert_on_the_slide(deck: Any, slide: Any) -> None:
    """No shape runs off its slide, and every text box holds its text."""
    for shape in every_shape(slide):
        assert shape.left >= 0 and shape.top >= 0, shape.name
        assert shape.left + shape.width <= deck.slide_width, shape.name
        assert shape.top + shape.height <= deck.slide_height, shape.name
        if shape.has_text_frame and shape.text_frame.text:
            needed = text_height(shape.text_frame, shape.width)
            assert needed <= shape.height + Emu(12700), (shape.name, shape.text_frame.text[:60])


def titles(deck: Any) -> list[str]:
    return [slide.shapes.title.text_frame.text for slide in deck.slides]


def texts(slide: Any) -> str:
    parts = []
    for shape in every_shape(slide):
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def pictures(slide: Any) -> list[Any]:
    return [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]


def code_box(slide: Any) -> Any:
    return next(s for s in every_shape(slide) if s.name == "Code")


def every_shape(slide: Any) -> list[Any]:
    """The slide's shapes, those inside groups too (a code block is a group)."""
    found = []
    for shape in slide.shapes:
        found.append(shape)
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            found += list(shape.shapes)
    return found


def test_a_title_slide_then_a_slide_per_section(exports, tmp_path) -> None:
    document = export_samples.every_block()
    deck = written(exports, document, tmp_path / "out" / "run.pptx")
    assert titles(deck) == ["Run #7 of greet.py", "Program", "Output", "Call tree"]
    first = texts(deck.slides[0])
    assert export_samples.meta().line() in first
    assert "Note: exported from a sample" in first  # the document's own notes, visible
    program = texts(deck.slides[1])
    assert "Bold then greet() and italic" in program and "A heading inside" in program
    assert "first item\nsecond item" in program
    assert "Warning: the trace stopped at its time limit" in program
    output = texts(deck.slides[2])
    assert "hello, Ada" in output and export_samples.VERDICT in output
    assert clean_text(export_samples.HOSTILE) in output and "a bell ^G, a NUL ^@" in output
    assert not any(char in output for char in "\x00\x07\x1b")
    for number, slide in enumerate(deck.slides, start=1):
        assert f"{number} / 4" in texts(slide).splitlines()  # the footer's count

    properties = deck.core_properties
    assert properties.title == document.title and properties.author == "Sector"
    assert properties.subject == "run" and properties.keywords == "Sector, run, demo"
    package = deck.part.package
    assert package.part_related_by is not None
    app = next(p for p in package.iter_parts() if str(p.partname) == "/docProps/app.xml").blob
    assert b"Widescreen" in app and b"<Slides>4</Slides>" in app
    assert not [p for p in package.iter_parts() if "thumbnail" in str(p.partname)]


def test_the_figure_is_a_picture_fitted_and_centred(exports, tmp_path) -> None:
    document = export_samples.every_block()
    figure = document.figures()[0]
    deck = written(exports, document, tmp_path / "out" / "figure.pptx")
    assert [len(pictures(slide)) for slide in deck.slides] == [0, 0, 0, 1]
    picture = pictures(deck.slides[3])[0]
    assert abs(picture.height / picture.width - figure.height / figure.width) < 0.01
    assert abs(picture.left + picture.width / 2 - deck.slide_width / 2) < Emu(12700)
    # Larger than its own size on a slide (twice, at most), and drawn with as many pixels.
    own = Emu(round(figure.width * 0.75 * 12700))
    assert own < picture.width <= 2 * own + Emu(12700)
    image = Image.open(io.BytesIO(picture.image.blob))
    assert image.width >= 2 * figure.width * (picture.width / own) - 2
    assert_not_blank(image)
    assert picture._element.nvPicPr.cNvPr.get("descr") == "a drawing of calls"
    assert "a drawing of calls" in texts(deck.slides[3])  # its caption


def test_code_is_a_monospaced_coloured_text_box(exports, tmp_path) -> None:
    deck = written(exports, export_samples.every_block(), tmp_path / "out" / "code.pptx")
    slide = deck.slides[1]
    box = code_box(slide)
    lines = [p.text for p in box.text_frame.paragraphs]
    assert lines == [
        f"{n}  {line}" for n, line in enumerate(export_samples.SOURCE.splitlines(), start=1)
    ]
    runs = [r for p in box.text_frame.paragraphs for r in p.runs if r.text.strip()]
    assert runs and all(r.font.name in MONOSPACED for r in runs)
    assert len({str(r.font.color.rgb) for r in runs}) >= 4
    # The marked line (3) has a band behind it, where the third line of the box is.
    band = next(s for s in every_shape(slide) if s.name == "Marked line")
    line = box.text_frame.paragraphs[0].line_spacing
    expected = box.top + box.text_frame.margin_top + 2 * line
    assert abs(band.top - expected) < Emu(12700) and abs(band.height - line) < Emu(12700)
    (group,) = [s for s in slide.shapes if s.name == "Code block"]  # they move as one
    names = [s.name for s in group.shapes]
    assert names == ["Code background", "Marked line", "Code"]


def test_the_table_is_a_powerpoint_table(exports, tmp_path) -> None:
    deck = written(exports, export_samples.every_block(), tmp_path / "out" / "table.pptx")
    frames = [s for s in deck.slides[1].shapes if s.has_table]
    assert len(frames) == 1
    table = frames[0].table
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["stream", "text"],
        ["stdout", "hello, Ada"],
        ["verdict", "ok"],
    ]
    assert table.first_row
    assert all(r.font.bold for c in table.rows[0].cells for r in c.text_frame.paragraphs[0].runs)
    value = table.cell(1, 1).text_frame.paragraphs[0].runs[0]
    label = table.cell(1, 0).text_frame.paragraphs[0].runs[0]
    assert value.font.name in MONOSPACED and label.font.name not in MONOSPACED
    assert "the run" in texts(deck.slides[1])  # the caption


def test_long_output_goes_on_over_several_slides(exports, tmp_path) -> None:
    deck = written(exports, export_samples.long_document(400), tmp_path / "out" / "long.pptx")
    slides = list(deck.slides)[1:]
    assert len(slides) > 5
    assert titles(deck)[1:] == [f"Output ({n}/{len(slides)})" for n in range(1, len(slides) + 1)]
    shown = [p.text for slide in slides for p in code_box(slide).text_frame.paragraphs]
    assert shown == [f"line {n:04d} of the output" for n in range(1, 401)]  # each once, in order


def test_a_long_paragraph_and_a_long_table_go_on_too(exports, tmp_path) -> None:
    words = " ".join(f"word{n}" for n in range(1, 1501))
    rows = tuple((str(n), f"value {n}") for n in range(1, 61))
    wide = "x" * 400  # a code line longer than four lines of the box
    document = Document(
        "Long",
        export_samples.meta("answer"),
        (
            Section("Answer", (Paragraph.of(words),)),
            Section("Values", (Table(("n", "value"), rows, monospace=frozenset({0})),)),
            Section("Wide", (Code(f"{wide}\nshort"),)),
        ),
    )
    deck = written(exports, document, tmp_path / "out" / "long.pptx")
    answer = [s for s in deck.slides if s.shapes.title.text_frame.text.startswith("Answer (")]
    assert len(answer) > 1
    told = " ".join(
        shape.text_frame.text
        for slide in answer
        for shape in slide.shapes
        if shape.has_text_frame and not shape.is_placeholder and "word" in shape.text_frame.text
    )
    assert told.split() == words.split()
    values = [s for s in deck.slides if s.shapes.title.text_frame.text.startswith("Values (")]
    assert len(values) > 1
    tables = [next(s for s in slide.shapes if s.has_table).table for slide in values]
    assert all(t.cell(0, 0).text == "n" and t.cell(0, 1).text == "value" for t in tables)
    assert [t.cell(r, 0).text for t in tables for r in range(1, len(t.rows))] == [
        str(n) for n in range(1, 61)
    ]
    wide_slide = next(s for s in deck.slides if s.shapes.title.text_frame.text == "Wide")
    assert [p.text for p in code_box(wide_slide).text_frame.paragraphs] == [wide, "short"]


def test_frames_are_a_slide_each_with_their_picture(exports, tmp_path) -> None:
    document = export_samples.frames(4)
    deck = written(exports, document, tmp_path / "out" / "frames.pptx")
    assert titles(deck) == [document.title] + [s.heading for s in document.sections]
    for slide, n in zip(list(deck.slides)[1:], range(1, 5), strict=True):
        assert len(pictures(slide)) == 1
        assert f"x = {n}" in texts(slide)
        assert_not_blank(Image.open(io.BytesIO(pictures(slide)[0].image.blob)))


def test_a_picture_document_is_one_slide_and_its_picture(exports, tmp_path) -> None:
    deck = written(exports, export_samples.picture(), tmp_path / "out" / "tree.pptx", scale=1.0)
    assert titles(deck) == ["Call tree of greet", "greet"]
    picture = pictures(deck.slides[1])[0]
    # The room under the title, less its caption: as big as twice its size allows.
    assert picture.width > deck.slide_width / 2


# measuring text again, with real fonts

FONT_FILES = {True: "DejaVuSansMono.ttf", False: "LiberationSans-Regular.ttf"}


def _font(size: float, mono: bool) -> Any:
    try:
        return ImageFont.truetype(FONT_FILES[mono], round(size * 10))
    except OSError:
        pytest.fail(
            f"{FONT_FILES[mono]} is needed to measure text (fonts-dejavu, fonts-liberation)"
        )


def text_height(frame: Any, width: int) -> int:
    """How tall the frame's text is when wrapped at spaces as PowerPoint does, measured with
    DejaVu Sans Mono for monospaced runs and Liberation Sans (Arial's widths, wider than the
    theme's Calibri) for the others; in EMU."""
    inner = (width - frame.margin_left - frame.margin_right) / 12700 * 10  # in font units
    total = frame.margin_top + frame.margin_bottom
    for paragraph in frame.paragraphs:
        indent = int(paragraph._p.pPr.get("marL", 0)) if paragraph._p.pPr is not None else 0
        room = inner - indent / 12700 * 10
        lines, used = 1, 0.0
        for piece in paragraph.runs:
            font = _font(piece.font.size.pt, piece.font.name in MONOSPACED)
            for word in _words(piece.text):
                if word.startswith("\v"):  # a line break inside the paragraph
                    lines, used, word = lines + 1, 0.0, word.lstrip("\v")
                advance = font.getlength(word)
                if used + font.getlength(word.rstrip()) > room and used:
                    lines, used = lines + 1, 0.0
                while advance > room:  # a word longer than the line breaks anywhere
                    lines, advance = lines + 1, advance - room
                used += advance
        total += lines * paragraph.line_spacing
    return int(total)


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"\v?[^\s\v]+[^\S\v]*|\v?[^\S\v]+|\v", text)


# real runs and traces, in the local sandbox


def test_a_real_trace_is_a_slide_a_step_with_its_source_in_the_notes(
    workdir, local_runner, tmp_path
) -> None:
    (workdir / "squares.py").write_text(SQUARES)
    out = tmp_path / "out" / "trace.pptx"
    out.parent.mkdir()
    request = ExportRequest(runner="local", steps="3-5")
    report = Exports(open_services()).export("trace", "squares.py", out=str(out), request=request)
    deck = pptx.Presentation(str(out))
    assert report.written.slides == len(deck.slides) == 4  # the title and one a step
    for slide in list(deck.slides)[1:]:
        assert_on_the_slide(deck, slide)
        (picture,) = pictures(slide)
        assert picture.width > deck.slide_width * 0.6  # the drawing is the slide
        assert_not_blank(Image.open(io.BytesIO(picture.image.blob)))
        # The source and the variables, which the drawing shows, are in the speaker notes,
        # the step's line pointed at.
        line = int(slide.shapes.title.text_frame.text.split(" · ")[1].removeprefix("line "))
        notes = slide.notes_slide.notes_text_frame
        assert f"{line} → " in notes.text and "total = 0" in notes.text
        assert "frame | variable | value" in notes.text
        code = [p.runs[0] for p in notes.paragraphs if "total = 0" in p.text]
        assert code and all(r.font.name in MONOSPACED for r in code)


def test_a_real_call_tree_and_run(sector, workdir, local_runner, tmp_path) -> None:
    (workdir / "fib.py").write_text(FIB)
    exports = Exports(open_services())
    tree = tmp_path / "out" / "calls.pptx"
    tree.parent.mkdir()
    exports.export("calltree", "fib.py", out=str(tree), request=ExportRequest(runner="local"))
    deck = pptx.Presentation(str(tree))
    assert titles(deck) == ["Call tree of fib.py", "Calls made by fib.py"]
    (picture,) = pictures(deck.slides[1])
    assert_on_the_slide(deck, deck.slides[1])
    assert abs(picture.left + picture.width / 2 - deck.slide_width / 2) < Emu(12700)
    assert_not_blank(Image.open(io.BytesIO(picture.image.blob)))

    number = run(sector, "fib.py")
    out = tmp_path / "out" / "run.pptx"
    exports.export("run", str(number), out=str(out))
    deck = pptx.Presentation(str(out))
    assert titles(deck)[0] == f"Run #{number}: fib.py"
    output = next(s for s in deck.slides if s.shapes.title.text_frame.text == "Output")
    assert code_box(output).text_frame.text == "5"
    program = next(s for s in deck.slides if s.shapes.title.text_frame.text == "Program")
    runs = [r for p in code_box(program).text_frame.paragraphs for r in p.runs if r.text.strip()]
    assert "def fib(n):" in code_box(program).text_frame.text
    assert all(r.font.name in MONOSPACED for r in runs)


def test_edge_cases_stay_on_their_slides(exports, tmp_path) -> None:
    long_title = "A title that goes on " * 20
    document = Document(
        long_title,
        export_samples.meta(),
        (
            Section("An empty section"),
            Section("Header only", (Table(("a", "b"), ()),)),
            Section("A heading far too long for a slide's title, " * 6, (Paragraph.of("x"),)),
            Section("Empty code", (Code(""),)),
        ),
    )
    deck = written(exports, document, tmp_path / "out" / "edges.pptx")
    assert len(deck.slides) == 5
    names = titles(deck)
    assert names[0].endswith("…") and names[0].startswith("A title that goes on")
    assert names[3].endswith("…")
    (table,) = [s.table for s in deck.slides[2].shapes if s.has_table]
    assert [c.text for c in table.rows[0].cells] == ["a", "b"] and len(table.rows) == 1
    empty = written(exports, Document("Nothing", export_samples.meta(), ()), tmp_path / "e.pptx")
    assert len(empty.slides) == 1


def test_a_long_numbered_list_goes_on_numbering_where_it_stopped(exports, tmp_path) -> None:
    items = tuple(plain(f"item {n} " + "and more words " * (4 + n % 30)) for n in range(40))
    document = Document(
        "List",
        export_samples.meta("answer"),
        (
            Section("Steps", (BulletList(items, ordered=True, start=3),)),
            Section("Points", (BulletList((plain("one"), plain("two"))),)),
        ),
    )
    deck = written(exports, document, tmp_path / "out" / "list.pptx")
    steps = [s for s in deck.slides if s.shapes.title.text_frame.text.startswith("Steps (")]
    assert len(steps) > 1
    told: list[str] = []
    for slide in steps:
        (box,) = [s for s in slide.shapes if s.has_text_frame and "item" in s.text_frame.text]
        for paragraph in box.text_frame.paragraphs:
            properties = paragraph._p.pPr
            number = properties.find(qn("a:buAutoNum"))
            if paragraph.text.startswith("item "):
                begun = int(paragraph.text.split()[1])
                first = next(
                    int(p.text.split()[1])
                    for p in box.text_frame.paragraphs
                    if p.text.startswith("item ")
                )
                assert number.get("startAt") == str(3 + first)  # the box counts from there
                told.append(f"item {begun}")
            else:  # an item that began on the slide before: no number of its own
                assert number is None and properties.find(qn("a:buNone")) is not None
                told.append("continued")
    assert [t for t in told if t != "continued"] == [f"item {n}" for n in range(40)]
    assert "continued" in told  # an item broken between two slides
    points = next(s for s in deck.slides if s.shapes.title.text_frame.text == "Points")
    (box,) = [s for s in points.shapes if s.has_text_frame and "one" in s.text_frame.text]
    marks = [p._p.pPr.find(qn("a:buChar")).get("char") for p in box.text_frame.paragraphs]
    assert marks == ["•", "•"]
