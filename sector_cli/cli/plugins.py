"""`sector plugins ls`."""

from __future__ import annotations

import typer

from sector_cli.cli.options import Json
from sector_cli.cli.output import Output, warn

app = typer.Typer(help="Inspect installed plugins.", no_args_is_help=True)


@app.command("ls")
def ls(as_json: Json = False) -> None:
    """List every registered plugin by kind, with where it came from; report broken ones."""
    from sector_cli.plugins.registry import CONTRACTS
    from sector_cli.services import open_services

    out = Output(as_json)
    registry = open_services().registry
    rows = [
        {
            "kind": kind,
            "name": info.name,
            "origin": info.origin,
            "builtin": info.builtin,
            "summary": info.plugin_class.summary,
            "entry_point": info.entry_point,
        }
        for kind in CONTRACTS
        for info in registry.of_kind(kind)
    ]
    if as_json:
        out.json({"plugins": rows, "problems": registry.problems, "skipped": registry.skipped})
        return
    for problem in registry.problems:
        warn(problem.one_line())
    out.table(
        rows,
        [("kind", "Kind"), ("name", "Name"), ("origin", "From"), ("summary", "What")],
        empty="No plugins registered.",
    )
