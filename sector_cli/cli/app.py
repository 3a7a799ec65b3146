"""The root `sector` command: registers the command groups and catches errors at the edge."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Any, NoReturn

import typer
import typer.core
import typer.main
from typer._click.exceptions import UsageError as ClickUsageError  # typer vendors click
from typer.core import TyperGroup

from sector_cli import __version__
from sector_cli.cli.output import json_mode
from sector_cli.config import env
from sector_cli.errors import SectorError, UsageError, os_error


def report_error(error: SectorError) -> None:
    """One line on stderr (a JSON object in --json mode)."""
    import json

    if json_mode.get():
        print(json.dumps(error.to_wire()), file=sys.stderr)
    else:
        print(f"error: {error.one_line()}", file=sys.stderr)


def usage_error(error: ClickUsageError) -> UsageError:
    """A click usage error as Sector's one-line error: the message, then the help to read."""
    import re

    ctx = error.ctx
    message = error.format_message()
    missing = re.match(r"No such command '(.+)'", message)
    group = ctx.command if ctx is not None else None
    if missing and ctx and "did you mean" not in message.lower() and isinstance(group, TyperGroup):
        message = message.rstrip(".") + _did_you_mean(missing[1], group.list_commands(ctx))
    path = ctx.command_path if ctx is not None else "sector"
    return UsageError(message, f"Try '{path} --help'")


def _did_you_mean(name: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _wants_json(argv: list[str]) -> bool:
    """--json before any `--`: the flag was asked for even if parsing failed."""
    head = argv[: argv.index("--")] if "--" in argv else argv
    return "--json" in head


# Every command, by name, loaded when used: building all their parsers on each start costs
# about 30 ms, and `sector --help` needs only their one-line help.
COMMANDS: dict[str, str] = {
    "init": "sector_cli.cli.project:init",
    "project": "sector_cli.cli.project:app",
    "file": "sector_cli.cli.files:app",
    "run": "sector_cli.cli.run:run",
    "runs": "sector_cli.cli.run:runs_app",
    "runner": "sector_cli.cli.run:runner_app",
    "ask": "sector_cli.cli.ask:ask",
    "chat": "sector_cli.cli.ask:chat",
    "history": "sector_cli.cli.ask:history_app",
    "models": "sector_cli.cli.ask:models_app",
    "context": "sector_cli.cli.context:app",
    "mcp": "sector_cli.cli.mcp:mcp",
    "viz": "sector_cli.cli.viz:app",
    "export": "sector_cli.cli.export:export",
    "tui": "sector_cli.cli.tui:tui",
    "config": "sector_cli.cli.config:app",
    "doctor": "sector_cli.cli.doctor:doctor",
    "plugins": "sector_cli.cli.plugins:app",
    "db": "sector_cli.cli.db:app",
}


def _target(name: str) -> Any:
    module, attribute = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), attribute)


def _build(name: str) -> Any:
    """The real command: a Typer group, or a function made into a command."""
    target = _target(name)
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)  # a group even with one subcommand
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


def _summary(name: str) -> str:
    target = _target(name)
    text = target.info.help if isinstance(target, typer.Typer) else target.__doc__
    return (text or "").strip().split("\n\n")[0]


class SectorGroup(TyperGroup):
    """Loads commands when used, and turns a SectorError from any of them into a one-line
    message and its exit code."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        if self._listing:  # the help page needs a name and a line, not a parser
            return typer.core.TyperCommand(name=cmd_name, help=_summary(cmd_name))
        self.commands[cmd_name] = _build(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        self._argv = list(args)
        try:
            return super().parse_args(ctx, args)
        except ClickUsageError as error:
            self._usage(error)

    def _usage(self, error: ClickUsageError) -> NoReturn:
        argv = getattr(self, "_argv", [])
        json_mode.set(_wants_json(argv))
        report_error(usage_error(error))
        raise typer.Exit(error.exit_code)

    def invoke(self, ctx: Any) -> Any:
        json_mode.set(False)  # each command sets it again when asked for --json
        try:
            return super().invoke(ctx)
        except ClickUsageError as error:  # a bad option or command: one line, not a box
            self._usage(error)
        except SectorError as error:
            if env.is_true(os.environ.get(env.SECTOR_DEBUG)):
                raise
            report_error(error)
            raise typer.Exit(error.exit_code) from None
        except BrokenPipeError:  # `sector ... | head`: the reader left, as Unix tools go
            from sector_cli.cli.output import leave_quietly

            leave_quietly()
        except OSError as error:  # disk full, permissions: still one line, not a traceback
            if env.is_true(os.environ.get(env.SECTOR_DEBUG)):
                raise
            friendly = os_error(error)
            report_error(friendly)
            raise typer.Exit(friendly.exit_code) from None


app = typer.Typer(
    cls=SectorGroup,
    name="sector",
    help="Sector: a terminal-first learning and coding assistant.",
    epilog="Settings and every environment variable Sector reads: sector config --help",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        print(f"sector {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_print_version, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Sector: a terminal-first learning and coding assistant."""
