"""`sector file add|ls|show|rm|sync`: a project's tracked source files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sector_cli.cli.options import Json, ProjectName
from sector_cli.cli.output import Output, warn

if TYPE_CHECKING:
    from sector_cli.store.models import SourceFile
    from sector_cli.workspace.files import FileReport, Files

app = typer.Typer(
    help="Track a project's source files and keep them in sync.", no_args_is_help=True
)

Paths = Annotated[list[Path], typer.Argument(help="Files or folders.", show_default=False)]


def _files(project: str | None) -> Files:
    from sector_cli.services import open_services

    return open_services({"project.default": project}).files()


def _row(row: SourceFile) -> dict[str, Any]:
    return {
        "path": row.path,
        "language": row.language,
        "size": row.size,
        "sha256": row.sha256,
        "mtime": row.mtime,
        "updated_at": row.updated_at,
    }


def _report(out: Output, files: Files, report: FileReport) -> None:
    for skipped in report.skipped:
        warn(f"skipped {skipped.path}: {skipped.reason}")
    payload = {"project": files.project.name, **report.counts(), "changes": report}
    summary = ", ".join(f"{count} {what}" for what, count in report.counts().items() if count)
    out.done(f"{files.project.name}: {summary or 'nothing to do'}", payload)


@app.command("add")
def add(paths: Paths, project: ProjectName = None, as_json: Json = False) -> None:
    """Track files, or every source file in folders (later `sync` picks up new ones there)."""
    out = Output(as_json)
    files = _files(project)
    _report(out, files, files.add(paths))


@app.command("ls")
def ls(
    language: Annotated[
        str | None, typer.Option("--lang", "-l", help="Only files in this language.")
    ] = None,
    project: ProjectName = None,
    as_json: Json = False,
) -> None:
    """List tracked files with language, size and content hash."""
    out = Output(as_json)
    files = _files(project)
    rows = [
        _row(row) | {"sha256": row.sha256[:12]} if not as_json else _row(row)
        for row in files.tracked(language)
    ]
    out.table(
        rows,
        [
            ("path", "Path"),
            ("language", "Language"),
            ("size", "Bytes"),
            ("sha256", "SHA-256"),
            ("mtime", "Modified"),
        ],
        empty=f"No files tracked in {files.project.name}. Add some with `sector file add PATH`.",
    )


@app.command("show")
def show(
    path: Annotated[Path, typer.Argument(help="A tracked file.")],
    project: ProjectName = None,
    as_json: Json = False,
) -> None:
    """Show what Sector recorded about a file."""
    out = Output(as_json)
    files = _files(project)
    row = files.get(path)
    out.record({"project": files.project.name, **_row(row), "added_at": row.added_at})


@app.command("rm")
def rm(paths: Paths, project: ProjectName = None, as_json: Json = False) -> None:
    """Stop tracking files or folders. The files on disk are not touched."""
    out = Output(as_json)
    files = _files(project)
    _report(out, files, files.remove(paths))


@app.command("sync")
def sync(project: ProjectName = None, as_json: Json = False) -> None:
    """Pick up edits, deletions, and new files in tracked folders."""
    out = Output(as_json)
    files = _files(project)
    _report(out, files, files.sync())
