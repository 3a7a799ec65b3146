"""Rendering results: rich tables for people, JSON (NDJSON for streams) for scripts.

The command's result goes to stdout; warnings, progress and errors go to stderr. Rich is
imported only when something is drawn for a person, so `--json` and `--help` stay light.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from sector_cli.timeutil import as_utc
from sector_cli.wire import jsonable

if TYPE_CHECKING:
    from rich.console import Console

json_mode: ContextVar[bool] = ContextVar("json_mode", default=False)

WORD_WIDTH = 20  # a table keeps words up to this long whole; longer ones end in "…"

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout left (`sector ... | head`)


class ReaderLeft(Exception):
    """stdout was closed by its reader while a stream was being shown."""


def leave_quietly() -> NoReturn:
    """Stop as Unix tools do when their reader leaves: no message, exit 141."""
    import os

    import typer

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit flush
    raise typer.Exit(EXIT_BROKEN_PIPE)


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=not stderr)


def warn(message: str, label: str = "warning") -> None:
    """One line on stderr; in --json mode, a JSON object so that scripts can parse it."""
    import json

    from rich.markup import escape

    if json_mode.get():
        print(json.dumps({label: message}), file=sys.stderr)
    else:
        console(stderr=True).print(f"[yellow]{label}:[/] {escape(message)}", markup=True)


class Output:
    """What a command prints, in the mode it was asked for."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        json_mode.set(as_json)

    def json(self, value: Any) -> None:
        import json

        sys.stdout.write(json.dumps(jsonable(value), ensure_ascii=False) + "\n")

    def table(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Iterable[tuple[str, str]],
        empty: str,
        title: str | None = None,
    ) -> None:
        """A table for people (`columns` pairs keys with headings); a JSON array for scripts."""
        if self.as_json:
            self.json(list(rows))
            return
        if not rows:
            console(stderr=True).print(empty)
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, title_justify="left", box=None, header_style="bold")
        pairs = list(columns)
        cells = [[_cell(row.get(key)) for key, _ in pairs] for row in rows]
        screen = console()
        widths = _word_widths([heading for _, heading in pairs], cells, screen.width)
        for (_, heading), width in zip(pairs, widths, strict=True):
            # wrap at spaces, keep words whole where they fit, and end a word too long for
            # its column with "…" as gh does: "fold" cut "compile-error" in two at 80 columns
            table.add_column(heading, overflow="ellipsis", width=width)
        for line in cells:
            table.add_row(*(Text(cell) for cell in line))
        screen.print(table)

    def record(self, data: Mapping[str, Any], title: str | None = None) -> None:
        """One object: `key  value` lines for people, a JSON object for scripts."""
        if self.as_json:
            self.json(data)
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, title_justify="left", box=None, show_header=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, value in data.items():
            table.add_row(key, Text(_cell(value)))
        console().print(table)

    def done(self, message: str, data: Any) -> None:
        """A confirmation for people, the changed object for scripts."""
        if self.as_json:
            self.json(data)
        else:
            console().print(message, markup=False)


def _word_widths(headings: list[str], cells: list[list[str]], width: int) -> list[int]:
    """Each column's width: its longest line, narrowed (widest first) while the table does not
    fit the screen; a column shrinks below its longest word (up to WORD_WIDTH) only when no
    other column can give room. Rich's own fitting cut words in two."""
    columns = [[h, *(line[i] for line in cells)] for i, h in enumerate(headings)]
    widths = [max(len(text) for text in column) for column in columns]
    words = [
        min(WORD_WIDTH, max(len(word) for text in column for word in [*text.split(), ""]))
        for column in columns
    ]
    room = width - 2 * len(headings)  # one space of padding each side of every column
    while sum(widths) > room and max(widths) > 1:
        spare = [w - floor if w > floor else 0 for w, floor in zip(widths, words, strict=True)]
        pick = spare.index(max(spare)) if max(spare) > 0 else widths.index(max(widths))
        widths[pick] -= 1
    return widths


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return as_utc(value).astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    return str(value)
