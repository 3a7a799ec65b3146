"""The export service and `sector export` around any kind and format: what is refused before
any work (a file that exists, a missing folder, an option of another kind, a format that cannot
hold the kind), files that appear whole or not at all, stdout, `--list`, and exporters from
third-party distributions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sector_cli.errors import UsageError
from sector_cli.export.kinds import KINDS
from sector_cli.export.service import STDOUT, Exports
from sector_cli.services import open_services
from tests import export_samples
from tests.test_cli_process import _modules_after
from tests.test_plugins import install_distribution

BUILTIN_FORMATS = {"pdf", "png", "jpeg", "docx", "pptx", "html", "md"}
EXPORT_HEAVY = {"weasyprint", "pypdfium2", "PIL", "docx", "pptx", "pypdf"}


@pytest.fixture
def exports(sector_home: Path) -> Exports:
    return Exports(open_services())


def test_list_shows_every_kind_with_every_format(sector, sector_home) -> None:
    result = sector("export", "--list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["kind"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(KINDS)
    for row in rows.values():
        assert set(row["formats"]) >= BUILTIN_FORMATS
    # A still image holds one frame: said for the kinds made of frames, and only for them.
    assert (
        set(rows["trace"]["one_frame_only"]) == {"png", "jpeg"} == set(rows["ds"]["one_frame_only"])
    )
    assert rows["run"]["one_frame_only"] == []
    shown = sector("export", "--list")
    assert shown.exit_code == 0 and "calltree" in shown.stdout and "one step" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pictures", "1", "-f", "pdf"], "there is no export kind 'pictures'"),
        (["run", "1", "-f", "odt"], "there is no export format 'odt'"),
        (["run", "1"], "which format?"),
        (["run", "1", "-o", "notes.txt"], "cannot tell the format of 'notes.txt'"),
        (["run", "1", "-f", "md", "--var", "xs"], "--var does not apply to `export run`"),
        (["run", "1", "-f", "pdf", "--steps", "3"], "--steps does not apply"),
        (["calltree", "fib.py", "-f", "md", "--line", "3"], "--line does not apply"),
        (["run", "1", "-o", "no/such/folder/run.pdf"], "there is no folder no/such/folder"),
        (["run"], "export needs a KIND and a REF"),
    ],
)
def test_bad_requests_are_one_line_usage_errors(sector, workdir, args, message) -> None:
    result = sector("export", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(workdir.iterdir()) == []  # nothing written, nothing half-written


def test_an_option_of_another_kind_names_the_kinds_that_take_it(exports) -> None:
    from sector_cli.export.kinds import ExportRequest

    with pytest.raises(UsageError) as raised:
        exports.export("run", "1", format="md", request=ExportRequest(var="xs"))
    assert raised.value.hint == "It applies to: ds"


def test_a_file_that_exists_is_refused_before_any_work(sector, workdir) -> None:
    kept = workdir / "run.html"
    kept.write_text("my notes")
    # Run 999 does not exist: the file is refused first, so nothing is looked up or run.
    result = sector("export", "run", "999", "-o", "run.html")
    assert result.exit_code == 2 and "run.html exists" in result.stderr
    assert "--force" in result.stderr and kept.read_text() == "my notes"


def test_a_folder_as_out_gets_the_default_name(exports, tmp_path) -> None:
    from sector_cli.export.service import destination_for

    kind = KINDS["trace"]
    _, exporter = exports.exporter("pdf", None)
    assert destination_for(str(tmp_path), kind, "src/fib.py", exporter, False) == (
        tmp_path / "trace-fib.pdf"
    )
    assert destination_for(None, KINDS["run"], "12", exporter, False).name == "run-12.pdf"
    hostile = destination_for(
        str(tmp_path), KINDS["document"], "../../etc/passwd?", exporter, False
    )
    assert hostile.parent == tmp_path and hostile.name == "document-etc-passwd.pdf"


def test_the_format_comes_from_the_extension(exports) -> None:
    assert exports.exporter(None, "notes.MD")[0] == "md"
    assert exports.exporter(None, "step.jpeg")[0] == "jpeg"
    assert exports.exporter(None, "step.jpg")[0] == "jpeg"
    assert exports.exporter(None, "page.htm")[0] == "html"
    assert exports.exporter("PDF", "x.html")[0] == "pdf"  # --format wins over the extension


def test_a_still_image_of_several_frames_is_refused_naming_what_works(exports, tmp_path) -> None:
    _, png = exports.exporter("png", None)
    with pytest.raises(UsageError) as raised:
        exports.export("trace", "fib.py", format="png", out=str(tmp_path / "t.png"))
    assert "a png holds one frame" in raised.value.message
    assert "--steps N" in (raised.value.hint or "") and "pdf" in (raised.value.hint or "")
    assert not png.animates and list(tmp_path.iterdir()) == []


# Written whole or not at all --------------------------------------------------------------


def test_markdown_pictures_go_in_a_folder_beside_it(exports, tmp_path) -> None:
    name, md = exports.exporter("md", None)
    report = exports.write(export_samples.every_block(), name, md, tmp_path / "notes.md")
    assert report.assets == str(tmp_path / "notes_files") and report.written.assets == 1
    text = (tmp_path / "notes.md").read_text()
    assert "](notes_files/figure-1.svg)" in text
    assert (tmp_path / "notes_files" / "figure-1.svg").read_text().startswith("<svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md", "notes_files"]
    # A second export refuses the folder without --force, and leaves the first one whole.
    (tmp_path / "notes.md").unlink()
    with pytest.raises(UsageError, match="notes_files exists"):
        exports.write(export_samples.every_block(), name, md, tmp_path / "notes.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes_files"]
    exports.write(export_samples.every_block(), name, md, tmp_path / "notes.md", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md", "notes_files"]


def test_to_stdout_the_document_is_returned_and_no_file_is_left(exports, tmp_path) -> None:
    name, html = exports.exporter("html", None)
    report = exports.write(export_samples.every_block(), name, html, None)
    assert report.path == STDOUT and report.data is not None
    assert report.data.startswith(b"<!doctype html>") and report.size == len(report.data)
    name, md = exports.exporter("md", None)
    with pytest.raises(UsageError, match="cannot go next to stdout"):
        exports.write(export_samples.every_block(), name, md, None)  # it has a picture


def test_an_exported_file_has_the_umask_s_mode(exports, tmp_path) -> None:
    name, md = exports.exporter("md", None)
    exports.write(export_samples.every_block(), name, md, tmp_path / "out.md")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.md").stat().st_mode & 0o777 == 0o666 & ~umask


def test_control_characters_never_reach_an_exporter(exports, tmp_path) -> None:
    name, md = exports.exporter("md", None)
    exports.write(export_samples.every_block(), name, md, tmp_path / "out.md")
    text = (tmp_path / "out.md").read_text()
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    assert "colour red, a bell ^G, a NUL ^@" in text  # colours dropped, controls as cat -v


BOOM = """
from sector_cli.plugins.exporter import Exporter, Written

