"""`sector viz ds FILE|RUN --var NAME`: a variable's data structure, frame by frame."""

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


def ds(
    target: Target,
    var: Annotated[
        str,
        typer.Option(
            "--var",
            "-v",
            help="The variable: a global NAME, or a local as FUNC:NAME.",
            show_default=False,
        ),
    ],
    step: Annotated[
        int | None,
        typer.Option(
            "--step",
            "-s",
            min=1,
            help="Show the structure as it is at trace step N.",
            show_default=False,
        ),
    ] = None,
    play: Annotated[
        bool,
        typer.Option("--play", help="Show every frame in turn (animated on a terminal)."),
    ] = False,
    delay: Annotated[
        float,
        typer.Option("--delay", min=0.0, help="Seconds per frame with --play on a terminal."),
    ] = 0.6,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help="Draw as: auto, array, dict, linked, tree or graph.",
        ),
    ] = "auto",
    runner: Runner = None,
    timeout: Timeout = None,
    memory: Memory = None,
    stdin: Stdin = None,
    as_json: Json = False,
    out: Out = None,
) -> None:
    """Draw a variable's data structure as it changes, frame by frame.

    Arrays with index pointers, dicts, linked lists, binary trees and graphs. A new frame
    begins whenever the structure or its pointers change: the int variables of the same
    scope that index an array (i, j, lo, hi), the variables that point at a node (prev,
    curr), name a node or hold nodes (visited, queue). Without --step or --play the last
    frame is shown. --out writes an animated .svg, or .html with step controls.
    """
    import sys

    from sector_cli.cli.output import Output, console
    from sector_cli.errors import UsageError
    from sector_cli.viz.structures import KINDS, animate, terminal, to_json, write_drawing
    from sector_cli.viz.structures import play as play_frames

    output = Output(as_json)
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind}", f"Use one of: {', '.join(KINDS)}")
    check_before_running(target, out, var)
    animation = animate(tutor(target, trace_options(runner, timeout, memory, stdin)), var, kind)
    frames = animation.frames
    if step is not None:
        frames = [animation.at_step(step)]
    if out is not None:
        write_drawing(animation, out)
    if as_json:
        output.json({**to_json(animation, frames), **({"out": str(out)} if out else {})})
        return
    screen = console()
    if play and step is None:
        play_frames(animation, screen, delay, sys.stdout.isatty())
    else:
        screen.print(terminal(animation, frames[-1], screen.width))
        if step is None and len(frames) > 1:
            hint = (
                f"{len(frames)} frames over {animation.steps:,} steps; "
                "--step N shows one, --play all of them"
            )
            console(stderr=True).print(hint, style="dim", markup=False)
    if out is not None:
        console(stderr=True).print(f"wrote {out}", markup=False)
