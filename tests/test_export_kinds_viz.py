"""The export kinds drawn from visualizations (trace, calltree, ds, phases, ast, nn): programs
traced for real in the local sandbox, exported to HTML and Markdown through the export
service, and the files read back: sections, marked lines, tables, notes, and every picture
parsed as SVG (inside the page, or written next to the Markdown)."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sector_cli.errors import SectorError, UsageError
from sector_cli.export.kinds import ExportRequest
from sector_cli.export.kinds.steps import MAX_CHOSEN, parse_steps
from sector_cli.export.model import Code
from sector_cli.export.service import Exports
from sector_cli.services import open_services
from sector_cli.viz.calltree import build_calltree, fold
from sector_cli.viz.structures import Array, animate
from sector_cli.viz.trace import Trace, open_trace
from tests.test_viz_calltree import expected_fib_calls
from tests.test_viz_ds import BUBBLE
from tests.test_viz_nn import CNN, SEQUENTIAL, cnn
from tests.test_viz_phases import C_SOURCE

SVG = "{http://www.w3.org/2000/svg}"
LOCAL = ExportRequest(runner="local")
SQUARES = """def square(x):
    return x * x

total = 0
for i in range(10):
    total += square(i)
print(total)
"""
FIB = """def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

print(fib(5))
"""


@pytest.fixture
def exports(sector_home: Path) -> Exports:
    return Exports(open_services())


def local(**fields: object) -> ExportRequest:
    return ExportRequest(runner="local", **fields)  # type: ignore[arg-type]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def recorded_trace(run: str) -> Trace:
    return open_trace(open_services().runs, run)


def run_count(sector) -> int:  # type: ignore[no-untyped-def]
    return len(json.loads(sector("runs", "ls", "--json").stdout))


# Reading the files back -----------------------------------------------------------------------


class Page(HTMLParser):
    """An exported HTML page: its sections (heading, marked source lines, table cells, notes)
    and its pictures, decoded from their data URIs."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: list[dict[str, list[str]]] = []
        self.notes: list[str] = []
        self.pictures: list[str] = []
        self._open: list[str] = []  # the classes of the open elements
        self._field: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "section":
            self.sections.append({"heading": [], "marked": [], "cells": []})
        if tag == "img" and (found.get("src") or "").startswith("data:image/svg+xml;base64,"):
            self.pictures.append(base64.b64decode(str(found["src"]).split(",", 1)[1]).decode())
        if tag not in ("img", "br", "meta", "input"):
            self._open.append(" ".join([tag, *classes]))
        if tag == "h2" and self.sections:
            self._field = "heading"
        elif tag == "td" and self.sections:
            self._field = "cells"
        elif tag == "span" and "ln" in classes and any("mark" in o for o in self._open):
            self._field = "marked"
        elif tag == "div" and "note" in classes:
            self._field = "note"

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()
        if tag in ("h2", "td", "span", "div"):
            self._field = None

    def handle_data(self, data: str) -> None:
        if self._field == "note":
            self.notes.append(data)
        elif self._field is not None and self.sections:
            self.sections[-1][self._field].append(data.strip())


def read_page(path: Path) -> Page:
    page = Page(path.read_text(encoding="utf-8"))
    for picture in page.pictures:
        assert ET.fromstring(picture).tag == f"{SVG}svg"
    return page


def svg_texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def markdown_pictures(path: Path) -> list[Path]:
    """The pictures a Markdown file links to: each exists next to it and parses as SVG."""
    text = path.read_text(encoding="utf-8")
    folder = path.with_name(f"{path.stem}_files")
    links = [line.split("](", 1)[1].rstrip(")") for line in text.splitlines() if "![" in line]
    assert links, text
    pictures = []
    for link in links:
        picture = path.parent / link
        assert picture.parent == folder and picture.is_file(), link
        assert ET.parse(picture).getroot().tag == f"{SVG}svg"
        pictures.append(picture)
    assert sorted(pictures) == sorted(folder.iterdir())  # nothing else left in the folder
    return pictures


# --steps --------------------------------------------------------------------------------------


