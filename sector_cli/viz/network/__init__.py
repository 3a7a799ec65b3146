"""Neural networks read from an ONNX file or a PyTorch module (probed inside the sandbox):
their layers, shapes, parameter and FLOP counts, folded into blocks, drawn in the terminal, as
SVG and as HTML."""

from __future__ import annotations

from sector_cli.viz.network.model import (
    Layer,
    Network,
    Shape,
    Tensor,
    View,
    make_view,
    parse_input_shapes,
    read_network,
    to_json,
)
from sector_cli.viz.network.onnx_reader import read_onnx
from sector_cli.viz.network.render import render_terminal, write_drawing
from sector_cli.viz.network.torch_reader import (
    choose_runner,
    read_torch,
    read_torch_model,
    sandbox_reader,
)

__all__ = [
    "Layer",
    "Network",
    "Shape",
    "Tensor",
    "View",
    "choose_runner",
    "make_view",
    "parse_input_shapes",
    "read_network",
    "read_onnx",
    "read_torch",
    "read_torch_model",
    "render_terminal",
    "sandbox_reader",
    "to_json",
    "write_drawing",
]
