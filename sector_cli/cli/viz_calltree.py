"""`sector viz calltree FILE|RUN`: the tree of calls a program made, with arguments and
results."""

from __future__ import annotations

from typing import Annotated

import typer

from sector_cli.cli.options import Json, Out
from sector_cli.cli.viz_program import (
    Memory,
    Runner,
    Stdin,
    Target,
    Timeout,
    check_before_running,
    trace_options,
    tutor,
)


def calltree(
    target: Target,
    max_nodes: Annotated[
        int,
        typer.Option(
            "--max-nodes",
            "-n",
            min=1,
            help="Calls drawn at most: past it, identical subtrees are drawn once with "
            "their count (\N{MULTIPLICATION SIGN}N), then the deepest levels are folded "
            "(… N more calls).",
        ),
    ] = 200,
    runner: Runner = None,
    timeout: Timeout = None,
    memory: Memory = None,
    stdin: Stdin = None,
    as_json: Json = False,
    out: Out = None,
) -> None:
    """Draw the tree of calls a program makes: arguments, results, exceptions.

    Recursion shows as depth: `fib(4) → 3` over `fib(3) → 2` and `fib(2) → 1`. A call that
    ended with an exception is marked ✗ with it. --out writes the tree as .svg, or as .html
    that replays the calls in order with step controls.
    """
    from sector_cli.cli.output import Output, console
    from sector_cli.viz.calltree import build_calltree, fold, terminal, to_json, write_drawing

    output = Output(as_json)
    check_before_running(target, out)
    trace = tutor(target, trace_options(runner, timeout, memory, stdin))
    view = fold(build_calltree(trace), max_nodes)
    if out is not None:
        write_drawing(view, out)
    if as_json:
        output.json({**to_json(view), **({"out": str(out)} if out else {})})
        return
    screen = console()
    screen.print(terminal(view, screen.width))
    if out is not None:
        console(stderr=True).print(f"wrote {out}", markup=False)