def test_steps_are_numbers_ranges_and_lists_from_one() -> None:
    assert parse_steps("5", 10) == [4]
    assert parse_steps("3-9", 10) == [2, 3, 4, 5, 6, 7, 8]
    assert parse_steps("1,4,10-12", 12) == [0, 3, 9, 10, 11]
    assert parse_steps(" 2 - 3 , 2 ", 3) == [1, 2]  # spaces allowed, a repeat shown once


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("0", "steps count from 1", "Give steps as 5"),
        ("9-3", "9-3 goes backwards", "Write it as 3-9"),
        ("2-0", "steps count from 1", "Give steps as 5"),
        ("abc", "bad --steps 'abc'", "Give steps as 5"),
        ("1,,2", "bad --steps '1,,2'", "Give steps as 5"),
        ("-3", "bad --steps '-3'", "Give steps as 5"),
        ("11", "no step 11: there are 10 steps", "Pick steps from 1 to 10"),
        ("4-12", "no step 12: there are 10 steps", "Pick steps from 1 to 10"),
        (f"1-{MAX_CHOSEN + 1}", "an export holds at most", "Pick fewer"),
    ],
)
def test_bad_steps_are_one_line_usage_errors(text: str, message: str, hint: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_steps(text, 10)
    assert message in raised.value.message and hint in (raised.value.hint or "")
    assert "\n" not in raised.value.one_line()


# trace ----------------------------------------------------------------------------------------


def test_a_trace_exported_with_steps_3_to_7(exports, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "squares.py", SQUARES)
    report = exports.export(
        "trace", "squares.py", format="html", out="trace.html", request=local(steps="3-7")
    )
    trace = recorded_trace("1")  # the FILE was traced now and kept as run #1
    assert len(trace) >= 50 and trace.label == "squares.py"
    page = read_page(workdir / "trace.html")
    assert len(page.sections) == 5 and len(page.pictures) == 5
    for number, section in enumerate(page.sections, start=3):
        line = trace.step(number - 1).line
        assert section["heading"][0].startswith(f"step {number} of {len(trace)} · line {line}")
        assert section["marked"] == [str(line)]  # the current line, and it alone, lit
        state = trace.state(number - 1)
        names = set(state.globals) | {n for f in state.shown_frames() for n in f.variables}
        names = {"return value" if n == "__return__" else n for n in names}
        assert names and names <= set(section["cells"])  # every variable in the table
    assert "square" in page.sections[-1]["cells"]  # the frames' variables, as a table
    first_picture = svg_texts(page.pictures[0])
    assert any(text.startswith("step 3 of") for text in first_picture)
    assert any("total = 0" in text for text in first_picture)  # the source, drawn
    assert report.notes == () and page.notes == []  # a whole trace needs no note
    assert report.path == str(workdir / "trace.html")


def test_a_run_number_is_a_ref_and_markdown_writes_its_pictures(
    exports, sector, workdir, local_runner
) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "squares.py", SQUARES)
    assert sector("run", "squares.py", "--trace", "-r", "local").exit_code == 0
    report = exports.export("trace", "1", format="md", out="trace.md", request=ExportRequest())
    assert run_count(sector) == 1  # read, not run again
    trace = recorded_trace("1")
    text = (workdir / "trace.md").read_text(encoding="utf-8")
    assert text.count("\n## step ") == len(trace)  # every step: fewer than the cap
    assert len(markdown_pictures(workdir / "trace.md")) == len(trace)
    assert report.assets == str(workdir / "trace_files") and report.written.assets == len(trace)
    assert "```python\ndef square(x):" in text
    last_output = text.rsplit("## step ", 1)[1]
    assert "285" in last_output and "stdout so far" in last_output  # what it printed


def test_a_traced_file_reads_its_stdin_from_a_file(exports, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "greet.py", "name = input()\nprint('hello', name)\n")
    feed = write(workdir, "name.txt", "Ada\n")
    exports.export("trace", "greet.py", format="md", out="g.md", request=local(stdin=feed))
    last = (workdir / "g.md").read_text(encoding="utf-8").rsplit("## step ", 1)[1]
    assert "hello Ada" in last
    with pytest.raises(UsageError) as raised:
        exports.export(
            "trace", "greet.py", format="md", out="h.md", request=local(stdin=workdir / "no.txt")
        )
    assert raised.value.message.startswith("cannot read --stdin")


def test_a_run_without_a_trace_names_the_next_step(exports, sector, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "squares.py", SQUARES)
    assert sector("run", "squares.py", "-r", "local").exit_code == 0
    with pytest.raises(UsageError) as raised:
        exports.export("trace", "1", format="html", out="t.html")
    assert raised.value.message == "run #1 has no trace"
    assert "sector run squares.py --trace" in (raised.value.hint or "")
    assert list(workdir.iterdir()) == [workdir / "squares.py"]  # nothing written


