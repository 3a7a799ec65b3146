"""The runs service: the only thing front ends call to run, list, show, replay runs."""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import json
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from sector_cli.config import keys
from sector_cli.config.settings import Settings
from sector_cli.errors import (
    EXIT_INTERRUPTED,
    NotFoundError,
    PluginError,
    SectorError,
    UsageError,
)
from sector_cli.plugins.detect import LanguageIndex
from sector_cli.plugins.registry import Registry
from sector_cli.plugins.runner import (
    Output,
    RunEvent,
    RunFinished,
    RunJob,
    Runner,
    RunStarted,
    Verdict,
)
from sector_cli.runs.prepare import SNIPPET, Prepared, RunRequest, image_for, prepare
from sector_cli.runs.records import run_details_wire
from sector_cli.store import blobs
from sector_cli.store.engine import Store
from sector_cli.store.models import Project, Run, RunEventRow
from sector_cli.timeutil import as_utc, utcnow

MAX_INPUT_BYTES = 16 * 1024 * 1024  # what a run is fed and what is recorded of it
LOST_AFTER_S = 60  # past its limits by this much, a run without a verdict has lost its Sector

# Exit codes of a run: the program's own for a finished program, fixed ones otherwise.
EXIT_FOR_VERDICT = {
    Verdict.TIME_LIMIT: 124,
    Verdict.MEMORY_LIMIT: 125,
    Verdict.OUTPUT_LIMIT: 126,
    Verdict.COMPILE_ERROR: 65,
    Verdict.INTERNAL_ERROR: 70,
    Verdict.INTERRUPTED: EXIT_INTERRUPTED,
}


def exit_code_for(finished: RunFinished) -> int:
    """The exit code a front end ends with for a run that ended so (`sector run`, CI)."""
    if finished.verdict in EXIT_FOR_VERDICT:
        return EXIT_FOR_VERDICT[finished.verdict]
    if finished.verdict == Verdict.SIGNALED:
        return 128 + (finished.signal or 9)
    return finished.exit_code or 0


@dataclass
class Execution:
    """A run in progress: its id is known before the first event."""

    run_id: int
    runner: str
    events: AsyncGenerator[RunEvent, None]

    def wire(self, event: RunEvent) -> dict[str, Any]:
        """An event of this run on the wire: its own form, with the run's number."""
        return {**event.to_wire(), "run": self.run_id}


@dataclass(frozen=True)
class RunnerReport:
    """What `sector runner ls` shows: whether a runner works here, and for container runners
    the image each language would use and which of them are missing."""

    name: str
    usable: bool
    detail: str
    fix: str
    isolation: str
    images: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Replay:
    original: Run
    replay: Run
    same_verdict: bool
    same_output: bool
    diff: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when the replay did as the original did, else 1 (a check in a script)."""
        return 0 if self.same_verdict and self.same_output else 1

    def summary(self) -> list[str]:
        """What every front end says of a replay: the verdicts, then the output's diff."""
        same = "same verdict" if self.same_verdict else "verdict changed"
        return [
            f"{same}: {self.original.verdict} -> {self.replay.verdict}",
            *(self.diff or ["same output"]),
        ]

    def to_wire(self) -> dict[str, Any]:
        return {
            "original": self.original.id,
            "replay": self.replay.id,
            "verdicts": [self.original.verdict, self.replay.verdict],
            "same_verdict": self.same_verdict,
            "same_output": self.same_output,
            "diff": self.diff,
        }


class _Journal:
    """A run's events as rows, output coalesced: a program writing a byte at a time must not
    cost a row a byte."""

    ROW_BYTES = 64 * 1024
    FLUSH_ROWS = 64

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.rows: list[RunEventRow] = []
        self.seq = 0

    def add(self, event: RunEvent) -> None:
        if isinstance(event, Output):
            last = self.rows[-1] if self.rows else None
            if last is not None and last.kind == event.stream and len(last.data) < self.ROW_BYTES:
                last.data += event.data
                return
            kind, data = event.stream, event.data
        else:
            kind, data = event.wire_name, json.dumps(asdict(event)).encode()
        self.seq += 1
        self.rows.append(
            RunEventRow(run_id=self.run_id, seq=self.seq, t=event.t, kind=kind, data=data)
        )

    def full(self) -> bool:
        return len(self.rows) >= self.FLUSH_ROWS

    def take(self) -> list[RunEventRow]:
        rows, self.rows = self.rows, []
        return rows


