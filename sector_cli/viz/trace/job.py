"""Building the traced job: the same run under Sector's tracer (`tracer_script.py`, standard
library only), which runs inside the sandbox through the runs service like any run and
writes the trace as the run's stdout. A program that does not compile is refused before it
runs, with the one-step trace Python Tutor gives for it."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from typing import TYPE_CHECKING, Any

from sector_cli.config import keys
from sector_cli.errors import UsageError
from sector_cli.plugins.runner import WORK_DIR, RunJob

if TYPE_CHECKING:
    from sector_cli.config.settings import Settings

TRACER_FILE = ".sector_tracer.py"
BYTES_PER_STEP = 256  # output allowance of a traced run per step of its budget


def tracer_source() -> bytes:
    """The program copied into the sandbox (standard library only)."""
    return resources.files("sector_cli.viz.trace").joinpath("tracer_script.py").read_bytes()


def max_steps(settings: Settings) -> int:
    """The step budget of a traced run (`viz.max_steps`)."""
    return settings.get(keys.VIZ_MAX_STEPS)


class ProgramSyntaxError(UsageError):
    """A program that does not compile: one line, and the one-step trace Python Tutor gives
    (an uncaught_exception step with line, offset and message) for `--json`."""

    def __init__(self, message: str, hint: str, tutor: dict[str, Any]) -> None:
        super().__init__(message, hint)
        self.tutor = tutor


def check_syntax(source: bytes, label: str) -> None:
    """A program that does not compile has no trace: say where, in one line (exit 2)."""
    try:
        compile(source, label, "exec", dont_inherit=True)
    except SyntaxError as error:
        where = f"{label}:{error.lineno}" if error.lineno else label
        column = f":{error.offset}" if error.offset else ""
        step: dict[str, Any] = {"event": "uncaught_exception"}
        if error.lineno is not None:
            step["line"] = error.lineno
        if error.offset is not None:
            step["offset"] = error.offset
        step["exception_msg"] = f"{type(error).__name__}: {error}"
        code = source.decode("utf-8", errors="replace")
        raise ProgramSyntaxError(
            f"{where}{column}: {type(error).__name__}: {error.msg}",
            "Fix that line, then trace again (`sector viz phases` shows the tokens up to it)",
            {"code": code, "trace": [step]},
        ) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise UsageError(f"{label}: cannot compile: {error}", "Check the file") from None


def traced_job(job: RunJob, steps: int) -> RunJob:
    """The same run, under the tracer: same files, input, arguments and limits; more room
    for output (the trace is the run's stdout)."""
    if job.language != "python" or job.compile:
        raise UsageError(
            f"tracing follows Python programs; this is {job.language}",
            "Trace a .py file (or --lang python)",
        )
    name = next(iter(job.files))
    program = f"{WORK_DIR}/{name}"
    if program not in job.run:
        raise UsageError(f"cannot trace this run command: {' '.join(job.run)}", "Trace a file")
    args = job.run[job.run.index(program) + 1 :]
    check_syntax(job.files[name], name)
    command = [
        job.run[0],
        "-B",
        f"{WORK_DIR}/{TRACER_FILE}",
        str(steps),
        f"{job.limits.wall_seconds:g}",
        program,
        *args,
    ]
    room = job.limits.output_bytes + steps * BYTES_PER_STEP
    return replace(
        job,
        files={**job.files, TRACER_FILE: tracer_source()},
        run=command,
        limits=replace(job.limits, output_bytes=room),
    )


def is_traced(job: RunJob) -> bool:
    return TRACER_FILE in job.files and f"{WORK_DIR}/{TRACER_FILE}" in job.run


def program_name(job: RunJob) -> str:
    return next(name for name in job.files if name != TRACER_FILE)
