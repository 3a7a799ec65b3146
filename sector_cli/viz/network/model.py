"""`sector viz nn`: a neural network as layers and blocks, whatever it was read from.

The readers (`onnx_reader` for .onnx files, `torch_reader` for Python files that build a
PyTorch module) produce a `Network`: layers in execution order, with the tensors each reads
and writes, their shapes, parameter counts and estimated FLOPs. This module groups the layers
into blocks (name prefixes, module hierarchy), chooses what is shown (blocks collapsed unless
expanded) and works out the edges between what is shown; the renderers draw that view.

FLOPs count one multiply-add as 2 FLOPs (see docs/visualizations/nn.md for each op's rule);
`None` means the op is not known, shown as "?" and left out of totals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sector_cli.errors import UsageError

Dim = int | str  # a size, or the name of a symbolic one ("batch")
Shape = tuple[Dim, ...]
INPUT = -1  # the graph's inputs, as the source of an edge
OUTPUT = -2  # the graph's outputs, as the target of an edge
EXPAND_ALL = "all"
TIMES = "\u00d7"  # between the sizes of a shape
SUPPORTED = ".onnx (ONNX models) and .py (Python files that build a PyTorch module)"


@dataclass
class Tensor:
    name: str
    shape: Shape | None  # None: not known


@dataclass
class Layer:
    """One node of the graph: an ONNX node, or one call of a PyTorch module."""

    name: str
    op: str
    inputs: list[str] = field(default_factory=list)  # tensor names
    outputs: list[str] = field(default_factory=list)
    params: int = 0
    flops: int | None = 0  # None: not known for this op
    path: tuple[str, ...] = ()  # the blocks it sits in, outermost first
    note: str = ""
    call: int = 1  # a PyTorch module called again (weights shared) is a layer per call


@dataclass
class Network:
    """A model as its reader saw it."""

    title: str  # the file's name
    format: str  # "onnx" | "pytorch"
    layers: list[Layer]
    inputs: list[Tensor]
    outputs: list[Tensor]
    shapes: dict[str, Shape | None]  # every tensor's shape, by name
    total_params: int  # as the model itself reports it (initializers, torch parameters)
    separator: str = "/"  # joins block path segments into a block's name
    notes: list[str] = field(default_factory=list)
    block_shapes: dict[str, Shape | None] = field(default_factory=dict)  # measured, by name

    def shape(self, tensor: str) -> Shape | None:
        return self.shapes.get(tensor)

    @property
    def total_flops(self) -> int:
        return sum(layer.flops or 0 for layer in self.layers)

    @property
    def unknown_ops(self) -> list[str]:
        return sorted({layer.op for layer in self.layers if layer.flops is None})


@dataclass
class Block:
    """Layers that share a name prefix (ONNX) or a parent module (PyTorch)."""

    name: str
    path: tuple[str, ...]
    layers: list[int] = field(default_factory=list)  # indices into Network.layers
    children: list[Block | int] = field(default_factory=list)  # in order of first layer
    aliases: set[str] = field(default_factory=set)  # names of blocks merged into this one


@dataclass
class Row:
    """One line of the table, one box of the drawing: a layer, or a block (collapsed or
    open, in which case its members follow it, one level deeper)."""

    kind: str  # "layer" | "block"
    name: str
    op: str
    depth: int
    layers: list[int]
    params: int
    flops: int  # known FLOPs
    unknown: int  # how many of its layers have unknown FLOPs
    shape: Shape | None
    more_shapes: int = 0  # outputs beyond the first
    expanded: bool = False
    note: str = ""

    @property
    def drawn(self) -> bool:
        """Whether it is a node of the graph (open blocks are frames around their members)."""
        return self.kind == "layer" or not self.expanded


@dataclass
class Edge:
    source: int  # row index, or INPUT
    target: int  # row index, or OUTPUT
    shape: Shape | None
    tensor: str


@dataclass
class View:
    network: Network
    rows: list[Row]
    edges: list[Edge]
    blocks: list[Block]  # every block, outermost first
    collapsed: int  # how many blocks are shown closed

    @property
    def unknown_layers(self) -> int:
        return sum(1 for layer in self.network.layers if layer.flops is None)


# Reading --------------------------------------------------------------------------------------


def parse_input_shapes(text: str | None) -> list[tuple[int, ...]]:
    """`1,3,32,32` (or `1x3x32x32`); several inputs separated by `;`."""
    if text is None or not text.strip():
        return []
    shapes = []
    for part in text.split(";"):
        dims = re.split(r"[,x\u00d7]", part.strip())
        if not all(d.strip().isdigit() and int(d) > 0 for d in dims) or len(dims) > 8:
            raise UsageError(
                f"bad --input-shape {text!r}",
                "Give positive sizes separated by commas, such as 1,3,32,32 "
                "(several inputs: 1,10;1,5)",
            )
        shapes.append(tuple(int(d) for d in dims))
    return shapes


Reader = Callable[[Path, list[tuple[int, ...]], str | None], Network]


def read_network(
    path: Path, input_shapes: list[tuple[int, ...]], module: str | None, torch_reader: Reader
) -> Network:
    """The network in `path`, read by its extension. `torch_reader` runs a Python file in the
    sandbox (the front end chooses the runner)."""
    suffix = path.suffix.lower()
    if suffix not in (".onnx", ".py"):
        hint = f"sector viz nn reads {SUPPORTED}"
        if suffix in (".pt", ".pth", ".ckpt", ".bin", ".safetensors"):
            hint = (
                f"A {suffix} file holds weights, not the architecture: write a .py file that "
                "builds the module, or export it with torch.onnx.export"
            )
        raise UsageError(f"unsupported model format {suffix or path.name!r}", hint)
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise UsageError(f"{path} {what}", "Check the path")
    if suffix == ".py" and not input_shapes:
        raise UsageError(
            "a PyTorch model needs a sample input shape",
            "Add --input-shape, such as --input-shape 1,3,32,32 (batch, channels, height, width)",
        )
    if suffix == ".onnx":
        if module is not None:
            raise UsageError("--module is for Python files", "Drop --module for an .onnx file")
        from sector_cli.viz.network.onnx_reader import read_onnx

        return read_onnx(path, input_shapes)
    return torch_reader(path, input_shapes, module)


# Blocks ---------------------------------------------------------------------------------------


def build_blocks(network: Network) -> Block:
    """The block tree: a prefix shared by at least two layers is a block; a block that holds
    the same layers as the block around it is merged into it (its name becomes an alias)."""
    counts: dict[tuple[str, ...], int] = {}
    for layer in network.layers:
        for depth in range(1, len(layer.path) + 1):
            counts[layer.path[:depth]] = counts.get(layer.path[:depth], 0) + 1
    root = Block("", ())
    found: dict[tuple[str, ...], Block] = {(): root}
    for index, layer in enumerate(network.layers):
        parent = root
        root.layers.append(index)
        for depth in range(1, len(layer.path) + 1):
            prefix = layer.path[:depth]
            if counts[prefix] < 2:
                break
            if parent is not root and counts[prefix] == counts[parent.path]:
                parent.aliases.add(network.separator.join(prefix))
                continue
            block = found.get(prefix)
            if block is None:
                block = Block(network.separator.join(prefix), prefix)
                found[prefix] = block
                parent.children.append(block)
            block.layers.append(index)
            parent = block
        parent.children.append(index)
    return root


def all_blocks(root: Block) -> list[Block]:
    out: list[Block] = []
    pending = [c for c in root.children if isinstance(c, Block)]
    while pending:
        block = pending.pop(0)
        out.append(block)
        pending += [c for c in block.children if isinstance(c, Block)]
    return out


def _matches(block: Block, wanted: str, separator: str) -> bool:
    names = {block.name, *block.aliases}
    stripped = {n.strip(separator) for n in names}
    return wanted in names or wanted.strip(separator) in stripped


def resolve_expand(root: Block, wanted: Sequence[str], separator: str) -> set[str] | None:
    """Names of the blocks to open (None: all of them); an unknown name is a UsageError that
    lists some known ones."""
    if any(w.strip().lower() in (EXPAND_ALL, "*") for w in wanted):
        return None
    blocks = all_blocks(root)
    chosen: set[str] = set()
    for name in wanted:
        exact = [b for b in blocks if _matches(b, name, separator)]
        short = [
            b for b in blocks if any(n.split(separator)[-1] == name for n in {b.name, *b.aliases})
        ]
        found = exact or short
        if len(found) != 1:
            known = ", ".join(b.name for b in blocks[:12]) or "none: every layer is shown"
            if len(found) > 1:
                raise UsageError(
                    f"block {name!r} is ambiguous",
                    "Use a full name: " + ", ".join(b.name for b in found[:6]),
                )
            raise UsageError(f"no block named {name!r}", f"Blocks: {known}")
        target = found[0]
        for block in blocks:  # open its ancestors too, so that it is seen
            if target.path[: len(block.path)] == block.path:
                chosen.add(block.name)
    return chosen


# The view -------------------------------------------------------------------------------------


def make_view(network: Network, expand: Sequence[str] = ()) -> View:
    """Rows and edges for `network`, with blocks collapsed unless named in `expand` (or
    `all`). When the model is a single block, it is opened."""
    root = build_blocks(network)
    blocks = all_blocks(root)
    opened = resolve_expand(root, expand, network.separator)
    top: Block = root
    auto_open: set[str] = set()
    while len(top.children) == 1 and isinstance(top.children[0], Block):
        top = top.children[0]
        auto_open.add(top.name)
    rows: list[Row] = []
    collapsed = 0

    def visit(block: Block, depth: int) -> None:
        nonlocal collapsed
        for child in block.children:
            if isinstance(child, int):
                rows.append(_layer_row(network, child, depth))
                continue
            is_open = opened is None or child.name in opened or child.name in auto_open
            rows.append(_block_row(network, child, depth, is_open))
            if is_open:
                visit(child, depth + 1)
            else:
                collapsed += 1

    visit(root, 0)
    return View(network, rows, _edges(network, rows), blocks, collapsed)


def _layer_row(network: Network, index: int, depth: int) -> Row:
    layer = network.layers[index]
    shapes = [network.shape(t) for t in layer.outputs]
    return Row(
        "layer",
        layer.name,
        layer.op if layer.call == 1 else f"{layer.op} (call {layer.call})",
        depth,
        [index],
        layer.params,
        layer.flops or 0,
        1 if layer.flops is None else 0,
        shapes[0] if shapes else None,
        max(len(shapes) - 1, 0),
        note=layer.note,
    )


def _block_row(network: Network, block: Block, depth: int, is_open: bool) -> Row:
    members = [network.layers[i] for i in block.layers]
    shape = network.block_shapes.get(block.name)
    if block.name not in network.block_shapes:
        exits = _exit_tensors(network, block.layers)
        shape = network.shape(exits[-1]) if exits else None
    return Row(
        "block",
        block.name,
        f"{len(members)} layers",
        depth,
        list(block.layers),
        sum(layer.params for layer in members),
        sum(layer.flops or 0 for layer in members),
        sum(1 for layer in members if layer.flops is None),
        shape,
        expanded=is_open,
    )


def _exit_tensors(network: Network, members: list[int]) -> list[str]:
    """Tensors written inside the group and read outside it (or by no one: the model's
    outputs), in the order they are written."""
    inside = set(members)
    read_outside: set[str] = {t.name for t in network.outputs}
    for index, layer in enumerate(network.layers):
        if index not in inside:
            read_outside.update(layer.inputs)
    written = [t for i in members for t in network.layers[i].outputs]
    return [t for t in written if t in read_outside] or written[-1:]


def _edges(network: Network, rows: list[Row]) -> list[Edge]:
    """Edges between the rows that are drawn: a tensor written by one and read by another."""
    owner: dict[int, int] = {}
    for position, row in enumerate(rows):
        if row.drawn:
            for index in row.layers:
                owner[index] = position
    producer: dict[str, int] = {}
    for index, layer in enumerate(network.layers):
        for tensor in layer.outputs:
            producer[tensor] = owner[index]
    graph_inputs = {t.name for t in network.inputs}
    writers = [i for i, layer in enumerate(network.layers) if layer.outputs]
    edges: list[Edge] = []
    seen: set[tuple[int, int]] = set()

    def add(source: int, target: int, tensor: str) -> None:
        if source != target and (source, target) not in seen:
            seen.add((source, target))
            edges.append(Edge(source, target, network.shape(tensor), tensor))

    for index, layer in enumerate(network.layers):
        for tensor in layer.inputs:
            if tensor in producer:
                add(producer[tensor], owner[index], tensor)
            elif tensor in graph_inputs:
                add(INPUT, owner[index], tensor)
    for output in network.outputs:
        if output.name in producer:
            add(producer[output.name], OUTPUT, output.name)
        elif output.name in graph_inputs:
            add(INPUT, OUTPUT, output.name)
        elif writers:  # made by a function after the last layer (PyTorch)
            add(owner[writers[-1]], OUTPUT, output.name)
    return edges


# Text -----------------------------------------------------------------------------------------


def format_shape(shape: Shape | None, more: int = 0) -> str:
    if shape is None:
        return "?"
    text = TIMES.join(str(d) for d in shape) if shape else "scalar"
    return f"{text} (+{more})" if more else text


def format_count(value: int) -> str:
    """1,234 below ten thousand, then 12.3k, 4.56M, 7.89G, 1.2T."""
    if value < 10_000:
        return f"{value:,}"
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if value >= size:
            number = value / size
            digits = 0 if number >= 100 else 1 if number >= 10 else 2
            return f"{number:.{digits}f}{unit}"
    return str(value)  # pragma: no cover


def format_flops(flops: int, unknown: int) -> str:
    if unknown and not flops:
        return "?"
    return format_count(flops) + ("+?" if unknown else "")


def tensors_label(network: Network, tensors: list[Tensor]) -> str:
    """Shapes, with the tensors' names where the model named them (ONNX)."""
    if network.format != "onnx":
        return ", ".join(format_shape(t.shape) for t in tensors) or "none"
    return ", ".join(f"{t.name} {format_shape(t.shape)}" for t in tensors) or "none"


