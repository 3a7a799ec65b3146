"""`sector tui`: the full-screen workspace (Textual, loaded only when this command runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sector_cli.errors import UsageError


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()) or int(width) < 20 or int(height) < 10:
        raise UsageError(f"--size {text!r} is not COLUMNSxLINES", "Give one such as 120x40")
    return int(width), int(height)


def tui(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Project folder, or a file to open (default: here).", show_default=False
        ),
    ] = None,
    screenshot: Annotated[
        Path | None,
        typer.Option(
            "--screenshot",
            help="Start without a terminal, save an SVG screenshot to this file, and exit.",
            metavar="FILE.svg",
        ),
    ] = None,
    run: Annotated[
        Path | None,
        typer.Option(
            "--run",
            help="Open this file and run it (with --screenshot: wait for it).",
            metavar="FILE",
        ),
    ] = None,
    size: Annotated[
        str,
        typer.Option("--size", help="Screen size of --screenshot.", metavar="COLUMNSxLINES"),
    ] = "120x40",
) -> None:
    """Full-screen workspace: the project's files, the source, and runs, streamed live."""
    from sector_cli.services import open_services

    target = (path or Path.cwd()).absolute()
    if not target.exists():
        raise UsageError(f"{target} does not exist", "Give a project folder or a file in one")
    folder = target if target.is_dir() else target.parent
    columns_lines = _size(size)
    from sector_cli.tui.app import build_app
    from sector_cli.tui.screenshot import run_and_open, take_screenshot

    app = build_app(open_services(cwd=folder), target)
    if screenshot is not None:
        take_screenshot(app, screenshot, run, columns_lines)
        print(f"Saved {screenshot}")
        return
    if run is not None:
        run_and_open(app, run)
    app.run()
