"""`sector run`, `sector runs ls|show|log|rm|replay` and `sector runner ls`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sector_cli.cli.completion import complete_run_id
from sector_cli.cli.options import (
    Json,
    ProjectName,
    Yes,
    complete_language,
    complete_runner,
    confirm_removal,
)
from sector_cli.cli.output import (
    EXIT_INTERRUPTED,
    Output,
    ReaderLeft,
    jsonable,
    leave_quietly,
    warn,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sector_cli.plugins.runner import RunEvent, RunFinished
    from sector_cli.runs.service import Execution
    from sector_cli.store.models import Run

runs_app = typer.Typer(help="Run history: list, inspect, replay, remove.", no_args_is_help=True)
runner_app = typer.Typer(help="Sandboxes that run code.", no_args_is_help=True)

# Exit codes of `sector run`: the program's own for a finished program, fixed ones otherwise.
EXIT_FOR_VERDICT = {
    "time-limit": 124,
    "memory-limit": 125,
    "output-limit": 126,
    "compile-error": 65,
    "internal-error": 70,
    "interrupted": EXIT_INTERRUPTED,
}


def exit_code_for(finished: RunFinished) -> int:
    verdict = finished.verdict.value
    if verdict in EXIT_FOR_VERDICT:
        return EXIT_FOR_VERDICT[verdict]
    if verdict == "signaled":
        return 128 + (finished.signal or 9)
    return finished.exit_code or 0


def _live_stdin() -> AsyncIterator[bytes] | bytes:
    """The terminal's or pipe's input, forwarded as it arrives; bytes when there is no fd."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else b""
    return _read_fd(fd)


async def _read_fd(fd: int) -> AsyncIterator[bytes]:
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    def reader() -> None:  # a thread: blocking reads of a terminal cannot be awaited portably
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            loop.call_soon_threadsafe(queue.put_nowait, chunk)
            if not chunk:
                return

    threading.Thread(target=reader, daemon=True).start()
    while chunk := await queue.get():
        yield chunk


def verdict_line(run_id: int, runner: str, finished: RunFinished) -> str:
    from sector_cli.runs.describe import human_bytes

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


def output_json(data: bytes, key: str = "data") -> dict[str, str]:
    """Program output for JSON: text, plus the exact bytes when they are not UTF-8."""
    import base64

    text = data.decode("utf-8", errors="replace")
    exact = {} if text.encode() == data else {f"{key}_base64": base64.b64encode(data).decode()}
    return {key: text, **exact}


def event_json(run_id: int, event: RunEvent) -> dict[str, Any]:
    from sector_cli.plugins.runner import Output as RunOutput

    if isinstance(event, RunOutput):
        data = {"event": "output", "stream": event.stream, **output_json(event.data)}
        return {**data, "t": round(event.t, 6), "run": run_id}
    name = "started" if type(event).__name__ == "RunStarted" else "finished"
    return {"event": name, **jsonable(event), "run": run_id}


def _show(execution: Execution, event: RunEvent, as_json: bool) -> None:
    import json

    from sector_cli.plugins.runner import Output as RunOutput

    if as_json:
        sys.stdout.write(json.dumps(event_json(execution.run_id, event)) + "\n")
        sys.stdout.flush()
    elif isinstance(event, RunOutput):
        target = sys.stdout if event.stream == "stdout" else sys.stderr
        if hasattr(target, "buffer"):
            target.buffer.write(event.data)
        else:
            target.write(event.data.decode("utf-8", errors="replace"))
        target.flush()


async def _stream(execution: Execution, as_json: bool) -> RunFinished | None:
    """Show the events as they come; the run is stopped and recorded if the reader leaves."""
    import contextlib

    from sector_cli.plugins.runner import RunFinished as Finished

    finished = None
    async with contextlib.aclosing(execution.events) as events:
        async for event in events:
            try:
                _show(execution, event, as_json)
            except BrokenPipeError:
                raise ReaderLeft from None
            if isinstance(event, Finished):
                finished = event
    return finished


