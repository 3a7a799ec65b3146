"""`sector db status|upgrade`."""

from __future__ import annotations

import typer

from sector_cli.cli.options import Json
from sector_cli.cli.output import Output

app = typer.Typer(help="Database schema: status and upgrades.", no_args_is_help=True)


def _payload(
    url: str, current: str | None, head: str, pending: tuple[str, ...]
) -> dict[str, object]:
    return {"database": url, "current": current, "head": head, "pending": list(pending)}


@app.command("status")
def status(as_json: Json = False) -> None:
    """Show the database, its schema revision and pending migrations."""
    from sector_cli.services import open_services

    out = Output(as_json)
    store = open_services().store
    level = store.level()
    out.record(_payload(store.display_url, level.current, level.head, level.pending))


@app.command("upgrade")
def upgrade(as_json: Json = False) -> None:
    """Apply pending migrations (commands also do this on first use)."""
    from sector_cli.services import open_services

    out = Output(as_json)
    store = open_services().store
    before = store.level()
    level = store.upgrade()
    applied = ", ".join(before.pending) or "none"
    out.done(
        f"{store.display_url}: at {level.current} (applied: {applied})",
        _payload(store.display_url, level.current, level.head, before.pending),
    )
