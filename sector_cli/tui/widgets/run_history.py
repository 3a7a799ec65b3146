"""The runs of the open file, newest first: Enter shows one's output, `r` replays it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from sector_cli.runs.describe import human_seconds
from sector_cli.store.models import Run
from sector_cli.tui.widgets.file_tree import verdict_style


class RunHistory(DataTable[str | Text]):
    """One row a run: number, verdict, exit code, wall time, when."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "show_run",
            "Show run",
            tooltip="Show the selected run's recorded output and verdict (or click it)",
        ),
        Binding(
            "r",
            "replay_run",
            "Replay run",
            tooltip="Replay the selected run: same code, input and limits; compare",
        ),
    ]

    @dataclass
    class ShowWanted(Message):
        run_id: int

    @dataclass
    class ReplayWanted(Message):
        run_id: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.add_columns("#", "Verdict", "Exit", "Wall", "When")

    def show_runs(self, runs: list[Run]) -> None:
        self.clear()
        for run in runs:
            verdict = run.verdict or "running"
            when = run.created_at.strftime("%m-%d %H:%M:%S")
            self.add_row(
                str(run.id),
                Text(verdict, style=verdict_style(verdict)),
                "-" if run.exit_code is None else str(run.exit_code),
                human_seconds(run.wall),
                when,
                key=str(run.id),
            )

    def selected_run(self) -> int | None:
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        return int(key) if key is not None else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """A click on the selected row (Enter is `show_run`): show that run."""
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.ShowWanted(int(event.row_key.value)))

    def action_show_run(self) -> None:
        if (run_id := self.selected_run()) is not None:
            self.post_message(self.ShowWanted(run_id))

    def action_replay_run(self) -> None:
        if (run_id := self.selected_run()) is not None:
            self.post_message(self.ReplayWanted(run_id))