def test_a_trace_cut_by_its_time_limit_is_exported_with_a_note(
    sector_home, workdir, local_runner, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECTOR_VIZ_MAX_STEPS", "100000000")  # the clock stops it, not the budget
    write(workdir, "forever.py", "while True:\n    pass\n")
    exports = Exports(open_services())  # after the setting
    report = exports.export(
        "trace", "forever.py", format="html", out="forever.html", request=local(timeout=2)
    )
    trace = recorded_trace("1")
    assert trace.stopped == "time" and len(trace) > 200
    page = read_page(workdir / "forever.html")
    assert len(page.sections) == 200  # capped, and said so
    cut, capped = report.notes
    assert "the run reached its time limit" in cut and "What was recorded is shown" in cut
    assert capped == f"The first 200 of {len(trace):,} steps are shown: choose others with --steps."
    assert page.notes == [cut, capped]
    # The last steps exist too, asked for by number; the last one says where the run stopped.
    exports.export(
        "trace", "1", format="md", out="end.md", request=ExportRequest(steps=str(len(trace)))
    )
    end = (workdir / "end.md").read_text(encoding="utf-8")
    assert end.count("\n## step ") == 1 and "time limit" in end


def test_steps_past_the_end_name_how_many_there_are(exports, sector, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "squares.py", SQUARES)
    assert sector("run", "squares.py", "--trace", "-r", "local").exit_code == 0
    total = len(recorded_trace("1"))
    with pytest.raises(UsageError) as raised:
        exports.export(
            "trace", "1", format="html", out="t.html", request=ExportRequest(steps=f"5-{total + 1}")
        )
    assert raised.value.message == f"no step {total + 1}: there are {total} steps"
    assert not (workdir / "t.html").exists()


@pytest.mark.parametrize("steps", ["0", "9-3", "three"])
def test_bad_steps_cost_no_run(exports, sector, workdir, steps: str) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "squares.py", SQUARES)
    with pytest.raises(UsageError):
        exports.export("trace", "squares.py", format="md", out="t.md", request=local(steps=steps))
    result = sector("export", "trace", "squares.py", "-f", "md", "-r", "local", "--steps", steps)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.output
    assert "--steps" in result.stderr and "Traceback" not in result.output
    assert run_count(sector) == 0 and sorted(p.name for p in workdir.iterdir()) == ["squares.py"]


