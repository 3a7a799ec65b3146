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
    from sector_cli.viz.trace import TraceOptions

    return TraceOptions(
        runner=runner,
        timeout=timeout,
        memory=memory,
        stdin=_read(stdin) if stdin is not None else b"",
    )


def check_before_running(target: str, out: Path | None, var: str | None = None) -> None:
    """Options that would fail after a FILE ran fail now, before a run is made and kept."""
    from sector_cli.viz.trace import check_out, check_var

    check_out(out)
    path = Path(target)
    if var is not None and path.is_file():  # a RUN is not run again: the trace decides
        try:
            source = path.read_bytes()
        except OSError:
            return  # tracing it says why it cannot be read
        check_var(source, target, var)


def open_program(target: str, options: TraceOptions) -> Trace:
    from sector_cli.services import open_services
    from sector_cli.viz.trace import open_trace

    return open_trace(open_services().runs, target, options)


def tutor(target: str, options: TraceOptions) -> dict[str, Any]:
    """Python Tutor's trace of a FILE (traced now) or a RUN."""
    return open_program(target, options).to_tutor()


def _read(path: Path) -> bytes:
    from sector_cli.errors import UsageError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --stdin {path}: {exc.strerror}", "Check the path") from None
