"""`sector doctor`: what this machine offers Sector."""

from __future__ import annotations

import typer

from sector_cli.cli.options import Json
from sector_cli.cli.output import Output
from sector_cli.errors import EXIT_FAILURE


def doctor(as_json: Json = False) -> None:
    """Check the database, Docker, the local sandbox, models, Ollama, plugins and paths.

    Exits 1 when something Sector cannot work without (the database) is missing.
    """
    from sector_cli.doctor import doctor_checks, healthy

    out = Output(as_json)
    checks = doctor_checks()
    out.table(
        [check.to_wire() for check in checks],
        [("check", "Check"), ("status", "Status"), ("detail", "Detail"), ("fix", "Fix")],
        empty="",
    )
    if not healthy(checks):
        raise typer.Exit(EXIT_FAILURE)
