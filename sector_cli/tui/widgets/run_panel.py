"""The Run tab: run the open file as `sector run` does, stream its output, feed it input,
stop it, say its verdict; the file's run history, a run's recorded output, and replays.

The runs service does all of it; the workers here only carry its events to the screen, as
messages, so that the screen stays responsive while a program runs."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker

from sector_cli.errors import SectorError
from sector_cli.plugins.runner import Output, RunFinished
from sector_cli.runs.describe import recorded_verdict_line, verdict_line
from sector_cli.runs.live import LiveInput
from sector_cli.runs.prepare import RunRequest
from sector_cli.runs.service import Execution, Runs
from sector_cli.tui.widgets.file_tree import verdict_style
from sector_cli.tui.widgets.run_history import RunHistory
from sector_cli.tui.widgets.run_output import RunOutput
from sector_cli.tui.widgets.stdin_input import StdinInput

IDLE_HINT = "F5 runs the open file"


def problem_text(error: SectorError) -> str:
    """A service's refusal as one line, with its hint (the CLI's error line)."""
    return f"{error.message}. {error.hint}" if error.hint else error.message


class RunPanel(Vertical):
    """The verdict line, the output next to the history, and the program's input."""

    @dataclass
    class Started(Message):
        run_id: int
        runner: str
        left_out: list[str]

    @dataclass
    class Chunk(Message):
        stream: str
        data: bytes

    @dataclass
    class Ended(Message):
        run_id: int
        finished: RunFinished | None  # None: stopped before the runner said how it ended
        summary: list[str] | None = None  # a replay's comparison with its original

    @dataclass
    class Refused(Message):
        text: str

    def __init__(self, runs: Runs, root: Path, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs = runs
        self.root = root
        self.relative: str | None = None  # the open file
        self.worker: Worker[None] | None = None
        self.live: LiveInput | None = None
        self.run_id: int | None = None  # the run in progress, once it has a number

    def compose(self) -> ComposeResult:
        yield Static(Text(IDLE_HINT, style="dim"), id="verdict")
        with Horizontal(id="run-body"):
            yield RunOutput(id="output")
            yield RunHistory(id="history")
        yield StdinInput(
            placeholder="stdin: type a line, Enter sends it, Ctrl-D ends input", id="stdin"
        )

    # state

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    @property
    def output(self) -> RunOutput:
        return self.query_one(RunOutput)

    def _say(self, text: str | Text, style: str = "") -> None:
        line = text if isinstance(text, Text) else Text(text, style=style)
        self.query_one("#verdict", Static).update(line)

    def verdict_text(self) -> str:
        """The verdict line as shown (tests and the screenshot check it)."""
        return str(self.query_one("#verdict", Static).content)

    # the open file and its history

    def set_file(self, relative: str | None) -> None:
        self.relative = relative
        self.refresh_history()

    def refresh_history(self) -> None:
        found = self.runs.by_file(self.root).get(self.relative or "", [])
        self.query_one(RunHistory).show_runs(found[:200])

    # actions

    def start_run(self) -> bool:
        """Run the open file; False (and the panel says why) when it cannot start now."""
        if self.relative is None:
            self._say("No file open: choose one in the tree", "yellow")
            return False
        if self.running:
            self._say(f"run #{self.run_id} is still going: Ctrl-C stops it", "yellow")
            return False
        self.output.reset()
        self._say(f"starting {self.relative} …", "dim")
        self.live = LiveInput()
        self.worker = self._run(self.root / self.relative, self.live)
        return True

    def start_replay(self, run_id: int) -> bool:
        if self.running:
            self._say(f"run #{self.run_id} is still going: Ctrl-C stops it", "yellow")
            return False
        self.output.reset()
        self.output.note(f"── replay of run #{run_id} ──")
        self.live = None
        self.worker = self._replay(run_id)
        return True

    def stop(self) -> bool:
        """Stop the run in progress (it is kept, as Ctrl-C keeps it in `sector run`)."""
        if not self.running or self.worker is None:
            return False
        self.worker.cancel()
        return True

    def show_recorded(self, run_id: int) -> None:
        """A past run's recorded output and verdict line."""
        if self.running:
            self._say(f"run #{self.run_id} is still going: Ctrl-C stops it", "yellow")
            return
        try:
            run = self.runs.get(run_id)
            self.output.reset()
            for row in self.runs.events(run_id):
                if row.kind in {"stdout", "stderr", "compile"}:
                    self.output.append_bytes(row.kind, row.data)
        except SectorError as error:
            self._say(problem_text(error), "red")
            return
        self._verdict(recorded_verdict_line(run), run.verdict)

    def _verdict(self, line: str, verdict: str | None) -> None:
        self._say(Text(line, style=verdict_style(verdict)))

    # workers: the service's events, carried to the screen as messages

    @work(group="run", exclusive=True)
    async def _run(self, path: Path, live: LiveInput) -> None:
        try:
            request = RunRequest(file=path, cwd=self.root)
            prepared = await asyncio.to_thread(self.runs.prepare, request)
            execution = self.runs.launch(prepared, None, live.stream())
        except SectorError as error:
            self.post_message(self.Refused(problem_text(error)))
            return
        self.post_message(self.Started(execution.run_id, execution.runner, prepared.left_out))
        await self._stream(execution)

    @work(group="run", exclusive=True)
    async def _replay(self, original: int) -> None:
        try:
            execution = self.runs.replay_execution(original)
        except SectorError as error:
            self.post_message(self.Refused(problem_text(error)))
            return
        self.post_message(self.Started(execution.run_id, execution.runner, []))
        finished = await self._stream(execution, report=False)
        if finished is not None:
            summary = self.runs.compare(original, execution.run_id).summary()
            self.post_message(self.Ended(execution.run_id, finished, summary))

    async def _stream(self, execution: Execution, report: bool = True) -> RunFinished | None:
        """Carry the events; a stop (the worker cancelled) closes the stream, which records
        the run as interrupted, as Ctrl-C does in `sector run`."""
        finished: RunFinished | None = None
        try:
            async with contextlib.aclosing(execution.events) as events:
                async for event in events:
                    if isinstance(event, Output):
                        self.post_message(self.Chunk(event.stream, event.data))
                    elif isinstance(event, RunFinished):
                        finished = event
        except SectorError as error:
            self.post_message(self.Refused(problem_text(error)))
            return None
        except Exception as error:  # Sector's own fault: the run records it; say it here
            self.post_message(self.Refused(f"internal error: {type(error).__name__}: {error}"))
            return None
        finally:
            if report or finished is None:
                self.post_message(self.Ended(execution.run_id, finished))
        return finished

    # messages

    @on(Started)
    def _started(self, message: Started) -> None:
        self.run_id = message.run_id
        for line in message.left_out:
            self.output.note(f"warning: {line}")
        self._say(f"running · run #{message.run_id} ({message.runner}) · Ctrl-C stops it", "cyan")

    @on(Chunk)
    def _chunk(self, message: Chunk) -> None:
        self.output.append_bytes(message.stream, message.data)

    @on(Ended)
    def _ended(self, message: Ended) -> None:
        self.live = None
        try:
            run = self.runs.get(message.run_id)
        except SectorError:  # refused before it ran, so not kept: the refusal is shown
            return
        if message.finished is not None:
            line = verdict_line(message.run_id, run.runner, message.finished)
            verdict: str | None = message.finished.verdict.value
        else:
            line, verdict = recorded_verdict_line(run), run.verdict
        for summary in message.summary or []:
            self.output.note(summary)
        self._verdict(line, verdict)
        self.refresh_history()

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self._say(message.text, "red")
        self.live = None

    @on(StdinInput.Submitted)
    def _send_line(self, event: StdinInput.Submitted) -> None:
        event.stop()
        if self.live is None or self.live.closed:
            self._say("nothing is reading input: F5 runs the open file", "yellow")
            return
        self.live.feed((event.value + "\n").encode())
        self.output.append(event.value + "\n")  # the echo a terminal gives
        event.input.clear()

    @on(StdinInput.EndOfInput)
    def _end_input(self, event: StdinInput.EndOfInput) -> None:
        event.stop()
        if self.live is not None:
            self.live.close()
            self.output.note("(end of input)")

    @on(RunHistory.ShowWanted)
    def _show_wanted(self, message: RunHistory.ShowWanted) -> None:
        self.show_recorded(message.run_id)

    @on(RunHistory.ReplayWanted)
    def _replay_wanted(self, message: RunHistory.ReplayWanted) -> None:
        self.start_replay(message.run_id)
