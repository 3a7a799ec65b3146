"""DOCX export read back with python-docx: real headings by style, code as monospaced coloured
runs (not a picture of text), a real Word table, a picture drawn from the SVG that Pillow
decodes, page numbers, the file's properties, and a program's control characters shown as
visible marks. Every file goes through the export service (cleaning, temporary file, rename)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Emu
from PIL import Image

from sector_cli.export.clean import clean_text
from sector_cli.export.kinds import ExportRequest
from sector_cli.export.model import BulletList, Document, Paragraph, Section, Span, plain
from sector_cli.export.service import Exports
from sector_cli.plugins.exporter import ExportOptions
from sector_cli.plugins.exporters.docx import CODE_STYLE, DocxExporter
from sector_cli.services import open_services
from tests import export_samples
from tests.test_export_kinds_text import run
from tests.test_export_kinds_viz import SQUARES

# Fonts whose every character has the same advance (what a code listing needs).
MONOSPACED = {"DejaVu Sans Mono", "Consolas", "Courier New", "Liberation Mono", "Menlo"}


@pytest.fixture
def exports(sector_home: Path) -> Exports:
    return Exports(open_services())


def written(exports: Exports, document: Document, path: Path, **options: Any) -> Any:
    path.parent.mkdir(exist_ok=True)
    report = exports.write(document, "docx", DocxExporter, path, options=ExportOptions(**options))
    assert report.path == str(path) and path.stat().st_size == report.size > 0
    assert report.written.pages is None and report.written.slides is None
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary left
    return docx.Document(str(path))


def font_of(run: Any, paragraph: Any) -> str | None:
    """The font a run is drawn in: its own, else its character style's, else its paragraph
    style's, each style through the styles it is based on."""
    if run.font.name:
        return str(run.font.name)
    for style in (run.style, paragraph.style):
        while style is not None:
            if style.font.name:
                return str(style.font.name)
            style = style.base_style
    return None


def text_of(word: Any) -> str:
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def styled(word: Any, style: str) -> list[str]:
    return [p.text for p in word.paragraphs if p.style.name == style]


def test_every_block_reads_back_as_a_word_document(exports, tmp_path) -> None:
    word = written(exports, export_samples.every_block(), tmp_path / "run.docx")

    assert styled(word, "Title") == ["Run #7 of greet.py"]
    assert styled(word, "Subtitle") == [export_samples.meta().line()]
    assert styled(word, "Heading 1") == ["Program", "Output", "Call tree"]
    assert styled(word, "Heading 2") == ["A heading inside"]
    assert styled(word, "List Bullet") == ["first item", "second item"]

    text = text_of(word)
    assert "hello, Ada" in text and export_samples.VERDICT in text
    # The program's bell, NUL and colour codes are shown as marks, never written raw.
    shown = clean_text(export_samples.HOSTILE)
    assert shown in text and "colour red," in shown and "a bell ^G, a NUL ^@" in shown
    assert not any(char in text for char in "\x00\x07\x1b")

    inline = next(r for p in word.paragraphs for r in p.runs if r.text == "greet()")
    assert font_of(inline, next(p for p in word.paragraphs if inline.text in p.text)) in MONOSPACED
    bold = next(r for p in word.paragraphs for r in p.runs if r.text == "Bold")
    assert bold.bold is True

    notes = [p for p in word.paragraphs if p.text.startswith(("Note: ", "Warning: "))]
    assert [p.text for p in notes] == [
        "Note: exported from a sample",
        "Warning: the trace stopped at its time limit",
    ]
    assert all(p._p.pPr.find(qn("w:shd")) is not None for p in notes)


def test_code_is_monospaced_coloured_text_with_numbers_and_the_marked_line(
    exports, tmp_path
) -> None:
    word = written(exports, export_samples.every_block(), tmp_path / "code.docx")
    code = [p for p in word.paragraphs if p.style.name == CODE_STYLE]
    program, output = code[:5], code[5:]
    # One paragraph a line, numbered; the source's final newline makes no sixth line.
    assert [p.text for p in program] == [
        f"{n}  {line}" for n, line in enumerate(export_samples.SOURCE.splitlines(), start=1)
    ]
    assert [p.text for p in output][:2] == ["hello, Ada", "second line of output"]
    runs = [(r, p) for p in code for r in p.runs if r.text.strip()]
    assert runs and all(font_of(r, p) in MONOSPACED for r, p in runs)
    colours = {str(r.font.color.rgb) for r, _ in runs}
    assert len(colours) >= 4  # keywords, names, strings, plain text
    assert "008000" in colours  # Pygments' keyword green on `def` and `return`

    def shade(paragraph: Any) -> str | None:
        found = paragraph._p.pPr.find(qn("w:shd"))
        return found.get(qn("w:fill")) if found is not None else None

    assert [shade(p) for p in program] == [None, None, "FFF1B8", None, None]
    style_shade = word.styles[CODE_STYLE].element.pPr.find(qn("w:shd"))
    assert style_shade.get(qn("w:fill")) == "F6F8FA"  # every line on a light background
    assert program[2].runs[0].bold is True  # the marked line's number
    assert "greet.py" in styled(word, "Caption")


