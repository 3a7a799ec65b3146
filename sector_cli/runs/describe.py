"""A run's numbers in words people read: sizes in KiB/MiB, seconds, limits in one line.
Every front end shows runs with these, so that they all say the same."""

from __future__ import annotations

import shlex

from sector_cli.plugins.runner import Limits, RunFinished, Verdict
from sector_cli.store.models import Run

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(size: int | None) -> str:
    """`512 B`, `1.5 KiB`, `256 MiB` (whole numbers without decimals); `-` for unknown."""
    if size is None:
        return "-"
    value, unit = float(size), UNITS[0]
    for unit in UNITS:
        if abs(value) < 1024 or unit == UNITS[-1]:
            break
        value /= 1024
    if unit == "B" or value == int(value):
        return f"{int(value)} {unit}"
    return f"{value:.1f} {unit}"


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:g} s" if seconds == int(seconds) else f"{seconds:.2f} s"


def limits_text(limits: Limits) -> str:
    """`10 s wall, 10 s CPU, 256 MiB memory, 64 processes, ... , no network`."""
    return ", ".join(
        [
            f"{human_seconds(limits.wall_seconds)} wall",
            f"{human_seconds(limits.cpu_seconds)} CPU",
            f"{human_bytes(limits.memory_bytes)} memory",
            f"{limits.processes} processes",
            f"{human_bytes(limits.output_bytes)} output",
            f"{human_bytes(limits.disk_bytes)} disk",
            f"{limits.open_files} open files",
            "network" if limits.network else "no network",
        ]
    )


def command_text(command: list[str] | None) -> str:
    """A command as a shell would take it back; `-` for none."""
    return shlex.join(command) if command else "-"


def verdict_line(run_id: int, runner: str, finished: RunFinished) -> str:
    """`accepted · exit 0 · 0.05s wall · 0.03s cpu · 9.1 MiB peak · run #3 (local)`."""
    parts = [finished.verdict.value]
    if finished.detail:
        parts.append(finished.detail)
    elif finished.exit_code is not None:
        parts.append(f"exit {finished.exit_code}")
    parts.append(f"{finished.wall:.2f}s wall")
    if finished.cpu is not None:
        parts.append(f"{finished.cpu:.2f}s cpu")
    parts.append(f"{human_bytes(finished.peak_memory)} peak")
    parts.append(f"run #{run_id} ({runner})")
    return " · ".join(parts)


def recorded_verdict_line(run: Run) -> str:
    """`verdict_line` of a recorded run (one that was stopped, or one from the history);
    a run without a verdict yet is `running`."""
    if run.verdict is None or run.id is None:
        return f"running · run #{run.id} ({run.runner})"
    finished = RunFinished(
        Verdict(run.verdict),
        run.exit_code,
        run.wall or 0.0,
        run.cpu,
        run.peak_memory,
        run.wall or 0.0,
        run.detail or "",
    )
    return verdict_line(run.id, run.runner, finished)
