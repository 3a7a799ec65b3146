"""The workspace: the project's files, the open file, and the bottom panel's tabs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from sector_cli.errors import SectorError
from sector_cli.tui.widgets.file_tree import FileEntry, FileTree
from sector_cli.tui.widgets.run_history import RunHistory
from sector_cli.tui.widgets.run_panel import RunPanel, problem_text
from sector_cli.tui.widgets.source_view import SourceView
from sector_cli.tui.widgets.stdin_input import StdinInput

if TYPE_CHECKING:
    from sector_cli.services import Services
    from sector_cli.store.models import Project

DISK_CHECK_S = 1.0  # how often the open file is compared with the disk


class WorkspaceScreen(Screen[None]):
    """Files on the left, the source on the right, the Run panel below."""

    # Classes the stylesheet fits small terminals with (60x20 still shows every part).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (70, "-wide")]  # noqa: RUF012 (typed by Textual)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "run_file", "Run", tooltip="Run the open file as `sector run` does"),
        Binding(
            "ctrl+r",
            "run_file",
            "Run",
            show=False,
            tooltip="Run the open file as `sector run` does",
        ),
        Binding(
            "ctrl+c",
            "stop_run",
            "Stop",
            priority=True,
            tooltip="Stop the run (it is kept, as interrupted)",
        ),
        Binding(
            "f6",
            "stop_run",
            "Stop",
            show=False,
            tooltip="Stop the run (it is kept, as interrupted)",
        ),
        Binding("f2", "focus_tree", "Files", tooltip="Go to the file tree"),
        Binding("f3", "focus_source", "Source", show=False, tooltip="Go to the source view"),
        Binding("f4", "focus_stdin", "Input", tooltip="Go to the program's input line"),
        Binding("f7", "focus_history", "History", show=False, tooltip="Go to the open file's runs"),
        Binding(
            "f9",
            "sync_files",
            "Sync files",
            show=False,
            tooltip="Update the tracked files from the disk (`sector file sync`)",
        ),
    ]

    def __init__(
        self,
        services: Services,
        project: Project,
        open_path: Path | None = None,
        run_at_start: bool = False,
    ) -> None:
        super().__init__()
        self.run_at_start = run_at_start
        self.services = services
        self.project = project
        self.root = Path(project.root)
        self.open_path = open_path

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield FileTree(self.project.name, id="files")
            yield SourceView(id="source")
        with TabbedContent(id="panel"), TabPane("Run", id="run-tab"):
            yield RunPanel(self.services.runs, self.root, id="run")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.project.name} · {self.root}"
        self.refresh_files()
        self.set_interval(DISK_CHECK_S, self.check_disk)
        tree = self.query_one(FileTree)
        tree.focus()
        if self.open_path is not None and self.open_file(self.open_path) and self.run_at_start:
            self.action_run_file()

    # the files and the open file

    def file_entries(self) -> list[FileEntry]:
        """The tracked files with their languages and last verdicts (workspace and runs)."""
        runs = self.services.runs.by_file(self.root)
        entries = []
        for row in self.services.files(self.project).tracked():
            last = runs.get(row.path)
            verdict = (last[0].verdict or "running") if last else None
            missing = not (self.root / row.path).is_file()
            entries.append(FileEntry(row.path, row.language, verdict, missing))
        return entries

    def refresh_files(self) -> None:
        try:
            entries = self.file_entries()
        except SectorError as error:
            self.notify(problem_text(error), severity="error", timeout=10)
            entries = []
        self.query_one(FileTree).show_files(entries)

    def open_file(self, path: Path | str) -> bool:
        """Open a tracked file by its path (relative to the project root, or absolute)."""
        absolute = Path(path) if Path(path).is_absolute() else self.root / path
        try:
            relative = absolute.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            self.notify(f"{path} is not in project {self.project.name}", severity="error")
            return False
        entry = next((e for e in self.query_one(FileTree).entries() if e.path == relative), None)
        if entry is None:
            self.notify(
                f"{relative} is not tracked: `sector file add {relative}` tracks it",
                severity="warning",
            )
            return False
        self.query_one(FileTree).select_path(relative)
        self._show(entry)
        return True

    def _show(self, entry: FileEntry) -> None:
        source = self.query_one(SourceView)
        if not source.show_file(self.root / entry.path, entry.path, entry.language):
            self.notify(f"{entry.path} cannot be read (missing on disk?)", severity="warning")
        self.query_one(RunPanel).set_file(entry.path)

    def check_disk(self) -> None:
        change = self.query_one(SourceView).check_disk()
        if change is not None:
            deleted = "deleted" in change
            self.notify(change, severity="warning" if deleted else "information", timeout=6)
            self.refresh_files()

    @on(FileTree.FileChosen)
    def _chosen(self, message: FileTree.FileChosen) -> None:
        self._show(message.entry)

    @on(RunPanel.Ended)
    def _run_ended(self, message: RunPanel.Ended) -> None:
        self.refresh_files()

    # actions

    def action_run_file(self) -> None:
        self.query_one(TabbedContent).active = "run-tab"
        if self.query_one(RunPanel).start_run():
            self.query_one(StdinInput).focus()

    def action_stop_run(self) -> None:
        if not self.query_one(RunPanel).stop():
            self.notify("Nothing is running. Ctrl+Q quits.", timeout=3)

    def action_focus_tree(self) -> None:
        self.query_one(FileTree).focus()

    def action_focus_source(self) -> None:
        self.query_one(SourceView).text_area.focus()

    def action_focus_stdin(self) -> None:
        self.query_one(StdinInput).focus()

    def action_focus_history(self) -> None:
        self.query_one(RunHistory).focus()

    def action_sync_files(self) -> None:
        """Bring the tracked files up to date with the disk (`sector file sync`)."""
        try:
            report = self.services.files(self.project).sync()
        except SectorError as error:
            self.notify(problem_text(error), severity="error")
            return
        counts = ", ".join(f"{n} {what}" for what, n in report.counts().items() if n)
        self.notify(f"Synced: {counts or 'nothing changed'}")
        self.refresh_files()

    def action_replay_selected(self) -> None:
        run_id = self.query_one(RunHistory).selected_run()
        if run_id is None:
            self.notify("No run of this file yet: F5 runs it", severity="warning")
            return
        self.query_one(RunPanel).start_replay(run_id)

    def commands(self) -> Iterator[SystemCommand]:
        """The palette's entries for this screen."""
        yield SystemCommand("Run file", "Run the open file (F5)", self.action_run_file)
        yield SystemCommand("Stop run", "Stop the run in progress (Ctrl+C)", self.action_stop_run)
        yield SystemCommand(
            "Replay run", "Replay the run selected in the history", self.action_replay_selected
        )
        yield SystemCommand(
            "Sync files", "Update the tracked files from the disk (F9)", self.action_sync_files
        )
        yield SystemCommand("Focus files", "Move to the file tree (F2)", self.action_focus_tree)
        yield SystemCommand(
            "Focus source", "Move to the source view (F3)", self.action_focus_source
        )
        yield SystemCommand("Focus input", "Type the program's input (F4)", self.action_focus_stdin)
        yield SystemCommand(
            "Focus history", "Move to the file's runs (F7)", self.action_focus_history
        )
