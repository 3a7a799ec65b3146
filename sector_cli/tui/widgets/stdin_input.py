"""The line the running program reads next: Enter sends it, Ctrl-D ends the input."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class StdinInput(Input):
    """An Input whose Ctrl-D is the end of the program's input, as in a terminal."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "submit",
            "Send line",
            show=False,
            tooltip="Send the line to the running program",
        ),
        Binding(
            "ctrl+d",
            "end_input",
            "End of input",
            tooltip="End the program's input (as Ctrl-D in a terminal)",
        ),
    ]

    class EndOfInput(Message):
        """The user ended the program's input."""

    def action_end_input(self) -> None:
        self.post_message(self.EndOfInput())
