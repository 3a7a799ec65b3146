"""The root `sector` command: registers the command groups and catches errors at the edge."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from sector_cli import __version__
from sector_cli.cli import ask, config, db, doctor, files, plugins, project, run
from sector_cli.cli.output import json_mode
from sector_cli.config import env
from sector_cli.errors import EXIT_FAILURE, SectorError


def report_error(error: SectorError) -> None:
    """One line on stderr (a JSON object in --json mode)."""
    if json_mode.get():
        payload = {"error": error.message, "hint": error.hint, "exit_code": error.exit_code}
        print(json.dumps(payload), file=sys.stderr)
    else:
        print(f"error: {error.one_line()}", file=sys.stderr)


class SectorGroup(TyperGroup):
    """Turns a SectorError from any command into a one-line message and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        json_mode.set(False)  # each command sets it again when asked for --json
        try:
            return super().invoke(ctx)
        except SectorError as error:
            if env.is_true(os.environ.get(env.SECTOR_DEBUG)):
                raise
            report_error(error)
            raise typer.Exit(error.exit_code) from None
        except OSError as error:  # disk full, permissions: still one line, not a traceback
            if env.is_true(os.environ.get(env.SECTOR_DEBUG)):
                raise
            report_error(SectorError(str(error), "Run again with SECTOR_DEBUG=1 for details"))
            raise typer.Exit(EXIT_FAILURE) from None


ENVIRONMENT_HELP = "\n\n".join(
    ["Environment variables:"] + [f"{name}: {text}" for name, text in env.DESCRIPTIONS.items()]
)

app = typer.Typer(
    cls=SectorGroup,
    name="sector",
    help="Sector: a terminal-first learning and coding assistant.",
    epilog=ENVIRONMENT_HELP,
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


app.command("init")(project.init)
app.command("run")(run.run)
app.add_typer(run.runs_app, name="runs")
app.add_typer(run.runner_app, name="runner")
app.command("ask")(ask.ask)
app.command("chat")(ask.chat)
app.add_typer(ask.history_app, name="history")
app.add_typer(ask.models_app, name="models")
app.add_typer(project.app, name="project")
app.add_typer(files.app, name="file")
app.add_typer(config.app, name="config")
app.command("doctor")(doctor.doctor)
app.add_typer(plugins.app, name="plugins")
app.add_typer(db.app, name="db")
