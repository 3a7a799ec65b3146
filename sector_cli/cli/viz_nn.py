"""`sector viz nn MODEL`: a neural network's layers, shapes, parameters and FLOPs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sector_cli.cli.options import Json, Out


def nn(
    model: Annotated[
        Path,
        typer.Argument(
            help="An .onnx file, or a .py file that builds a PyTorch module.", show_default=False
        ),
    ],
    input_shape: Annotated[
        str | None,
        typer.Option(
            "--input-shape",
            "-s",
            help="Sample input shape, such as 1,3,32,32: needed for a .py file; for an .onnx "
            "file it sets symbolic sizes. Several inputs: 1,10;1,5.",
            show_default=False,
        ),
    ] = None,
    module: Annotated[
        str | None,
        typer.Option(
            "--module",
            "-m",
            help="In a .py file: the module, or the function or class that builds it "
            "(default: `model`, then `build()`).",
            show_default=False,
        ),
    ] = None,
    expand: Annotated[
        list[str] | None,
        typer.Option(
            "--expand",
            "-e",
            help="Open a block by name (repeat for more); `--expand all` opens every block.",
            show_default=False,
        ),
    ] = None,
    as_json: Json = False,
    out: Out = None,
) -> None:
    """Draw a neural network: layers, output shapes, parameters and FLOPs, in blocks.

    A Python file runs in the local sandbox, on zeros of --input-shape.
    FLOPs are estimates: one multiply-add counts as 2.
    """
    from sector_cli.cli.output import Output, console, warn
    from sector_cli.services import open_services
    from sector_cli.viz.network import (
        make_view,
        parse_input_shapes,
        read_network,
        render_terminal,
        sandbox_reader,
        to_json,
        write_drawing,
    )

    output = Output(as_json)
    reader = sandbox_reader(open_services, warn)  # services opened for a Python file alone
    network = read_network(model, parse_input_shapes(input_shape), module, reader)
    view = make_view(network, expand or [])
    if out is not None:
        write_drawing(view, out)
    if as_json:
        output.json({**to_json(view), **({"out": str(out)} if out else {})})
        return
    render_terminal(view, console())
    if out is not None:
        sys.stdout.flush()
        console(stderr=True).print(f"wrote {out}", markup=False)
