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
from sector_cli.cli.output import Output, ReaderLeft, leave_quietly, warn
from sector_cli.errors import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sector_cli.plugins.runner import RunEvent, RunFinished
    from sector_cli.runs.service import Execution

runs_app = typer.Typer(help="Run history: list, inspect, replay, remove.", no_args_is_help=True)
runner_app = typer.Typer(help="Sandboxes that run code.", no_args_is_help=True)


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

    from sector_cli.runs.live import LiveInput

    loop = asyncio.get_running_loop()
    live = LiveInput()

    def reader() -> None:  # a thread: blocking reads of a terminal cannot be awaited portably
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            live.feed_threadsafe(loop, chunk)
            if not chunk:
                return

    threading.Thread(target=reader, daemon=True).start()
    async for chunk in live.stream():
        yield chunk


def _show(execution: Execution, event: RunEvent, as_json: bool) -> None:
    import json

    from sector_cli.plugins.runner import Output as RunOutput

    if as_json:
        sys.stdout.write(json.dumps(execution.wire(event)) + "\n")
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
    from sector_cli.runs.describe import verdict_line
    from sector_cli.runs.service import exit_code_for

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
    live = None if isinstance(fed, bytes) else fed
    _drive(runs.launch(prepared, runner, live, trace=trace), as_json)


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
    from sector_cli.runs.records import run_wire
    from sector_cli.services import open_services

    out = Output(as_json)
    runs = open_services({"project.default": project}).runs
    scope = None if all_projects else runs.project_id
    rows = [run_wire(run) for run in runs.history(scope, verdict, limit)]
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
    record = open_services().runs.details(run_id)
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
    from sector_cli.runs.records import logged_wire
    from sector_cli.services import open_services

    out = Output(as_json)
    for row in open_services().runs.events(run_id):
        if out.as_json:
            out.json(logged_wire(row))
        else:
            data = row.data.decode("utf-8", errors="replace")
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

    from sector_cli.runs.describe import verdict_line
    from sector_cli.services import open_services

    Output(as_json)
    runs = open_services().runs
    execution = runs.replay_execution(run_id, runner)
    finished = _shown(execution, as_json)
    result = runs.compare(run_id, execution.run_id)
    if as_json:
        print(json.dumps(result.to_wire()))
    else:
        sys.stderr.write(verdict_line(execution.run_id, execution.runner, finished) + "\n")
        print("\n".join(result.summary()))
    raise typer.Exit(result.exit_code)


@runner_app.command("ls")
def runner_ls(as_json: Json = False) -> None:
    """The runners, whether each works here, and (Docker) which language images are present."""
    from sector_cli.services import open_services
    from sector_cli.wire import jsonable

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
