"""What every trace-based visualization (`viz trace`, `calltree`, `ds`) takes: the program (a
FILE traced now, or a RUN), and how to run a FILE in the sandbox. Declared once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sector_cli.viz.trace import Trace, TraceOptions

Target = Annotated[
    str,
    typer.Argument(
        help="A Python file (run traced in the sandbox now) or a recorded run's number.",
        metavar="FILE|RUN",
        show_default=False,
    ),
]
Runner = Annotated[
    str | None, typer.Option("--runner", "-r", help="docker or local (tracing a FILE).")
]
Timeout = Annotated[
    float | None, typer.Option("--timeout", "-t", help="Time limit in seconds (a FILE).")
]
Memory = Annotated[
    str | None, typer.Option("--memory", "-m", help="Memory limit, 256M or 1G (a FILE).")
]
Stdin = Annotated[Path | None, typer.Option("--stdin", help="Feed the traced FILE this input.")]


def trace_options(
    runner: str | None, timeout: float | None, memory: str | None, stdin: Path | None
) -> TraceOptions:
    from sector_cli.viz.trace import trace_options as options

    return options(runner, timeout, memory, stdin)


def check_before_running(target: str, out: Path | None, var: str | None = None) -> None:
    """Options that would fail after a FILE ran fail now, before a run is made and kept."""
    from sector_cli.viz.trace import check_out, check_program_var

    check_out(out)
    if var is not None:
        check_program_var(target, var)


def open_program(target: str, options: TraceOptions) -> Trace:
    from sector_cli.services import open_services
    from sector_cli.viz.trace import open_trace

    return open_trace(open_services().runs, target, options)


def tutor(target: str, options: TraceOptions) -> dict[str, Any]:
    """Python Tutor's trace of a FILE (traced now) or a RUN."""
    return open_program(target, options).to_tutor()
