"""Bad input found by review: each gets a one-line error, the right exit code, and loses nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sector_cli.config import paths
from tests.test_plugins import install_distribution


def ok(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout.startswith(("{", "[")) else result.stdout


def one_line_error(result, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def project(database_url, sector, workdir: Path) -> Path:
    ok(sector("init"))
    return workdir


def tracked(sector) -> list[str]:
    return [row["path"] for row in ok(sector("file", "ls", "--json"))]


def test_dot_dot_cannot_leave_the_project(sector, project: Path) -> None:
    (project.parent / "outside.py").write_text("x = 1\n")
    one_line_error(sector("file", "add", ".."), 2, "outside the project")
    one_line_error(sector("file", "add", "../outside.py"), 2, "outside the project")
    assert tracked(sector) == []


def test_symlinks_out_of_the_project_are_refused(sector, project: Path, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.py").write_text("x = 1\n")
    (project / "link").symlink_to(elsewhere)
    (project / "link.py").symlink_to(elsewhere / "x.py")
    one_line_error(sector("file", "add", "link"), 2, "outside the project")
    one_line_error(sector("file", "add", "link.py"), 2, "outside the project")


def test_symlink_loop_and_bad_names_are_one_line_errors(sector, project: Path) -> None:
    (project / "l1.py").symlink_to(project / "l2.py")
    (project / "l2.py").symlink_to(project / "l1.py")
    one_line_error(sector("file", "add", "l1.py"), 2, "l1.py")
    bad = Path(bytes(project).decode() + "/bad\udcffname.py")
    bad.write_text("x = 1\n")
    one_line_error(sector("file", "add", str(bad)), 2, "not valid UTF-8")
    assert tracked(sector) == []


def test_sync_of_a_moved_project_keeps_its_records(sector, project: Path, tmp_path) -> None:
    (project / "a.py").write_text("a = 1\n")
    ok(sector("file", "add", "a.py"))
    moved = tmp_path / "moved"
    project.rename(moved)
    one_line_error(sector("file", "sync", "-p", "work"), 1, "is missing", "project rm")
    moved.rename(project)
    assert tracked(sector) == ["a.py"]


def test_sync_keeps_a_file_it_can_no_longer_read(sector, project: Path, monkeypatch) -> None:
    (project / "a.py").write_text("a = 1\n" * 100)
    ok(sector("file", "add", "a.py"))
    monkeypatch.setenv("SECTOR_FILES_MAX_SIZE", "10")
    report = ok(sector("file", "sync", "--json"))
    assert (report["removed"], report["skipped"]) == (0, 1)
    assert tracked(sector) == ["a.py"]


def test_rm_inside_a_tracked_folder_explains_itself(sector, project: Path) -> None:
    (project / "src").mkdir()
    (project / "src" / "a.py").write_text("a = 1\n")
    ok(sector("file", "add", "src"))
    one_line_error(sector("file", "rm", "src/a.py"), 2, ".sectorignore", "sector file rm src")
    assert tracked(sector) == ["src/a.py"]


def test_init_keeps_a_tool_sector_project_as_it_is(database_url, sector, workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text("[tool.sector.files]\nmax_size = '1M'\n")
    ok(sector("init"))
    assert not (workdir / ".sector").exists()
    assert sector("config", "get", "files.max_size").stdout.strip() == str(1024 * 1024)


def test_init_over_a_sector_file_adds_nothing(database_url, sector, workdir: Path) -> None:
    (workdir / ".sector").write_text("not a folder")
    one_line_error(sector("init"), 2, "not a folder")
    assert ok(sector("project", "ls", "--json")) == []


def test_init_of_the_filesystem_root_is_refused(database_url, sector) -> None:
    one_line_error(sector("init", "/"), 2, "too broad")
    assert not Path("/.sector").exists()


@pytest.mark.parametrize("value", ["1e400", "inf", "lots"])
def test_sizes_that_are_not_sizes(sector, workdir: Path, value: str) -> None:
    one_line_error(sector("config", "set", "files.max_size", value, "--user"), 2, "files.max_size")


def test_values_are_checked_before_they_are_stored(sector, workdir: Path) -> None:
    one_line_error(sector("config", "set", "database.url", "garbage", "--user"), 2, "sqlite:///")
    one_line_error(sector("config", "set", "project.default", "bad name!", "--user"), 2)
    assert not paths.user_config_file().exists()


def test_a_bad_value_in_a_file_can_be_fixed_with_the_hinted_command(sector, workdir) -> None:
    paths.user_config_file().parent.mkdir(parents=True)
    paths.user_config_file().write_text("[files]\nmax_size = true\n")
    one_line_error(sector("config", "show"), 2, "sector config set files.max_size")
    ok(sector("config", "set", "files.max_size", "1M", "--user"))
    assert sector("config", "get", "files.max_size").stdout.strip() == str(1024 * 1024)


def test_tool_sector_that_is_not_a_table(database_url, sector, workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text("[tool]\nsector = 5\n")
    ok(sector("config", "set", "files.max_size", "1M"))
    assert paths.user_config_file().exists()


def test_a_broken_pyproject_that_is_not_sectors_is_ignored(sector, workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text("[project\n")
    (workdir / "sub").mkdir()
    assert sector("config", "show").exit_code == 0


def test_a_file_that_is_not_a_database(sector, sector_home: Path, monkeypatch) -> None:
    fake = sector_home / "garbage.db"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_bytes(b"this is not sqlite" * 100)
    monkeypatch.setenv("SECTOR_DATABASE_URL", f"sqlite:///{fake}")
    one_line_error(sector("project", "ls"), 1, "cannot use the database")


def test_unknown_language_filter(sector, project: Path) -> None:
    one_line_error(sector("file", "ls", "--lang", "cobol"), 2, "unknown language")


def test_concurrent_adds_of_the_same_folder(sector_home: Path, workdir: Path) -> None:
    sector = Path(sys.executable).with_name("sector")
    (workdir / "src").mkdir()
    for index in range(30):
        (workdir / "src" / f"m{index}.py").write_text(f"x = {index}\n")
    subprocess.run([sector, "init"], cwd=workdir, check=True, capture_output=True)
    procs = [
        subprocess.Popen([sector, "file", "add", "src"], cwd=workdir, stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    errors = [proc.communicate()[1].decode() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), errors
    database = sqlite3.connect(sector_home / "data" / "sector.db")
    assert database.execute("SELECT count(*) FROM source_files").fetchone() == (30,)


def test_a_plugin_that_exits_on_import_is_only_a_warning(sector, tmp_path, monkeypatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_distribution(
        site,
        "sector-quitter",
        "sector_quitter",
        "raise SystemExit(3)\n",
        "[sector.languages]\nquitter = sector_quitter:Q\n",
    )
    monkeypatch.syspath_prepend(str(site))
    result = sector("plugins", "ls")
    assert result.exit_code == 0 and "SystemExit" in result.stderr


def test_a_plugin_cannot_take_a_builtin_extension(
    database_url, sector, project: Path, tmp_path, monkeypatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    code = """
    from sector_cli.plugins.language import Language

    class Weird(Language):
        name = "weird"
        summary = "claims .py"
        extensions = (".py",)
        run_command = ("weird", "{source}")
        docker_image = "weird:1"
    """
    install_distribution(
        site,
        "sector-weird",
        "sector_weird",
        code,
        "[sector.languages]\nweird = sector_weird:Weird\n",
    )
    monkeypatch.syspath_prepend(str(site))
    (project / "a.py").write_text("a = 1\n")
    ok(sector("file", "add", "a.py"))
    assert ok(sector("file", "ls", "--json"))[0]["language"] == "python"


# The error contract: usage errors, bounds, OS errors, tables ---------------------------------


def test_a_usage_error_is_one_line_naming_the_help_to_read(sector, workdir: Path) -> None:
    result = sector("run", "x.py", "--bogus")
    one_line_error(result, 2, "No such option: --bogus", "Try 'sector run --help'")
    assert "╭" not in result.stderr and result.stdout == ""


def test_a_usage_error_under_json_is_a_json_object(sector, workdir: Path) -> None:
    result = sector("run", "x.py", "--bogus", "--json")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)
    assert error == {
        "error": "No such option: --bogus",
        "hint": "Try 'sector run --help'",
        "exit_code": 2,
    }


def test_an_unknown_command_gets_did_you_mean(sector, workdir: Path) -> None:
    one_line_error(sector("rnu"), 2, "No such command 'rnu'", "did you mean 'run'?")
    one_line_error(sector("runs", "lss"), 2, "'ls'?", "Try 'sector runs --help'")


def test_timeout_zero_is_refused_with_a_message_that_excludes_zero(sector, workdir) -> None:
    (workdir / "a.py").write_text("print(1)\n")
    result = sector("run", "--timeout", "0", "a.py")
    one_line_error(result, 2, "above 0", "got 0")
    assert "between 0" not in result.stderr


def test_os_errors_are_words_not_errno(sector, sector_home: Path, workdir: Path) -> None:
    (sector_home / "config" / "config.toml").mkdir(parents=True)
    result = sector("config", "get", "runs.timeout")
    one_line_error(result, 2, "config.toml is a folder, not a file")
    assert "Errno" not in result.stderr


def test_os_error_helper_names_the_file() -> None:
    import errno

    from sector_cli.errors import os_error, plain_reason

    assert os_error(IsADirectoryError(errno.EISDIR, "Is a directory", "src")).one_line() == (
        "src is a folder, not a file. Name a file"
    )
    nested = ConnectionError("Connection aborted.", FileNotFoundError(2, "No such file"))
    assert plain_reason(nested) == "no such file"


def test_tables_do_not_cut_words_at_80_columns(capsys, monkeypatch) -> None:
    from sector_cli.cli.output import Output

    monkeypatch.setenv("COLUMNS", "80")
    row = {
        "id": 12, "verdict": "compile-error", "file": "src/forever.py", "lang": "python",
        "runner": "local", "exit": 1, "wall": "0.1s", "when": "2026-12-04 00:40",
        "note": "a longer detail of the run " * 2,
    }  # fmt: skip
    Output(False).table([row], [(key, key) for key in row], "")
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    words = {word for value in row.values() for word in str(value).split()} | set(row)
    for token in " ".join(lines).split():  # whole words, or a word's start ending in "…"
        assert token in words or (
            token.endswith("…") and any(w.startswith(token[:-1]) for w in words)
        ), (token, lines)


def test_no_trace_hint_offers_trace_only_for_python(
    database_url, sector, workdir, local_runner
) -> None:
    (workdir / "a.js").write_text("console.log(1)\n")
    (workdir / "b.py").write_text("print(1)\n")
    assert sector("run", "a.js", "-r", "local").exit_code == 0
    assert sector("run", "b.py", "-r", "local").exit_code == 0
    js = sector("viz", "trace", "1")
    one_line_error(js, 2, "has no trace", "Tracing follows Python programs", "javascript")
    assert "--trace" not in js.stderr
    one_line_error(sector("viz", "trace", "2"), 2, "`sector run b.py --trace`")


def test_every_rm_asks_and_a_script_must_pass_yes(sector, workdir: Path) -> None:
    """One rule for deleting: without a terminal and without --yes, nothing is deleted."""
    from sector_cli.plugins.runner import RunJob
    from sector_cli.services import open_services
    from sector_cli.store.models import Conversation, Run

    with open_services().store.session() as session:
        job = RunJob("python", {}, ["python3", "/work/main.py"]).to_json()
        session.add(Run(source="main.py", language="python", runner="local", job=job))
        session.add(Conversation(title="kept"))
    (workdir / "notes.md").write_text("# Notes\n\nClosures capture variables.\n")
    assert sector("context", "add", "notes.md").exit_code == 0
    listings = {
        ("runs", "rm", "1"): ("runs", "ls", "--json"),
        ("history", "rm", "1"): ("history", "ls", "--json"),
        ("context", "rm", "notes.md"): ("context", "ls", "--json"),
    }
    for command, listing in listings.items():
        refused = sector(*command)
        assert refused.exit_code == 2 and "Pass --yes" in refused.stderr, refused.output
        assert len(refused.stderr.strip().splitlines()) == 1
        assert len(json.loads(sector(*listing).stdout)) == 1  # nothing deleted
        assert sector(*command, "--yes").exit_code == 0
        assert json.loads(sector(*listing).stdout) == []