class Runs:
    """Runs programs through runner plugins and keeps their history."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        registry: Registry,
        languages: LanguageIndex,
        project_id: int | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.registry = registry
        self.languages = languages
        self.project_id = project_id

    def runner(self, name: str | None = None) -> Runner:
        """The runner asked for, or the configured one; `auto` prefers Docker."""
        wanted = name or self.settings.get(keys.RUNS_RUNNER)
        if wanted != "auto":  # no probe: the run itself says, with the fix, what is missing
            return self.registry.get(Runner, wanted).plugin_class()
        problems = []
        for candidate in ("docker", "local"):
            plugin = self.registry.get(Runner, candidate).plugin_class()
            availability = plugin.availability()
            if availability.ok:
                return plugin
            problems.append((candidate, availability))
        raise PluginError(
            "no runner can work here: " + "; ".join(f"{n}: {a.detail}" for n, a in problems),
            f"Fix one: {problems[-1][1].fix} (see `sector runner ls`)",
        )

    def runner_reports(self) -> list[RunnerReport]:
        reports = []
        for info in self.registry.of_kind(Runner):
            plugin = info.plugin_class()
            availability = plugin.availability()
            images: dict[str, str] = {}
            missing: dict[str, str] = {}
            present = plugin.describe().get("images") if availability.ok else None
            if isinstance(present, list):  # a container runner: which images are there
                for language in self.languages.languages.values():
                    image = image_for(self.settings, language)
                    images[language.name] = image
                    if (image if ":" in image else f"{image}:latest") not in present:
                        missing[language.name] = image
            reports.append(
                RunnerReport(
                    info.name,
                    availability.ok,
                    availability.detail,
                    availability.fix,
                    plugin.isolation,
                    images,
                    missing,
                )
            )
        return reports

    def prepare(self, request: RunRequest) -> Prepared:
        """The job for a request: the program with its project's (or folder's) files."""
        return prepare(request, self.settings, self.languages, self._project_root())

    def _project_root(self) -> Path | None:
        if self.project_id is None:
            return None
        with self.store.session() as session:
            project = session.get(Project, self.project_id)
        return Path(project.root) if project is not None else None

    def job(self, run: Run) -> RunJob:
        """A recorded run's job, with its files (kept apart, once per distinct content)."""
        job = RunJob.from_json(run.job)
        if job.files or run.id is None:  # recorded inline by an older Sector
            return job
        with self.store.session() as session:
            return replace(job, files=blobs.load_files(session, run.id))

    def start(
        self,
        source: str,
        job: RunJob,
        runner: Runner,
        stdin: AsyncIterator[bytes] | None = None,
        replay_of: int | None = None,
        trace: bool = False,
    ) -> Execution:
        """Record a new run and return its event stream (it runs as it is iterated).

        A run the runner refuses before the program ran (no such toolchain or image, a
        limit the sandbox cannot give) is not kept: the stream raises, and the record goes.
        With `trace`, a Python program runs under the tracer: the trace is kept as the run's
        stdout (`sector viz trace`), and the events show the program's own output."""
        if trace:
            from sector_cli.viz.trace import max_steps, traced_job

            job = traced_job(job, max_steps(self.settings))
        execution = self._record(source, job, runner, stdin, replay_of)
        return self._program_output(execution) if trace else execution

    def launch(
        self,
        prepared: Prepared,
        runner_name: str | None = None,
        stdin: AsyncIterator[bytes] | None = None,
        trace: bool = False,
    ) -> Execution:
        """Start a prepared request on the runner named, or the configured one."""
        return self.start(
            prepared.source, prepared.job, self.runner(runner_name), stdin, trace=trace
        )

    def _program_output(self, execution: Execution) -> Execution:
        """A traced run's events as a run's: the program's output decoded from the trace."""
        from sector_cli.viz.trace import program_events

        return replace(execution, events=program_events(execution.events, execution.run_id))

    def _record(
        self,
        source: str,
        job: RunJob,
        runner: Runner,
        stdin: AsyncIterator[bytes] | None,
        replay_of: int | None,
    ) -> Execution:
        with self.store.session() as session:
            run = Run(
                project_id=self.project_id,
                source=source,
                language=job.language,
                runner=runner.name,
                job=_without_files(job),
                replay_of=replay_of,
            )
            session.add(run)
            session.flush()
            run_id = run.id
            assert run_id is not None
            blobs.save_files(session, run_id, job.files)
        return Execution(run_id, runner.name, self._drive(run_id, job, runner, stdin))

    async def _drive(
        self, run_id: int, job: RunJob, runner: Runner, stdin: AsyncIterator[bytes] | None
    ) -> AsyncGenerator[RunEvent, None]:
        journal = _Journal(run_id)
        finished: RunFinished | None = None
        recorded = _Recorder()
        began = time.monotonic()
        ran = False  # whether the program is known to have run (see _program_ran)
        refused = False
        try:
            live = recorded.tap(stdin) if stdin is not None else None
            async with contextlib.aclosing(runner.run(job, live)) as events:
                async for event in events:
                    if isinstance(event, RunStarted):
                        began = time.monotonic()  # the runner's clock starts here
                    ran = ran or _program_ran(event)
                    journal.add(event)
                    if isinstance(event, RunFinished):
                        finished = event
                    if journal.full():
                        await asyncio.to_thread(self._write, journal.take())
                    yield event
        except SectorError as error:
            if not ran:  # refused before anything ran: nothing happened, so nothing is kept
                refused = True
                await asyncio.to_thread(self._forget, run_id)
                raise
            finished = _ended(Verdict.INTERNAL_ERROR, began, error.message)
            journal.add(finished)
            raise
        except Exception as error:  # a fault of Sector's own: record it, then let it show
            finished = _ended(Verdict.INTERNAL_ERROR, began, f"{type(error).__name__}: {error}")
            journal.add(finished)
            raise
        finally:
            if not refused:
                if finished is None:  # stopped from outside: Ctrl-C, SIGTERM, a reader left
                    finished = _ended(
                        Verdict.INTERRUPTED, began, "interrupted before the program finished"
                    )
                    journal.add(finished)
                self._write(journal.take())
                live_input = recorded.input() if stdin is not None else None
                self._finish(run_id, finished, live_input, job)

    def _forget(self, run_id: int) -> None:
        with self.store.session() as session:
            run = session.get(Run, run_id)
            if run is not None:
                session.delete(run)
                session.flush()
                blobs.remove_unused(session)

    def _write(self, rows: list[RunEventRow]) -> None:
        """Append events; a run removed meanwhile (`sector runs rm`) is no longer recorded."""
        if not rows:
            return
        with self.store.session() as session:
            if session.get(Run, rows[0].run_id) is not None:
                session.add_all(rows)

    def _finish(
        self, run_id: int, finished: RunFinished, live_input: bytes | None, job: RunJob
    ) -> None:
        with self.store.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                return
            run.verdict = finished.verdict.value
            run.exit_code = finished.exit_code
            run.wall, run.cpu, run.peak_memory = finished.wall, finished.cpu, finished.peak_memory
            run.detail = finished.detail or None
            run.finished_at = utcnow()
            if live_input is not None:  # what was typed, so that a replay feeds the same
                run.job = _without_files(replace(job, stdin=live_input))

    # history

    def get(self, run_id: int) -> Run:
        with self.store.session() as session:
            run = session.get(Run, run_id)
        if run is None:
            raise NotFoundError(f"no run #{run_id}", "Run `sector runs ls` to see the runs")
        return run

    def _settle_lost_runs(self) -> None:
        """Runs without a verdict long past their limits lost their Sector (it was killed):
        record that, so they do not stay "running" for ever."""
        now = utcnow()
        with self.store.session() as session:
            for run in session.exec(select(Run).where(col(Run.verdict).is_(None))):
                job = RunJob.from_json(run.job)
                budget = job.limits.wall_seconds + job.compile_limits.wall_seconds + LOST_AFTER_S
                if (now - as_utc(run.created_at)).total_seconds() > budget:
                    run.verdict = Verdict.INTERNAL_ERROR.value
                    run.finished_at = now

    def history(
        self, project_id: int | None = None, verdict: str | None = None, limit: int = 50
    ) -> list[Run]:
        self._settle_lost_runs()
        known = [v.value for v in Verdict] + ["running"]  # running: no verdict yet
        if verdict and verdict not in known:
            raise UsageError(f"unknown verdict {verdict!r}", f"Use one of: {', '.join(known)}")
        query = select(Run).order_by(col(Run.id).desc()).limit(limit)
        if project_id is not None:
            query = query.where(Run.project_id == project_id)
        if verdict == "running":
            query = query.where(col(Run.verdict).is_(None))
        elif verdict:
            query = query.where(Run.verdict == verdict)
        with self.store.session() as session:
            return list(session.exec(query).all())

    def by_file(self, root: Path, limit: int = 1000) -> dict[str, list[Run]]:
        """This project's recent runs of files, newest first, by path relative to `root`
        (a run's source is its path as given: absolute, or taken as relative to `root`)."""
        found: dict[str, list[Run]] = {}
        for run in self.history(self.project_id, limit=limit):
            relative = _relative_source(run.source, root)
            if relative is not None:
                found.setdefault(relative, []).append(run)
        return found

    def events(self, run_id: int) -> list[RunEventRow]:
        self.get(run_id)
        with self.store.session() as session:
            return _events(session, run_id)

    def output(self, run_id: int, streams: tuple[str, ...] = ("stdout", "stderr")) -> bytes:
        return b"".join(row.data for row in self.events(run_id) if row.kind in streams)

    def details(self, run_id: int) -> dict[str, Any]:
        """A run's full record on the wire: `sector runs show`."""
        run = self.get(run_id)
        stdout, stderr = (
            self.output(run_id, ("stdout",)),
            self.output(run_id, ("stderr", "compile")),
        )
        return run_details_wire(run, self.job(run), stdout, stderr)

    def remove(self, run_id: int) -> Run:
        run = self.get(run_id)
        self._forget(run_id)
        return run

    def replay_execution(self, run_id: int, runner_name: str | None = None) -> Execution:
        """Start the same code, input and limits again, on the same runner unless told; the
        replay of a traced run is traced too, and shows the program's output as it did."""
        from sector_cli.viz.trace import is_traced

        original = self.get(run_id)
        job = self.job(original)
        runner = self.runner(runner_name or original.runner)
        execution = self._record(original.source, job, runner, None, run_id)
        return self._program_output(execution) if is_traced(job) else execution

    def compare(self, original_id: int, replay_id: int) -> Replay:
        original, replay = self.get(original_id), self.get(replay_id)
        before = self.output(original_id, ("stdout",)).decode("utf-8", errors="replace")
        after = self.output(replay_id, ("stdout",)).decode("utf-8", errors="replace")
        diff = list(
            difflib.unified_diff(
                before.splitlines(),
                after.splitlines(),
                f"run #{original_id}",
                f"run #{replay_id}",
                lineterm="",
            )
        )
        return Replay(original, replay, original.verdict == replay.verdict, before == after, diff)


