"""`sector file add|ls|show|rm|sync` against SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest


def data(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def put(root: Path, relative: str, content: str | bytes, executable: bool = False) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    if executable:
        path.chmod(0o755)
    return path


@pytest.fixture
def project(database_url, sector, workdir: Path) -> Path:
    assert sector("init").exit_code == 0
    return workdir


def ok(result) -> None:
    assert result.exit_code == 0, result.output


def tracked(sector) -> dict[str, dict]:
    return {row["path"]: row for row in data(sector("file", "ls", "--json"))}


def test_add_detects_languages_by_extension_and_shebang(sector, project: Path) -> None:
    put(project, "main.py", "print('hi')\n")
    put(project, "src/lib.rs", "fn main() {}\n")
    put(project, "src/a.cpp", "int main() {}\n")
    put(project, "src/types.ts", "let x: number = 1;\n")
    put(project, "bin/serve", "#!/usr/bin/env node\nconsole.log(1)\n", executable=True)
    put(project, "bin/build", "#!/bin/bash\necho hi\n", executable=True)
    put(project, "notes.txt", "not source\n")
    report = data(sector("file", "add", "main.py", "src", "bin", "--json"))
    assert report["added"] == 6 and report["skipped"] == 0
    languages = {path: row["language"] for path, row in tracked(sector).items()}
    assert languages == {
        "main.py": "python",
        "src/lib.rs": "rust",
        "src/a.cpp": "cpp",
        "src/types.ts": "typescript",
        "bin/serve": "javascript",
        "bin/build": "shell",
    }
    row = tracked(sector)["main.py"]
    assert row["sha256"] == hashlib.sha256(b"print('hi')\n").hexdigest()
    assert row["size"] == len("print('hi')\n")
    assert row["mtime"].endswith("+00:00")


def test_sync_picks_up_edits_deletions_and_additions(sector, project: Path) -> None:
    put(project, "src/a.py", "a = 1\n")
    put(project, "src/b.py", "b = 1\n")
    put(project, "single.c", "int main(){}\n")
    ok(sector("file", "add", "src", "single.c"))
    put(project, "src/a.py", "a = 2\n")
    (project / "src/b.py").unlink()
    put(project, "src/deep/c.go", "package main\n")
    put(project, "loose.py", "outside any tracked folder\n")
    report = data(sector("file", "sync", "--json"))
    changes = report["changes"]
    assert changes["updated"] == ["src/a.py"]
    assert changes["removed"] == ["src/b.py"]
    assert changes["added"] == ["src/deep/c.go"]
    assert changes["unchanged"] == ["single.c"]
    assert set(tracked(sector)) == {"src/a.py", "src/deep/c.go", "single.c"}
    again = data(sector("file", "sync", "--json"))
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)


def test_folder_scan_honours_ignore_files(sector, project: Path) -> None:
    put(project, ".gitignore", "build/\n*.gen.py\n!keep.gen.py\n")
    put(project, ".sectorignore", "scratch.py\n")
    put(project, "pkg/.gitignore", "local.py\n")
    for relative in (
        "a.py",
        "build/out.py",
        "x.gen.py",
        "keep.gen.py",
        "scratch.py",
        "pkg/local.py",
        "pkg/mod.py",
        "node_modules/dep/index.js",
        ".venv/x.py",
    ):
        put(project, relative, "x = 1\n")
    ok(sector("file", "add", "."))
    assert set(tracked(sector)) == {"a.py", "keep.gen.py", "pkg/mod.py"}


def test_binary_file_is_refused_and_nothing_is_stored(sector, project: Path) -> None:
    put(project, "good.py", "ok = True\n")
    put(project, "image.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = sector("file", "add", "good.py", "image.py")
    assert result.exit_code == 2
    assert "image.py is a binary file" in result.stderr
    assert tracked(sector) == {}


def test_binary_and_oversized_files_in_a_folder_are_skipped_with_reasons(
    sector, project: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SECTOR_FILES_MAX_SIZE", "1k")
    put(project, "src/ok.py", "ok = True\n")
    put(project, "src/blob.c", b"\x00\x01\x02")
    put(project, "src/huge.py", "x = 1\n" * 400)
    result = sector("file", "add", "src", "--json")
    report = data(result)
    assert report["added"] == 1 and report["skipped"] == 2
    assert "huge.py" in result.stderr and "blob.c" in result.stderr


def test_file_over_the_size_limit_names_the_setting(sector, project: Path, monkeypatch) -> None:
    put(project, "big.py", "x = 1\n" * 400)
    monkeypatch.setenv("SECTOR_FILES_MAX_SIZE", "1k")
    result = sector("file", "add", "big.py")
    assert result.exit_code == 2 and "files.max_size" in result.stderr
    monkeypatch.setenv("SECTOR_FILES_MAX_SIZE", "1M")
    assert data(sector("file", "add", "big.py", "--json"))["added"] == 1


def test_non_utf8_and_unknown_language_are_refused(sector, project: Path) -> None:
    put(project, "latin.py", "caf\xe9 = 1\n".encode("latin-1"))
    put(project, "README", "plain words\n")
    latin = sector("file", "add", "latin.py")
    assert latin.exit_code == 2 and "not UTF-8" in latin.stderr
    unknown = sector("file", "add", "README")
    assert unknown.exit_code == 2 and "cannot tell the language" in unknown.stderr


def test_paths_outside_the_project_or_missing_are_refused(sector, project: Path, tmp_path) -> None:
    outside = put(tmp_path, "elsewhere/x.py", "x = 1\n")
    result = sector("file", "add", str(outside))
    assert result.exit_code == 2 and "outside the project folder" in result.stderr
    missing = sector("file", "add", "ghost.py")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    assert tracked(sector) == {}


def test_show_and_rm(sector, project: Path) -> None:
    put(project, "lib/a.py", "a = 1\n")
    put(project, "lib/b.py", "b = 1\n")
    put(project, "top.js", "1\n")
    ok(sector("file", "add", "lib", "top.js"))
    shown = data(sector("file", "show", "top.js", "--json"))
    assert shown["language"] == "javascript" and shown["project"] == "work"
    assert data(sector("file", "rm", "top.js", "--json"))["removed"] == 1
    assert (project / "top.js").exists()
    assert data(sector("file", "rm", "lib", "--json"))["removed"] == 2
    put(project, "lib/c.py", "c = 1\n")
    assert data(sector("file", "sync", "--json"))["added"] == 0  # the folder is untracked too
    missing = sector("file", "show", "top.js")
    assert missing.exit_code == 2 and "sector file add" in missing.stderr


def test_ls_filters_by_language_and_works_from_a_subfolder(
    sector, project: Path, monkeypatch
) -> None:
    put(project, "a.py", "a = 1\n")
    put(project, "b.c", "int b;\n")
    ok(sector("file", "add", "a.py", "b.c"))
    monkeypatch.chdir(project / ".sector")
    assert [r["path"] for r in data(sector("file", "ls", "--lang", "c", "--json"))] == ["b.c"]


def test_symlink_loop_does_not_hang(sector, project: Path) -> None:
    put(project, "src/a.py", "a = 1\n")
    (project / "src" / "loop").symlink_to(project / "src")
    (project / "src" / "dangling.py").symlink_to(project / "nowhere")
    report = data(sector("file", "add", "src", "--json"))
    assert report["added"] == 1
