"""Loading a trace: of a recorded RUN, or of a FILE traced now in the sandbox (and kept as a
new run), as a `Trace` or as Python Tutor's JSON."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sector_cli.errors import UsageError
from sector_cli.plugins.runner import RunEvent
from sector_cli.viz.trace.job import check_syntax, is_traced, max_steps, program_name, traced_job
from sector_cli.viz.trace.model import Trace

if TYPE_CHECKING:
    from sector_cli.runs.service import Runs


def resolve_target(target: str) -> Path | int:
    """A FILE, or a RUN number (`12` or `#12`) when no such file exists."""
    path = Path(target)
    if path.is_file():
        return path
    digits = target.removeprefix("#")
    if digits.isdigit():
        return int(digits)
    if path.exists():
        raise UsageError(f"{target} is not a file", "Give a Python file or a run number")
    raise UsageError(
        f"no file or run {target!r}", "Give a Python file, or a run number from `sector runs ls`"
    )


@dataclass(frozen=True)
class TraceOptions:
    """How to run a FILE that is traced on the spot."""

    runner: str | None = None
    timeout: float | None = None
    memory: str | None = None
    stdin: bytes = b""
    args: tuple[str, ...] = ()


def trace_options(
    runner: str | None, timeout: float | None, memory: str | None, stdin: Path | None
) -> TraceOptions:
    """How to trace a FILE, from what a front end was given (`stdin`: a file to feed it)."""
    return TraceOptions(
        runner=runner,
        timeout=timeout,
        memory=memory,
        stdin=_read_stdin(stdin) if stdin is not None else b"",
    )


def _read_stdin(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --stdin {path}: {exc.strerror}", "Check the path") from None


def open_trace(runs: Runs, target: str, options: TraceOptions | None = None) -> Trace:
    """The trace of a RUN, or of a FILE traced now (and kept as a new run)."""
    found = resolve_target(target)
    if isinstance(found, int):
        return load_trace(runs, found)
    return trace_file(runs, found, options or TraceOptions())


def trace_file(runs: Runs, path: Path, options: TraceOptions) -> Trace:
    from sector_cli.runs.prepare import RunRequest

    request = RunRequest(
        file=path,
        args=list(options.args),
        stdin=options.stdin,
        timeout=options.timeout,
        memory=options.memory,
    )
    prepared = runs.prepare(request)
    label, job = prepared.source, prepared.job
    if job.language != "python":
        raise UsageError(f"{path} is {job.language}: tracing follows Python", "Trace a .py file")
    steps = max_steps(runs.settings)
    execution = runs.start(label, traced_job(job, steps), runs.runner(options.runner))
    asyncio.run(_drain(execution.events))
    return load_trace(runs, execution.run_id)


async def _drain(events: AsyncGenerator[RunEvent, None]) -> None:
    async with contextlib.aclosing(events) as stream:
        async for _event in stream:
            pass


def load_trace(runs: Runs, run_id: int) -> Trace:
    run = runs.get(run_id)
    job = runs.job(run)
    if not is_traced(job):
        # offer --trace only where it works: the tracer follows Python programs alone
        hint = (
            f"Trace it: `sector run {run.source} --trace`, or `sector viz trace FILE`"
            if job.language == "python" and not job.compile
            else f"Tracing follows Python programs; run #{run_id} is {job.language}"
        )
        raise UsageError(f"run #{run_id} has no trace", hint)
    name = program_name(job)
    trace = Trace(
        runs.output(run_id, ("stdout",)),
        job.files[name].decode("utf-8", errors="replace"),
        run.source,
    )
    trace.run_id, trace.runner, trace.verdict = run_id, run.runner, run.verdict
    trace.exit_code = run.exit_code
    trace.raw_stderr = runs.output(run_id, ("stderr",)).decode("utf-8", errors="replace")
    if trace.syntax_error:
        check_syntax(job.files[name], name)  # the same error, with its one-step trace
        raise UsageError(trace.syntax_error, "Fix that line, then trace again")
    return trace


def tutor_trace(runs: Runs, target: str) -> dict[str, Any]:
    """Python Tutor's trace (pg_logger's format) of a FILE (traced now) or a RUN, as
    `json.loads` would give it: {"code": ..., "trace": [step, ...]} (heap keys are strings).

    Each step has line, event (step_line, call, return, exception, uncaught_exception, and a
    last instruction_limit_reached when the trace was cut), func_name, globals,
    ordered_globals, stack_to_render, heap and stdout; exception steps have exception_msg.
    A "sector" key adds what the format has no place for: the run, why the trace stopped
    early, and how often each line ran and each function was called, over the whole run
    (past the step budget too)."""
    return open_trace(runs, target).to_tutor()
