"""`sector init` and `sector project new|ls|show|rm|use`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sector_cli.cli.options import Json, Yes, confirm_removal
from sector_cli.cli.output import Output, warn

if TYPE_CHECKING:
    from sector_cli.workspace.projects import ProjectSummary

app = typer.Typer(help="Create, list, inspect, remove and choose projects.", no_args_is_help=True)


def _row(summary: ProjectSummary) -> dict[str, Any]:
    project = summary.project
    return {
        "name": project.name,
        "root": project.root,
        "files": summary.files,
        "languages": summary.languages,
        "current": summary.current,
        "created_at": project.created_at,
    }


def init(
    path: Annotated[Path, typer.Argument(help="Folder to make a project.")] = Path(),
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Project name (default: folder name).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Turn a folder into a Sector project (a `.sector/` folder with its config). Idempotent."""
    from sector_cli.services import open_services

    out = Output(as_json)
    project, created = open_services().projects.init(path, name)
    verb = "Created" if created else "Already a project:"
    out.done(
        f"{verb} {project.name} in {project.root}",
        {"name": project.name, "root": project.root, "created": created},
    )


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Project name.")],
    path: Annotated[
        Path | None, typer.Option("--path", help="Folder (default: ./NAME; made if missing).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Create a project in a new or existing folder."""
    from sector_cli.services import open_services

    out = Output(as_json)
    project = open_services().projects.new(name, path or Path(name))
    out.done(f"Created {project.name} in {project.root}", project)


@app.command("ls")
def ls(as_json: Json = False) -> None:
    """List projects, with their file counts and the current one marked."""
    from sector_cli.services import open_services

    out = Output(as_json)
    rows = [_row(summary) for summary in open_services().projects.summaries()]
    if not as_json:
        for row in rows:
            row["current"] = "*" if row["current"] else ""
    out.table(
        rows,
        [
            ("current", ""),
            ("name", "Name"),
            ("files", "Files"),
            ("languages", "Languages"),
            ("root", "Folder"),
        ],
        empty="No projects yet. Create one with `sector init` or `sector project new NAME`.",
    )


@app.command("show")
def show(
    name: Annotated[str | None, typer.Argument(help="Project (default: current).")] = None,
    as_json: Json = False,
) -> None:
    """Show a project: folder, files by language, tracked folders."""
    from sector_cli.services import open_services

    out = Output(as_json)
    services = open_services()
    project = services.projects.get(name) if name else services.projects.current()
    (summary,) = services.projects.summaries(project.name)
    row = _row(summary)
    row["folders"] = services.files(project).folders()
    out.record(row, title=f"Project {project.name}")


@app.command("rm")
def rm(
    name: Annotated[str, typer.Argument(help="Project to forget.")],
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Forget a project and its tracked files. Nothing on disk is deleted."""
    from sector_cli.services import open_services

    out = Output(as_json)
    services = open_services()
    project = services.projects.get(name)
    confirm_removal(f"Forget project {name} ({project.root})?", yes)
    services.projects.remove(name)
    out.done(f"Removed {name}; {project.root} was left on disk", project)


@app.command("use")
def use(
    name: Annotated[str, typer.Argument(help="Project to use outside project folders.")],
    as_json: Json = False,
) -> None:
    """Make a project the default for commands run outside any project folder."""
    from sector_cli.services import open_services

    out = Output(as_json)
    services = open_services()
    written = services.projects.use(name)
    overriding = services.projects.overriding()
    if overriding is not None:
        warn(f"SECTOR_PROJECT={overriding} still overrides this here")
    out.done(f"Using {name} (saved in {written.label})", {"project": name, "config": written.label})
