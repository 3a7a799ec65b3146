"""Options shared by many commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Json = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON (NDJSON for streams).")
]
ProjectName = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        help="Project to act on (default: the folder's project, then `sector project use`).",
        show_default=False,
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def confirm_removal(question: str, yes: bool) -> None:
    """The one rule for commands that delete: ask on a terminal; a script passes --yes (without
    it, refuse with exit 2 rather than delete what no one confirmed)."""
    import sys

    from sector_cli.errors import UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{question[:-1]} needs confirmation", "Pass --yes")
    typer.confirm(question, abort=True)


Out = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Also write a standalone drawing: .svg (animated when it has steps) or .html.",
        show_default=False,
    ),
]


def _plugin_names(kind: str, incomplete: str) -> list[str]:
    """Names registered for a plugin kind, read from entry points (no plugin is imported)."""
    from sector_cli.plugins.entrypoints import found_in, group

    names = {found.entry.name for found in found_in(group(kind))}
    return sorted(name for name in names if name.startswith(incomplete))


def complete_runner(incomplete: str) -> list[str]:
    return _plugin_names("runners", incomplete)


def complete_language(incomplete: str) -> list[str]:
    return _plugin_names("languages", incomplete)
