"""A folder that is not a Sector project: say so, and offer `sector init` here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Static


class NoProjectScreen(Screen[None]):
    """The reason there is no project, and a button that makes `folder` one."""

    @dataclass
    class InitWanted(Message):
        folder: Path

    def __init__(self, folder: Path, reason: str, hint: str) -> None:
        super().__init__()
        self.folder = folder
        self.reason = reason
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="no-project"):
            yield Static(Text(f"{self.folder} is not a Sector project", style="bold"))
            yield Static(Text(f"{self.reason}. {self.hint}.", style="dim"), id="reason")
            yield Static(
                "Make it one here (as `sector init` does), then track files with "
                "`sector file add PATH`."
            )
            with Center():
                yield Button("Initialise this folder (sector init)", id="init", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#init", Button).focus()

    @on(Button.Pressed, "#init")
    def _init(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.InitWanted(self.folder))