def summary_line(network: Network) -> str:
    inputs = tensors_label(network, network.inputs)
    unknown = sum(1 for layer in network.layers if layer.flops is None)
    flops = format_count(network.total_flops) + (f" (+{unknown} unknown)" if unknown else "")
    return (
        f"{len(network.layers):,} layers · {network.total_params:,} parameters · "
        f"{flops} FLOPs · input {inputs}"
    )


def to_json(view: View) -> dict[str, Any]:
    """Everything, for scripts: the model's layers, its blocks, and the rows of this view."""
    network = view.network
    inner: dict[int, str] = {}  # the innermost block of each layer (blocks: outermost first)
    for block in view.blocks:
        inner.update(dict.fromkeys(block.layers, block.name))

    def shape(value: Shape | None) -> list[Dim] | None:
        return None if value is None else list(value)

    return {
        "model": network.title,
        "format": network.format,
        "flops_unit": "FLOPs, one multiply-add counted as 2",
        "inputs": [{"name": t.name, "shape": shape(t.shape)} for t in network.inputs],
        "outputs": [{"name": t.name, "shape": shape(t.shape)} for t in network.outputs],
        "totals": {
            "layers": len(network.layers),
            "params": network.total_params,
            "layer_params": sum(layer.params for layer in network.layers),
            "flops": network.total_flops,
            "unknown_flops_layers": view.unknown_layers,
            "unknown_ops": network.unknown_ops,
        },
        "layers": [
            {
                "name": layer.name,
                "op": layer.op,
                "inputs": layer.inputs,
                "outputs": layer.outputs,
                "output_shapes": [shape(network.shape(t)) for t in layer.outputs],
                "params": layer.params,
                "flops": layer.flops,
                "block": inner.get(index),
                **({"note": layer.note} if layer.note else {}),
                **({"call": layer.call} if layer.call > 1 else {}),
            }
            for index, layer in enumerate(network.layers)
        ],
        "blocks": [
            {
                "name": block.name,
                "layers": len(block.layers),
                "params": sum(network.layers[i].params for i in block.layers),
                "flops": sum(network.layers[i].flops or 0 for i in block.layers),
                "unknown_flops_layers": sum(
                    1 for i in block.layers if network.layers[i].flops is None
                ),
            }
            for block in view.blocks
        ],
        "rows": [
            {
                "kind": row.kind,
                "name": row.name,
                "op": row.op,
                "depth": row.depth,
                "expanded": row.expanded if row.kind == "block" else None,
                "output_shape": shape(row.shape),
                "params": row.params,
                "flops": None if row.unknown and not row.flops else row.flops,
                "unknown_flops_layers": row.unknown,
            }
            for row in view.rows
        ],
        "notes": network.notes,
    }
