"""The `nn` kind: a neural network's drawing, its layers (shapes, parameters, FLOPs) and
totals, read as `sector viz nn` reads it: an .onnx file here, a .py file that builds a
PyTorch module in the local sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sector_cli.export.kinds import ExportRequest, meta_for
from sector_cli.export.model import Block, Document, Figure, Note, Paragraph, Section, Table

if TYPE_CHECKING:
    from sector_cli.services import Services
    from sector_cli.viz.network import Network

MAX_LAYERS = 1000  # rows of the layers table


def build_nn(ref: str, request: ExportRequest, services: Services) -> Document:
    from sector_cli.viz.network import make_view, parse_input_shapes, read_network, sandbox_reader
    from sector_cli.viz.network.model import summary_line
    from sector_cli.viz.network.render import footer, render_svg, title

    path = Path(ref)
    warnings: list[str] = []  # the runner passed over for a Python file's probe
    reader = sandbox_reader(lambda: services, warnings.append)
    network = read_network(path, parse_input_shapes(request.input_shape), request.module, reader)
    view = make_view(network)
    svg = render_svg(view)
    heading = title(view)
    picture: list[Block] = [
        Figure(svg.render(), svg.width, svg.height, alt=f"The layers of {network.title}"),
        Paragraph.of(summary_line(network) + "."),
    ]
    layers: list[Block] = [_layers(network)]
    if len(network.layers) > MAX_LAYERS:
        layers.append(Note(f"The first {MAX_LAYERS:,} of {len(network.layers):,} layers."))
    layers += [Paragraph.of(line) for line in footer(view) if "--expand" not in line]
    return Document(
        f"Network {network.title}",
        meta_for("nn", str(path), services),
        (Section(heading, tuple(picture)), Section("Layers", tuple(layers))),
        notes=tuple(Note(text) for text in warnings),
    )


def _layers(network: Network) -> Table:
    """Every layer in order, the blocks it sits in part of its name."""
    from sector_cli.viz.network.model import format_flops, format_shape

    rows = []
    for layer in network.layers[:MAX_LAYERS]:
        shapes = [network.shape(tensor) for tensor in layer.outputs]
        shape = format_shape(shapes[0], len(shapes) - 1) if shapes else "?"
        flops = format_flops(layer.flops or 0, 1 if layer.flops is None else 0)
        rows.append((layer.name, layer.op, shape, f"{layer.params:,}", flops))  # as viz nn
    return Table(
        ("layer", "operation", "output shape", "parameters", "FLOPs"),
        tuple(rows),
        caption=f"{len(network.layers):,} layers, in the order they run",
        monospace=frozenset({0, 2}),
    )