def test_a_still_image_of_one_step_is_a_picture_document(exports, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    from sector_cli.export.kinds import KINDS

    write(workdir, "squares.py", SQUARES)
    document = KINDS["trace"].build("squares.py", local(steps="6"), open_services())
    assert document.frames and len(document.sections) == 1
    (section,) = document.sections
    assert section.heading.startswith("step 6 of")
    (source,) = [b for b in section.blocks if isinstance(b, Code) and b.language == "python"]
    assert source.marked == frozenset({recorded_trace("1").step(5).line})


# calltree -------------------------------------------------------------------------------------


def test_the_call_tree_of_fib(exports, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "fib.py", FIB)
    report = exports.export("calltree", "fib.py", format="html", out="calls.html", request=LOCAL)
    page = read_page(workdir / "calls.html")
    (picture,) = page.pictures
    boxes = [text for text in svg_texts(picture) if text.startswith("fib(")]
    expected = [label for label, _, _ in expected_fib_calls(5)]
    assert sorted(boxes) == sorted(expected)  # a box for every call, none folded
    assert report.notes == () and page.notes == []
    exports.export("calltree", "1", format="md", out="calls.md")
    text = (workdir / "calls.md").read_text(encoding="utf-8")
    assert f"{len(expected)} calls, 5 deep" in text
    (drawn,) = markdown_pictures(workdir / "calls.md")
    assert sorted(t for t in svg_texts(drawn.read_text()) if t.startswith("fib(")) == sorted(
        expected
    )


def test_a_folded_call_tree_says_so(exports, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "fib.py", FIB.replace("fib(5)", "fib(9)"))
    exports.export("calltree", "fib.py", format="md", out="calls.md", request=local(max_nodes=20))
    trace = recorded_trace("1")
    view = fold(build_calltree(trace.to_tutor()), 20)
    total = len(view.tree.calls)
    assert view.shown < total  # the fixture is big enough to fold
    text = (workdir / "calls.md").read_text(encoding="utf-8")
    assert f"{view.shown:,} of {total:,} calls are drawn" in text and "--max-nodes" in text
    markdown_pictures(workdir / "calls.md")


# ds -------------------------------------------------------------------------------------------


def test_a_list_sorted_in_place_is_a_section_per_frame(exports, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "bubble.py", BUBBLE)
    request = local(var="bubble_sort:a")
    exports.export("ds", "bubble.py", format="html", out="ds.html", request=request)
    animation = animate(recorded_trace("1").to_tutor(), "bubble_sort:a")
    assert len(animation.frames) > 3
    page = read_page(workdir / "ds.html")
    assert len(page.sections) == len(page.pictures) == len(animation.frames)
    for section, frame, picture in zip(page.sections, animation.frames, page.pictures, strict=True):
        assert section["heading"] == [f"Frame {frame.number}: {frame.caption}"]
        cells = svg_texts(picture)
        assert any(
            t.startswith(f"bubble_sort:a: list of 4 items · frame {frame.number}/") for t in cells
        )
    final = animation.frames[-1].structure
    assert isinstance(final, Array) and final.items == ("1", "2", "4", "5")  # sorted in place
    assert set(final.items) <= set(svg_texts(page.pictures[-1]))
    exports.export(
        "ds", "1", format="md", out="two.md", request=ExportRequest(var="bubble_sort:a", steps="2")
    )
    assert len(markdown_pictures(workdir / "two.md")) == 1
    assert "## Frame 2:" in (workdir / "two.md").read_text(encoding="utf-8")


def test_ds_without_a_var_or_with_an_unknown_one(exports, sector, workdir) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "bubble.py", BUBBLE)
    with pytest.raises(UsageError) as missing:
        exports.export("ds", "bubble.py", format="md", out="d.md", request=LOCAL)
    assert "needs --var" in missing.value.message
    with pytest.raises(UsageError) as unknown:
        exports.export("ds", "bubble.py", format="md", out="d.md", request=local(var="nope"))
    assert "has no variable nope" in unknown.value.message  # as `viz ds` says, before a run
    assert run_count(sector) == 0


# phases and ast -------------------------------------------------------------------------------


def test_the_phases_of_a_python_file(exports, workdir) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "fib.py", FIB)
    exports.export("phases", "fib.py", format="html", out="p.html", request=ExportRequest(line=4))
    page = read_page(workdir / "p.html")
    (picture,) = page.pictures
    texts = svg_texts(picture)
    assert "Python compiler phases of fib.py, line 4" in texts
    assert {"Tokens (tokenize)", "Syntax tree (ast)", "Bytecode (dis)"} <= set(texts)
    assert any("BINARY_OP" in t for t in texts)
    assert page.sections[0]["marked"] == ["4"]
    exports.export("phases", "fib.py", format="md", out="p.md")
    markdown_pictures(workdir / "p.md")


def test_phases_of_a_file_with_a_syntax_error_refuse_as_viz_phases_does(
    exports, sector, workdir
) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "bad.py", "x = 1\ndef f(:\n    pass\n")
    with pytest.raises(UsageError) as raised:
        exports.export("phases", "bad.py", format="md", out="p.md")
    viz = sector("viz", "phases", "bad.py")
    assert viz.exit_code == 2 == raised.value.exit_code
    assert raised.value.message in viz.stderr  # the same line
    assert sorted(p.name for p in workdir.iterdir()) == ["bad.py"]


def test_the_phases_of_a_c_file_compiled_in_the_sandbox(exports, workdir, local_runner) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "sum.c", C_SOURCE)
    exports.export("phases", "sum.c", format="md", out="c.md", request=local(line=7))
    (picture,) = markdown_pictures(workdir / "c.md")
    texts = svg_texts(picture.read_text())
    assert "C compiler phases of sum.c, line 7" in texts
    assert any("total += ((i) * (i));" in t for t in texts)  # preprocessed
    assert any("imul" in t for t in texts)  # assembled
    assert "```c\n#include <stdio.h>" in (workdir / "c.md").read_text(encoding="utf-8")


def test_c_phases_without_a_sandbox_exit_1_naming_doctor(
    sector, workdir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "sum.c", C_SOURCE)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap, no docker client config
    result = sector("export", "phases", "sum.c", "-f", "md", "-r", "local")
    viz = sector("viz", "phases", "sum.c", "-r", "local")
    assert result.exit_code == 1 == viz.exit_code, result.output
    assert "sector doctor" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in workdir.iterdir()) == ["sum.c"]


