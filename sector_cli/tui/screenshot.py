"""`sector tui --screenshot`: the app started without a terminal, optionally running a
file to its end, saved as an SVG (for the demo and the docs; no terminal needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sector_cli.errors import UsageError
from sector_cli.tui.app import SectorApp

SETTLE_ROUNDS = 200  # a run's last messages land within a few rounds of its worker's end


def run_and_open(app: SectorApp, file: Path) -> None:
    """Have the app open `file` and run it as soon as the workspace shows."""
    if not file.is_file():
        raise UsageError(f"--run {file}: no such file", "Give a tracked file of the project")
    app.open_path = file.absolute()
    app.run_at_start = True


def take_screenshot(app: SectorApp, out: Path, run: Path | None, size: tuple[int, int]) -> None:
    if out.suffix.lower() != ".svg":
        raise UsageError(f"--screenshot {out} is not an .svg file", "Name it FILE.svg")
    if run is not None:
        run_and_open(app, run)
    svg = asyncio.run(_shoot(app, size))
    try:
        out.write_text(svg, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {out}: {error.strerror}", "Check the folder") from None


async def _shoot(app: SectorApp, size: tuple[int, int]) -> str:
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for _ in range(SETTLE_ROUNDS):  # until no worker runs (a run may start late)
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers):
                break
        await pilot.pause()
        return app.export_screenshot(title="sector tui")