class Text(Exporter):
    name = "txt"
    summary = "plain text"
    extension = ".txt"
    media_type = "text/plain"

    def export(self, document, target, options):
        lines = [document.title] + [s.heading for s in document.sections]
        target.path.write_text("\\n".join(lines), encoding="utf-8")
        return Written(pages=1)

class Boom(Exporter):
    name = "boom"
    summary = "fails halfway"
    extension = ".boom"
    media_type = "application/x-boom"

    def export(self, document, target, options):
        target.path.write_text("half a document")
        target.assets()
        raise RuntimeError("the exporter broke")
"""


@pytest.fixture
def third_party_exporters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    entries = "[sector.exporters]\ntxt = sector_txt:Text\nboom = sector_txt:Boom\n"
    install_distribution(site, "sector-txt", "sector_txt", BOOM, entries)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))


def test_a_third_party_exporter_is_listed_and_writes(
    third_party_exporters, sector, sector_home, tmp_path
) -> None:
    rows = json.loads(sector("export", "--list", "--json").stdout)
    assert all({"txt", "boom"} <= set(row["formats"]) for row in rows)
    exports = Exports(open_services())
    name, text = exports.exporter(None, "out.txt")
    report = exports.write(export_samples.every_block(), name, text, tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_text().splitlines()[0] == "Run #7 of greet.py"
    assert report.written.pages == 1 and report.format == "txt"


def test_a_failing_exporter_leaves_the_old_file_and_nothing_else(
    third_party_exporters, sector_home, tmp_path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "doc.boom").write_text("the old one")
    exports = Exports(open_services())
    name, boom = exports.exporter("boom", None)
    with pytest.raises(RuntimeError, match="the exporter broke"):
        exports.write(export_samples.every_block(), name, boom, folder / "doc.boom", force=True)
    assert [p.name for p in folder.iterdir()] == ["doc.boom"]
    assert (folder / "doc.boom").read_text() == "the old one"


def test_an_unwritable_place_is_one_line(exports) -> None:
    _, md = exports.exporter("md", None)
    with pytest.raises(UsageError, match=r"cannot write in /proc"):
        exports.write(export_samples.picture(), "md", md, Path("/proc/export.md"))


# Speed of the command line ----------------------------------------------------------------


def test_export_help_and_list_import_no_renderer() -> None:
    for args in (["export", "--help"], ["export", "--list"]):
        loaded = _modules_after(args)
        assert not loaded & EXPORT_HEAVY, (args, loaded & EXPORT_HEAVY)


def test_only_web_and_mail_links_survive_in_html_and_markdown(exports, tmp_path) -> None:
    from dataclasses import replace

    from sector_cli.export.model import Paragraph, Section, Span

    spans = (
        Span("docs", link="https://docs.python.org/3/"),
        Span(" and "),
        Span("click me", link="javascript:alert(document.cookie)"),
        Span(" or "),
        Span("this file", link="file:///etc/passwd"),
    )
    base = export_samples.picture()
    document = replace(base, sections=(Section("Links", (Paragraph(spans),)),))
    for format in ("html", "md"):
        name, exporter = exports.exporter(format, None)
        exports.write(document, name, exporter, tmp_path / f"links.{format}")
        text = (tmp_path / f"links.{format}").read_text()
        assert "https://docs.python.org/3/" in text and "click me" in text
        assert "javascript:" not in text and "file:///" not in text, format


def test_last_is_named_by_the_number_it_stands_for(sector, workdir, local_runner) -> None:
    (workdir / "hi.py").write_text("print('hi')\n")
    for _ in range(2):
        assert sector("run", "hi.py", "--runner", "local").exit_code == 0
    result = sector("export", "run", "last", "-f", "md", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == str(workdir / "run-2.md")
    assert "print('hi')" in (workdir / "run-2.md").read_text()