def test_the_syntax_tree_of_a_file(exports, workdir) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "fib.py", FIB)
    exports.export("ast", "fib.py", format="html", out="a.html")
    page = read_page(workdir / "a.html")
    (picture,) = page.pictures
    texts = svg_texts(picture)
    assert any(t.startswith("python syntax tree of fib.py") for t in texts)
    assert "function_definition" in texts and "binary_operator" in texts
    exports.export("ast", "fib.py", format="md", out="a.md", request=ExportRequest(lang="python"))
    markdown_pictures(workdir / "a.md")
    with pytest.raises(UsageError) as raised:
        exports.export(
            "ast", "fib.py", format="md", out="b.md", request=ExportRequest(lang="cobol")
        )
    assert "no syntax tree for language 'cobol'" in raised.value.message


# nn -------------------------------------------------------------------------------------------


def test_a_network_from_an_onnx_file(exports, workdir) -> None:  # type: ignore[no-untyped-def]
    cnn(workdir / "cnn.onnx")
    exports.export("nn", "cnn.onnx", format="html", out="nn.html")
    page = read_page(workdir / "nn.html")
    (picture,) = page.pictures
    assert "cnn.onnx (ONNX)" in svg_texts(picture)
    cells = page.sections[1]["cells"]
    rows = [cells[i : i + 5] for i in range(0, len(cells), 5)]
    assert [row[0] for row in rows] == list(CNN)  # every layer, in order
    for name, op, shape, params, _flops in rows:
        expected_shape, expected_params, _ = CNN[name]
        assert (
            shape == "\N{MULTIPLICATION SIGN}".join(map(str, expected_shape))
            and params == f"{expected_params:,}"
        )
        assert op == name.rsplit("/", 1)[1]
    exports.export("nn", "cnn.onnx", format="md", out="nn.md")
    text = (workdir / "nn.md").read_text(encoding="utf-8")
    assert f"{sum(p for _, p, _ in CNN.values()):,} parameters" in text
    markdown_pictures(workdir / "nn.md")


def test_a_pytorch_module_probed_in_the_local_sandbox(
    sector_home, workdir, local_runner, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")
    monkeypatch.setenv("SECTOR_RUNNER", "docker")  # the image has no torch: local, and a note
    write(workdir, "seq.py", SEQUENTIAL)
    exports = Exports(open_services())
    request = ExportRequest(input_shape="1,3,32,32")
    report = exports.export("nn", "seq.py", format="html", out="seq.html", request=request)
    page = read_page(workdir / "seq.html")
    cells = page.sections[1]["cells"]
    ops = [cells[i + 1] for i in range(0, len(cells), 5)]
    assert ops == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert cells[-3:-1] == ["1\N{MULTIPLICATION SIGN}10", f"{2048 * 10 + 10:,}"]
    (warning,) = report.notes
    assert "no torch" in warning and page.notes == [warning]


def test_a_model_that_cannot_be_read_is_one_line(exports, workdir) -> None:  # type: ignore[no-untyped-def]
    (workdir / "weights.pt").write_bytes(b"\x80")
    with pytest.raises(SectorError) as raised:
        exports.export("nn", "weights.pt", format="md", out="nn.md")
    assert "unsupported model format" in raised.value.message
    with pytest.raises(UsageError):
        exports.export("nn", "net.py", format="md", out="nn.md")  # no --input-shape, no file


def test_sector_export_of_a_traced_file_from_the_command_line(
    sector, workdir, local_runner
) -> None:  # type: ignore[no-untyped-def]
    write(workdir, "squares.py", SQUARES)
    result = sector(
        "export", "trace", "squares.py", "--steps", "2,4", "-o", "two.md", "-r", "local", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kind"] == "trace" and report["format"] == "md" and report["asset_files"] == 2
    assert len(markdown_pictures(workdir / "two.md")) == 2
    headings = [
        line for line in (workdir / "two.md").read_text().splitlines() if line.startswith("## ")
    ]
    total = len(recorded_trace("1"))
    assert [h.split(" · ")[0] for h in headings] == [
        f"## step 2 of {total}",
        f"## step 4 of {total}",
    ]
    assert run_count(sector) == 1