def _finish(execution: Execution, finished: RunFinished, as_json: bool) -> None:
    if not as_json:
        sys.stderr.write(verdict_line(execution.run_id, execution.runner, finished) + "\n")
    raise typer.Exit(exit_code_for(finished))


def _as_ctrl_c(signum: int, frame: object) -> None:
    import signal

    if callable(signal.getsignal(signal.SIGINT)):
        signal.raise_signal(signal.SIGINT)
    else:  # SIGINT ignored (started in the background): asyncio.run did not take it over
        raise KeyboardInterrupt


def _shown(execution: Execution, as_json: bool) -> RunFinished:
    """Stream the run to the terminal until it ends; Ctrl-C, SIGTERM or a stream that stops
    short exit 130 with the run recorded as it was (`run` and `runs replay` alike)."""
    import asyncio
    import signal

    # SIGTERM stops the run as Ctrl-C does, so that it is recorded as it was: by raising
    # SIGINT, whose handler asyncio.run cancels the run with (KeyboardInterrupt raised in
    # whatever frame SIGTERM landed in left half-closed coroutines complaining on stderr)
    signal.signal(signal.SIGTERM, _as_ctrl_c)
    try:
        finished = asyncio.run(_stream(execution, as_json))
    except KeyboardInterrupt:
        sys.stderr.write(f"interrupted: run #{execution.run_id} kept as it was\n")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except ReaderLeft:
        leave_quietly()
    if finished is None:
        raise typer.Exit(EXIT_INTERRUPTED)
    return finished


def _drive(execution: Execution, as_json: bool) -> None:
    _finish(execution, _shown(execution, as_json), as_json)


def run(
    file: Annotated[Path | None, typer.Argument(help="Program to run.", show_default=False)] = None,
    args: Annotated[
        list[str] | None, typer.Argument(help="Arguments for the program (after --).")
    ] = None,
    code: Annotated[
        str | None, typer.Option("--code", "-c", help="Run this snippet instead of a file.")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            "-l",
            help="Language (default: from the file).",
            autocompletion=complete_language,
        ),
    ] = None,
    stdin: Annotated[
        str | None,
        typer.Option("--stdin", help="Feed the program this file ('-': all of standard input)."),
    ] = None,
    runner: Annotated[
        str | None,
        typer.Option(
            "--runner",
            "-r",
            help="docker or local (default: runs.runner).",
            autocompletion=complete_runner,
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", "-t", help="Time limit in seconds.")
    ] = None,
    memory: Annotated[
        str | None, typer.Option("--memory", "-m", help="Memory limit (256M, 1G).")
    ] = None,
    net: Annotated[bool, typer.Option("--net", help="Allow network access.")] = False,
    with_paths: Annotated[
        list[Path] | None,
        typer.Option(
            "--with",
            "-w",
            help="Also put this file or folder in the sandbox (repeat for more).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    trace: Annotated[
        bool,
        typer.Option("--trace", help="Record an execution trace (Python): `sector viz trace`."),
    ] = False,
    project: ProjectName = None,
    as_json: Json = False,
) -> None:
    """Run a program in a sandbox, streaming its output, then print its verdict.

    The program's project files (or, outside a project, its folder's) are in the sandbox
    too, laid out as on disk: sibling modules import and relative paths open.

    Exit code: the program's own when it finished; 124 time limit, 125 memory limit,
    126 output limit, 65 compile error, 70 internal error, 128+N killed by signal N,
    130 interrupted (Ctrl-C, SIGTERM).
    """
    from sector_cli.runs.prepare import RunRequest
    from sector_cli.services import open_services

    Output(as_json)
    if code is not None and file is not None:  # with --code every positional is an argument
        args, file = [str(file), *(args or [])], None
    services = open_services({"project.default": project})
    fed: bytes | AsyncIterator[bytes]
    if stdin == "-":
        fed = _read_input(Path("/dev/stdin"))
    elif stdin is not None:
        fed = _read_input(Path(stdin))
    else:
        fed = _live_stdin()
    request = RunRequest(
        file=file,
        code=code,
        language=lang,
        args=list(args or []),
        stdin=fed if isinstance(fed, bytes) else b"",
        timeout=timeout,
        memory=memory,
        network=net,
        with_paths=list(with_paths or []),
    )
    runs = services.runs
    prepared = runs.prepare(request)
    for line in prepared.left_out:
        warn(line)
    source, job = prepared.source, prepared.job
    live = None if isinstance(fed, bytes) else fed
    if trace:  # the trace is the run's stdout; what is shown is the program's own output
        from sector_cli.viz.trace import start_traced

        execution = start_traced(services, source, job, runs.runner(runner), live)
    else:
        execution = runs.start(source, job, runs.runner(runner), live)
    _drive(execution, as_json)


def _read_input(path: Path) -> bytes:
    from sector_cli.errors import UsageError
    from sector_cli.runs.service import MAX_INPUT_BYTES

    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read --stdin {path}: {exc.strerror}", "Check the path") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(
            f"--stdin {path} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
            "Feed a smaller input",
        )
    return data


