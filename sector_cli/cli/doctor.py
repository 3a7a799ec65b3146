"""`sector doctor`: what this machine offers Sector."""

from __future__ import annotations

import typer

from sector_cli.cli.options import Json
from sector_cli.cli.output import Output
from sector_cli.errors import EXIT_FAILURE, ConfigError


def doctor(as_json: Json = False) -> None:
    """Check the database, Docker, the local sandbox, models, Ollama, plugins and paths.

    Exits 1 when something Sector cannot work without (the database) is missing.
    """
    from sector_cli.config.settings import fallback_settings
    from sector_cli.doctor import Check, run_checks
    from sector_cli.services import Services, open_services

    out = Output(as_json)
    try:
        services, problems = open_services(), []
    except ConfigError as error:  # doctor is how a broken file gets found: go on without it
        services = Services(fallback_settings())
        problems = [Check("config", False, error.message, error.hint or "", required=True)]
    checks = [*problems, *run_checks(services)]
    rows = [
        {
            "check": check.name,
            "ok": check.ok,
            "status": "ok" if check.ok else "missing",
            "detail": check.detail,
            "fix": check.fix,
            "required": check.required,
        }
        for check in checks
    ]
    out.table(
        rows,
        [("check", "Check"), ("status", "Status"), ("detail", "Detail"), ("fix", "Fix")],
        empty="",
    )
    if any(check.required and not check.ok for check in checks):
        raise typer.Exit(EXIT_FAILURE)
