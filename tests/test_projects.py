"""`sector init` and `sector project ...` against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sector_cli.config import paths


def data(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_marks_the_folder_and_is_idempotent(database_url, sector, workdir: Path) -> None:
    first = data(sector("init", "--json"))
    assert first == {"name": "work", "root": str(workdir.resolve()), "created": True}
    assert (workdir / ".sector" / "config.toml").is_file()
    second = data(sector("init", "--json"))
    assert second["created"] is False
    assert [p["name"] for p in data(sector("project", "ls", "--json"))] == ["work"]


def test_init_with_a_name_taken_elsewhere_is_refused(database_url, sector, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert sector("init", str(tmp_path / "a"), "--name", "same").exit_code == 0
    result = sector("init", str(tmp_path / "b"), "--name", "same")
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert not (tmp_path / "b" / ".sector").exists()


def test_new_ls_show_use_rm(database_url, sector, workdir: Path) -> None:
    created = data(sector("project", "new", "course", "--json"))
    assert Path(created["root"]) == (workdir / "course").resolve()
    assert (workdir / "course" / ".sector").is_dir()
    data(sector("project", "new", "other", "--path", "elsewhere", "--json"))
    listed = data(sector("project", "ls", "--json"))
    assert [p["name"] for p in listed] == ["course", "other"]
    assert not any(p["current"] for p in listed)

    data(sector("project", "use", "other", "--json"))
    assert 'default = "other"' in paths.user_config_file().read_text()
    listed = data(sector("project", "ls", "--json"))
    assert [p["name"] for p in listed if p["current"]] == ["other"]
    shown = data(sector("project", "show", "--json"))
    assert shown["name"] == "other" and shown["files"] == 0

    removed = sector("project", "rm", "other", "--yes")
    assert removed.exit_code == 0
    assert (workdir / "elsewhere").is_dir()  # nothing on disk is deleted
    assert "other" not in paths.user_config_file().read_text()
    assert [p["name"] for p in data(sector("project", "ls", "--json"))] == ["course"]


def test_folder_project_wins_over_the_default_but_not_over_env_or_flag(
    database_url, sector, workdir: Path, monkeypatch
) -> None:
    data(sector("project", "new", "a", "--json"))
    data(sector("project", "new", "b", "--json"))
    data(sector("project", "use", "a", "--json"))
    monkeypatch.chdir(workdir / "b")
    assert data(sector("project", "show", "--json"))["name"] == "b"
    monkeypatch.setenv("SECTOR_PROJECT", "a")
    assert data(sector("file", "ls", "--json")) == []
    assert data(sector("project", "show", "--json"))["name"] == "a"


def test_unknown_project_suggests_a_close_name(database_url, sector, workdir: Path) -> None:
    data(sector("project", "new", "algorithms", "--json"))
    result = sector("project", "show", "algoritms")
    assert result.exit_code == 2
    assert "Did you mean algorithms?" in result.stderr
    assert sector("project", "rm", "nope", "--yes").exit_code == 2


def test_no_project_selected_names_the_next_step(database_url, sector, workdir: Path) -> None:
    result = sector("file", "ls")
    assert result.exit_code == 2
    assert "sector init" in result.stderr and "sector project use" in result.stderr


def test_marked_but_unregistered_folder_says_to_init(database_url, sector, workdir: Path) -> None:
    (workdir / ".sector").mkdir()
    result = sector("file", "ls")
    assert result.exit_code == 2
    assert f"Run `sector init` in {workdir.resolve()}" in result.stderr


def test_rm_without_yes_on_a_pipe_is_refused(database_url, sector, workdir: Path) -> None:
    data(sector("project", "new", "keep", "--json"))
    result = sector("project", "rm", "keep")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert [p["name"] for p in data(sector("project", "ls", "--json"))] == ["keep"]


def test_invalid_project_name(database_url, sector, workdir: Path) -> None:
    result = sector("project", "new", "../escape")
    assert result.exit_code == 2
    assert "not a valid project name" in result.stderr