def _program_ran(event: RunEvent) -> bool:
    """Whether an event shows that the program itself ran: it wrote to stdout, or it ended.
    Before that, a sandbox that fails refused the job (a toolchain missing from an image
    shows as the container's own complaint on stderr, then the runner's PluginError)."""
    if isinstance(event, Output):
        return event.stream == "stdout"
    return isinstance(event, RunFinished)


def _relative_source(source: str, root: Path) -> str | None:
    """A run's source as a path relative to `root`, if it is a file under it."""
    if source == SNIPPET:
        return None
    path = Path(source)
    absolute = path if path.is_absolute() else root / path
    try:
        return Path(os.path.normpath(absolute)).relative_to(root).as_posix()
    except ValueError:
        return None


def _without_files(job: RunJob) -> bytes:
    """The job as a run row keeps it: its files are in the blob store."""
    return replace(job, files={}).to_json()


def _ended(verdict: Verdict, began: float, detail: str) -> RunFinished:
    """The end of a run that the runner did not get to report: its wall time so far."""
    wall = time.monotonic() - began
    return RunFinished(verdict, None, wall, None, None, wall, detail)


def _events(session: Session, run_id: int) -> list[RunEventRow]:
    query = select(RunEventRow).where(RunEventRow.run_id == run_id).order_by(col(RunEventRow.seq))
    return list(session.exec(query).all())


class _Recorder:
    """Keeps the live input that reached the program (for replay), up to MAX_INPUT_BYTES."""

    def __init__(self) -> None:
        self._live = bytearray()

    async def tap(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in stream:
            room = MAX_INPUT_BYTES - len(self._live)
            if room <= 0:
                return  # the program's input ends here
            self._live += chunk[:room]
            yield chunk[:room]

    def input(self) -> bytes:
        return bytes(self._live)
