"""`sector viz ...`: see what code does. Each visualization's command lives in its own module
(`cli/viz_*.py`, sharing the `--out` option from cli/options.py), thin over the viz service;
this group only gathers them."""

from __future__ import annotations

import importlib
from typing import Any

import typer

app = typer.Typer(
    help="See what code does: execution traces, call trees, data structures, compiler "
    "phases, syntax trees and neural networks, in the terminal or as SVG/HTML.",
    no_args_is_help=True,
)

# name -> "module:function"; each module imports its heavy parts only inside the command.
COMMANDS: dict[str, str] = {
    "trace": "sector_cli.cli.viz_trace:trace",
    "nn": "sector_cli.cli.viz_nn:nn",
    "phases": "sector_cli.cli.viz_phases:phases",
    "ast": "sector_cli.cli.viz_ast:ast",
    "calltree": "sector_cli.cli.viz_calltree:calltree",
    "ds": "sector_cli.cli.viz_ds:ds",
}


def _load(target: str) -> Any:
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


for _name, _target in COMMANDS.items():
    app.command(_name)(_load(_target))