def _run_row(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "source": run.source,
        "language": run.language,
        "runner": run.runner,
        "verdict": run.verdict or "running",
        "detail": run.detail,
        "exit_code": run.exit_code,
        "wall": round(run.wall, 3) if run.wall is not None else None,
        "cpu": round(run.cpu, 3) if run.cpu is not None else None,
        "peak_memory": run.peak_memory,
        "replay_of": run.replay_of,
        "created_at": run.created_at,
    }


@runs_app.command("ls")
def runs_ls(
    verdict: Annotated[str | None, typer.Option("--verdict", help="Only this verdict.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many, newest first.")] = 50,
    all_projects: Annotated[
        bool, typer.Option("--all", "-a", help="Runs of every project, and outside any.")
    ] = False,
    project: ProjectName = None,
    as_json: Json = False,
) -> None:
    """List runs, newest first (of the current project, if there is one)."""
    from sector_cli.services import open_services

    out = Output(as_json)
    runs = open_services({"project.default": project}).runs
    scope = None if all_projects else runs.project_id
    rows = [_run_row(run) for run in runs.history(scope, verdict, limit)]
    out.table(
        rows,
        [
            ("id", "#"),
            ("verdict", "Verdict"),
            ("exit_code", "Exit"),
            ("wall", "Wall s"),
            ("language", "Language"),
            ("runner", "Runner"),
            ("source", "Source"),
            ("created_at", "When"),
        ],
        empty="No runs yet. Try `sector run FILE`.",
    )


@runs_app.command("show")
def runs_show(
    run_id: Annotated[int, typer.Argument(help="Run number.", autocompletion=complete_run_id)],
    as_json: Json = False,
) -> None:
    """Show a run: code, files, input, limits, verdict and why, timings and output."""
    from sector_cli.services import open_services

    out = Output(as_json)
    runs = open_services().runs
    run = runs.get(run_id)
    job = runs.job(run)
    program = next(iter(job.files), None)
    record = _run_row(run) | {
        "command": job.run,
        "compile": job.compile,
        "limits": job.limits,
        "stdin": job.stdin.decode("utf-8", errors="replace"),
        "program": program or None,
        "code": job.files[program].decode("utf-8", errors="replace") if program else "",
        "files": [{"path": name, "size": len(data)} for name, data in job.files.items()],
        **output_json(runs.output(run_id, ("stdout",)), "stdout"),
        **output_json(runs.output(run_id, ("stderr", "compile")), "stderr"),
    }
    out.record(record if as_json else _for_people(record), title=f"Run #{run_id}")


