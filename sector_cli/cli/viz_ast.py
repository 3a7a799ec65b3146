"""`sector viz ast FILE`: the syntax tree of any language with a tree-sitter grammar, and the
order a walk visits it in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sector_cli.cli.options import Json, Out

if TYPE_CHECKING:
    from sector_cli.viz.syntax import Order


def ast(
    file: Annotated[Path, typer.Argument(help="A source file.", show_default=False)],
    lang: Annotated[
        str | None,
        typer.Option("--lang", "-l", help="The grammar (default: from the extension)."),
    ] = None,
    order: Annotated[
        str, typer.Option("--order", help="Walk order for --step and the HTML: pre or post.")
    ] = "pre",
    step: Annotated[
        int | None,
        typer.Option(
            "--step", "-s", min=1, help="Highlight the node visited at step N.", show_default=False
        ),
    ] = None,
    named_only: Annotated[
        bool,
        typer.Option(
            "--named-only/--all",
            help="Only named nodes (identifier, call...), or also anonymous ones ('(', 'def').",
        ),
    ] = True,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth", "-d", min=0, help="Fold the tree below depth N.", show_default=False
        ),
    ] = None,
    as_json: Json = False,
    out: Out = None,
) -> None:
    """Draw a file's syntax tree (tree-sitter): each node's type, field, range and text.

    --step N with --order pre|post shows a walk of the tree N steps in. --json gives every
    node with its pre- and post-order step, whatever --depth says.
    """
    from sector_cli.cli.output import Output, console
    from sector_cli.errors import UsageError
    from sector_cli.viz.syntax import parse_file, terminal, write

    output = Output(as_json)
    if order not in ("pre", "post"):
        raise UsageError(f"unknown --order {order!r}", "Use pre or post")
    walk: Order = "pre" if order == "pre" else "post"
    tree = parse_file(file, lang, named_only)
    current = tree.at_step(walk, step) if step is not None else None
    if out is not None:
        write(out, tree, walk, step, depth)
    if as_json:
        chosen = {"step": {"order": walk, "step": step, "node": current.id}} if current else {}
        output.json({**tree.to_json(), **chosen, **({"out": str(out)} if out else {})})
        return
    console().print(terminal(tree, walk, step, depth))
    if out is not None:
        console(stderr=True).print(f"wrote {out}", markup=False)