def test_table_is_a_word_table_with_a_bold_header_and_monospaced_values(exports, tmp_path) -> None:
    word = written(exports, export_samples.every_block(), tmp_path / "table.docx")
    assert len(word.tables) == 1
    table = word.tables[0]
    assert table.style.name == "Table Grid"
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["stream", "text"],
        ["stdout", "hello, Ada"],
        ["verdict", "ok"],
    ]
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on every page
    assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
    value, label = table.cell(1, 1).paragraphs[0], table.cell(1, 0).paragraphs[0]
    assert font_of(value.runs[0], value) in MONOSPACED  # the monospaced column
    assert font_of(label.runs[0], label) not in MONOSPACED
    assert "Table 1: the run" in styled(word, "Caption")


def test_the_figure_is_a_picture_drawn_from_its_svg(exports, tmp_path) -> None:
    document = export_samples.every_block()
    figure = document.figures()[0]
    word = written(exports, document, tmp_path / "figure.docx", scale=2.0)
    assert len(word.inline_shapes) == 1
    shape = word.inline_shapes[0]
    # Its own size at 96 CSS pixels to the inch (it fits the text width).
    assert abs(Emu(shape.width).inches - figure.width / 96) < 0.01
    assert abs(shape.height / shape.width - figure.height / figure.width) < 0.01
    blob = word.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
    image = Image.open(io.BytesIO(blob))
    assert image.size == (round(figure.width * 2), round(figure.height * 2))
    assert_not_blank(image)
    assert "Figure 1: a drawing of calls" in styled(word, "Caption")
    described = shape._inline.docPr.get("descr")
    assert described == "a drawing of calls"