def _for_people(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its numbers in units (`10 s wall, 256 MiB memory, ...`)."""
    from sector_cli.runs.describe import command_text, human_bytes, human_seconds, limits_text

    files = record["files"]
    listed = ", ".join(f"{f['path']} ({human_bytes(f['size'])})" for f in files[:20])
    more = f", … {len(files) - 20} more" if len(files) > 20 else ""
    shown = {key: value for key, value in record.items() if not key.endswith("_base64")}
    return shown | {
        "wall": human_seconds(record["wall"]),
        "cpu": human_seconds(record["cpu"]),
        "peak_memory": human_bytes(record["peak_memory"]),
        "command": command_text(record["command"]),
        "compile": command_text(record["compile"]),
        "limits": limits_text(record["limits"]),
        "files": f"{len(files)}: {listed}{more}" if files else "-",
    }


@runs_app.command("log")
def runs_log(
    run_id: Annotated[int, typer.Argument(help="Run number.", autocompletion=complete_run_id)],
    as_json: Json = False,
) -> None:
    """The recorded event stream of a run, with timestamps (NDJSON with --json)."""
    import json

    from sector_cli.services import open_services

    out = Output(as_json)
    for row in open_services().runs.events(run_id):
        data = row.data.decode("utf-8", errors="replace")
        if out.as_json:
            event = (
                {"data": json.loads(data)}
                if row.kind in {"started", "finished"}
                else (output_json(row.data))
            )
            out.json({"seq": row.seq, "t": row.t, "kind": row.kind, **event})
        else:
            print(f"{row.t:9.4f}s  {row.kind:<8} {data.rstrip()}")


@runs_app.command("rm")
def runs_rm(
    run_ids: Annotated[
        list[int], typer.Argument(help="Run numbers.", autocompletion=complete_run_id)
    ],
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Delete runs and their recorded output."""
    from sector_cli.services import open_services

    out = Output(as_json)
    runs = open_services().runs
    for run_id in run_ids:
        runs.get(run_id)  # every id is checked before anything is asked or deleted
    confirm_removal(f"Delete run(s) {', '.join(map(str, run_ids))} and their output?", yes)
    removed = [runs.remove(run_id).id for run_id in run_ids]
    out.done(
        f"Removed run{'s' if len(removed) > 1 else ''} {', '.join(map(str, removed))}",
        {"removed": removed},
    )


@runs_app.command("replay")
def runs_replay(
    run_id: Annotated[int, typer.Argument(help="Run number.", autocompletion=complete_run_id)],
    runner: Annotated[
        str | None, typer.Option("--runner", "-r", help="Another runner than the original's.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Run the same code with the same input and limits again; diff output and verdict."""
    import json

    from sector_cli.services import open_services
    from sector_cli.viz.trace import program_output

    Output(as_json)
    services = open_services()
    runs = services.runs
    execution = program_output(services, runs.replay_execution(run_id, runner))
    finished = _shown(execution, as_json)
    result = runs.compare(run_id, execution.run_id)
    summary = {
        "original": run_id,
        "replay": execution.run_id,
        "verdicts": [result.original.verdict, result.replay.verdict],
        "same_verdict": result.same_verdict,
        "same_output": result.same_output,
        "diff": result.diff,
    }
    if as_json:
        print(json.dumps(summary))
    else:
        sys.stderr.write(verdict_line(execution.run_id, execution.runner, finished) + "\n")
        same = "same verdict" if result.same_verdict else "verdict changed"
        print(f"{same}: {result.original.verdict} -> {result.replay.verdict}")
        print("\n".join(result.diff) if result.diff else "same output")
    raise typer.Exit(0 if result.same_verdict and result.same_output else 1)


@runner_app.command("ls")
def runner_ls(as_json: Json = False) -> None:
    """The runners, whether each works here, and (Docker) which language images are present."""
    from sector_cli.services import open_services

    out = Output(as_json)
    rows = [jsonable(report) for report in open_services().runs.runner_reports()]
    if not as_json:
        for row in rows:
            missing = [f"{lang}: docker pull {image}" for lang, image in row["missing"].items()]
            row["detail"] += f"; missing images: {', '.join(missing)}" if missing else ""
    out.table(
        rows,
        [("name", "Runner"), ("usable", "Usable"), ("detail", "Detail"), ("fix", "Fix")],
        empty="No runners registered.",
    )