def test_a_wide_picture_shrinks_to_the_text_width(exports, tmp_path) -> None:
    wide = export_samples.drawing(boxes=14)  # 2220 CSS px: 23 inches at its own size
    document = Document("Wide", export_samples.meta("calltree"), (Section("tree", (wide,)),))
    word = written(exports, document, tmp_path / "wide.docx", scale=1.0)
    section, shape = word.sections[0], word.inline_shapes[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert text_width - 2 * 12700 <= shape.width <= text_width
    assert abs(shape.height / shape.width - wide.height / wide.width) < 0.01
    blob = word.inline_shapes.part.related_parts[
        shape._inline.graphic.graphicData.pic.blipFill.blip.embed
    ].blob
    assert Image.open(io.BytesIO(blob)).width == round(wide.width)  # --scale 1


def test_frames_start_a_page_each(exports, tmp_path) -> None:
    document = export_samples.frames(4)
    word = written(exports, document, tmp_path / "frames.docx")
    headings = [p for p in word.paragraphs if p.style.name == "Heading 1"]
    assert [p.text for p in headings] == [s.heading for s in document.sections]
    assert all(p.paragraph_format.page_break_before for p in headings)
    assert len(word.inline_shapes) == 4
    # Not so for a document of sections that are not frames.
    plain = written(exports, export_samples.every_block(), tmp_path / "other" / "x.docx")
    assert not any(
        p.paragraph_format.page_break_before
        for p in plain.paragraphs
        if p.style.name == "Heading 1"
    )


def test_long_output_is_every_line_and_breaks_across_pages(exports, tmp_path) -> None:
    word = written(exports, export_samples.long_document(400), tmp_path / "long.docx")
    code = [p for p in word.paragraphs if p.style.name == CODE_STYLE]
    assert len(code) == 400
    assert code[0].text == "line 0001 of the output" and code[-1].text == "line 0400 of the output"
    # A long block may break where a page ends; a short one is kept together.
    assert not any(p.paragraph_format.keep_with_next for p in code)
    short = written(exports, export_samples.every_block(), tmp_path / "other" / "short.docx")
    kept = [
        p.paragraph_format.keep_with_next for p in short.paragraphs if p.style.name == CODE_STYLE
    ]
    assert kept[:5] == [True, True, True, True, None]


def test_page_numbers_properties_and_the_page(exports, tmp_path) -> None:
    word = written(exports, export_samples.every_block(), tmp_path / "props.docx")
    footer = word.sections[0].footer
    fields = [t.text.strip() for t in footer._element.iter(qn("w:instrText"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert footer.paragraphs[0].text.startswith("run #7 · page ")
    section = word.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)

    properties = word.core_properties
    assert properties.title == "Run #7 of greet.py"
    assert properties.author == properties.last_modified_by == "Sector"
    assert properties.subject == "run"
    assert properties.keywords == "Sector, run, demo"
    assert properties.created == datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert properties.comments == export_samples.meta().line()
    # Nothing of the template's own: its application name, page count and thumbnail.
    rels = {rel.reltype.rsplit("/", 1)[-1]: rel for rel in word.part.package.rels.values()}
    assert "thumbnail" not in rels
    app = rels["extended-properties"].target_part.blob
    assert b"<Application>Sector</Application>" in app and b"<Pages>" not in app
    # The monospaced font is declared fixed-pitch, for a Word that does not have it.
    fonts = next(r.target_part for r in word.part.rels.values() if r.reltype.endswith("fontTable"))
    assert b'w:name="DejaVu Sans Mono"' in fonts.blob and b'w:val="fixed"' in fonts.blob


def test_lists_number_from_their_start_and_only_web_links_are_kept(exports, tmp_path) -> None:
    blocks = (
        BulletList((plain("three"), plain("four")), ordered=True, start=3),
        BulletList((plain("one again"),), ordered=True),
        Paragraph((Span("the docs", link="https://example.org/docs"), Span(" and "),
                   Span("a script", link="javascript:alert(1)"))),
    )  # fmt: skip
    document = Document("Lists", export_samples.meta("answer"), (Section("Answer", blocks),))
    word = written(exports, document, tmp_path / "lists.docx")
    numbered = [p for p in word.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == ["three", "four", "one again"]
    ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert ids[0] == ids[1] != ids[2]  # the second list does not go on from the first
    numbering = word.part.numbering_part.element
    starts = [
        numbering.num_having_numId(n).find(qn("w:lvlOverride")).find(qn("w:startOverride"))
        for n in (ids[0], ids[2])
    ]
    assert [s.get(qn("w:val")) for s in starts] == ["3", "1"]

    links = {rel.target_ref for rel in word.part.rels.values() if rel.is_external}
    assert links == {"https://example.org/docs"}
    paragraph = next(p for p in word.paragraphs if "the docs" in p.text)
    assert paragraph.text == "the docs and a script"  # the unsafe link kept as its text


def assert_not_blank(image: Image.Image) -> None:
    grey = image.convert("L")
    low, high = grey.getextrema()
    assert high - low > 100  # dark strokes and text on a light ground
    dark = sum(grey.histogram()[:128])
    assert 0.002 < dark / (grey.width * grey.height) < 0.5


# real runs and traces, in the local sandbox


def test_a_real_run_exported_as_docx(sector, workdir, local_runner, tmp_path) -> None:
    (workdir / "sums.py").write_text(
        "total = 0\nfor i in range(10):\n    total += i * i\nprint(total)\n"
    )
    number = run(sector, "sums.py")
    out = tmp_path / "out" / "run.docx"
    out.parent.mkdir()
    report = Exports(open_services()).export("run", str(number), out=str(out))
    assert report.format == "docx" and report.path == str(out)
    word = docx.Document(str(out))
    assert styled(word, "Title") == [f"Run #{number}: sums.py"]
    assert {"Program", "Output"} <= set(styled(word, "Heading 1"))
    code = [p for p in word.paragraphs if p.style.name == CODE_STYLE]
    assert [p.text for p in code[:4]] == [
        "1  total = 0",
        "2  for i in range(10):",
        "3      total += i * i",
        "4  print(total)",
    ]
    assert "285" in [p.text for p in code]  # its output, as text
    assert "accepted" in text_of(word) and word.tables


def test_a_real_trace_exported_as_docx(workdir, local_runner, tmp_path) -> None:
    (workdir / "squares.py").write_text(SQUARES)
    out = tmp_path / "out" / "trace.docx"
    out.parent.mkdir()
    request = ExportRequest(runner="local", steps="3-5")
    Exports(open_services()).export("trace", "squares.py", out=str(out), request=request)
    word = docx.Document(str(out))
    headings = [p for p in word.paragraphs if p.style.name == "Heading 1"]
    assert [p.text.split(" · ")[0] for p in headings] == [f"step {n} of 55" for n in (3, 4, 5)]
    assert all(p.paragraph_format.page_break_before for p in headings)  # a page a step
    assert len(word.inline_shapes) == 3 and len(word.tables) == 3
    for shape in word.inline_shapes:
        embed = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        assert_not_blank(Image.open(io.BytesIO(word.part.related_parts[embed].blob)))
    # Each step's source marks the step's own line.
    lines = [int(p.text.split(" · ")[1].removeprefix("line ")) for p in headings]
    marked = [
        int(p.text.split()[0])
        for p in word.paragraphs
        if p.style.name == CODE_STYLE and p._p.pPr.find(qn("w:shd")) is not None
    ]
    assert marked == lines
    assert [t.cell(0, 0).text for t in word.tables] == ["frame"] * 3
