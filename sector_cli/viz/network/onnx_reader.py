"""ONNX models for `sector viz nn`: load the file, infer every tensor's shape, count each
node's parameters (its initializers) and estimate its FLOPs from the shapes.

FLOPs: one multiply-add is 2 FLOPs; docs/visualizations/nn.md lists the rule of each op. An
op without a rule has unknown FLOPs (None, shown as "?"). Symbolic sizes (a `batch` dimension)
count as 1, and the view says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sector_cli.errors import UsageError
from sector_cli.viz.network.model import Layer, Network, Shape, Tensor, format_shape

if TYPE_CHECKING:
    import onnx

MAX_ONNX_BYTES = 2 * 1024**3  # protobuf's limit for one message: bigger models use external data
NOT_PARAMETERS = {"BatchNormalization": {3, 4}}  # running mean and variance: statistics
EXPORT_HINT = "Export a model with torch.onnx.export (or tf2onnx), or check the file"

# Ops that only move, reshape or select data: 0 FLOPs.
DATA = {
    "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice",
    "Gather", "GatherElements", "GatherND", "Identity", "Dropout", "Shape", "Size", "Cast",
    "CastLike", "Pad", "Expand", "Tile", "ConstantOfShape", "Range", "NonZero", "ScatterND",
    "ScatterElements", "DepthToSpace", "SpaceToDepth", "Compress", "OneHot", "Trilu",
}  # fmt: skip
# One FLOP per output element.
ELEMENTWISE = {
    "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "HardSigmoid",
    "HardSwish", "Softplus", "Softsign", "Gelu", "Erf", "Mish", "ThresholdedRelu", "Clip",
    "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin",
    "Cos", "Not", "Shrink", "IsNaN", "IsInf", "Where", "Add", "Sub", "Mul", "Div", "Pow",
    "Mod", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor",
    "BitShift",
}  # fmt: skip
VARIADIC = {"Sum", "Max", "Min", "Mean"}  # (inputs - 1) per output element
REDUCE = {
    "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
    "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "GlobalAveragePool",
    "GlobalMaxPool", "GlobalLpPool", "ArgMax", "ArgMin",
}  # fmt: skip
POOL = {"MaxPool", "AveragePool", "LpPool"}
NORM = {"InstanceNormalization", "LayerNormalization", "GroupNormalization"}
SOFTMAX = {"Softmax", "LogSoftmax"}
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


class _Sizes:
    """Element counts of shapes; remembers when a symbolic size had to count as 1."""

    def __init__(self) -> None:
        self.symbolic: set[str] = set()

    def numel(self, shape: Shape | None) -> int:
        if shape is None:
            raise LookupError
        total = 1
        for dim in shape:
            total *= self.dim(dim)
        return total

    def dim(self, dim: int | str) -> int:
        if isinstance(dim, int):
            return dim
        self.symbolic.add(dim)
        return 1


def read_onnx(path: Path, input_shapes: Sequence[tuple[int, ...]] = ()) -> Network:
    """The network in an .onnx file; UsageError for a file that is not one."""
    model = _load(path)
    _set_input_shapes(model, path, input_shapes)
    notes: list[str] = []
    import onnx

    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:  # the checker of an op it knows can fail: shapes stay as given
        notes.append(f"shape inference stopped: {_first_line(exc)}")
    return _network(model, path.name, notes)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _load(path: Path) -> onnx.ModelProto:
    size = path.stat().st_size
    if size == 0:
        raise UsageError(f"{path.name} is empty, not an ONNX model", EXPORT_HINT)
    if size > MAX_ONNX_BYTES:
        raise UsageError(
            f"{path.name} is {size / 1024**3:.1f} GiB, over ONNX's 2 GiB limit for one file",
            "Save the model with its weights as external data (onnx.save_model(..., "
            "save_as_external_data=True)) and give its .onnx file",
        )
    import onnx

    try:  # external data holds only weights' values: their shapes are in the model itself
        model = onnx.load_model(str(path), format="protobuf", load_external_data=False)
    except Exception as exc:
        raise UsageError(
            f"{path.name} is not a valid ONNX model ({_first_line(exc)})", EXPORT_HINT
        ) from None
    graph = model.graph
    if model.ir_version <= 0 or not (graph.node or graph.output):
        raise UsageError(f"{path.name} is not an ONNX model (no graph in it)", EXPORT_HINT)
    if any(not node.op_type for node in graph.node):
        raise UsageError(f"{path.name} is not a valid ONNX model (a node has no op)", EXPORT_HINT)
    return model


def _real_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    constants = {init.name for init in graph.initializer}
    return [value for value in graph.input if value.name not in constants]


def _set_input_shapes(
    model: onnx.ModelProto, path: Path, shapes: Sequence[tuple[int, ...]]
) -> None:
    """--input-shape fixes the inputs' sizes (a symbolic batch, for instance)."""
    if not shapes:
        return
    inputs = _real_inputs(model.graph)
    if len(shapes) != len(inputs):
        names = ", ".join(v.name for v in inputs) or "none"
        raise UsageError(
            f"{path.name} has {len(inputs)} input(s) ({names}); --input-shape gave {len(shapes)}",
            "Separate the shapes of several inputs with ';'",
        )
    for value, shape in zip(inputs, shapes, strict=True):
        tensor = value.type.tensor_type
        declared = _shape(value)
        if declared is not None and len(declared) != len(shape):
            raise UsageError(
                f"input {value.name} has {len(declared)} dimensions ({format_shape(declared)}); "
                f"--input-shape gave {len(shape)}",
                f"Give {len(declared)} sizes",
            )
        for index, (old, new) in enumerate(zip(declared or shape, shape, strict=True)):
            if isinstance(old, int) and old > 0 and old != new:
                raise UsageError(
                    f"input {value.name} has size {old} in dimension {index}; "
                    f"--input-shape gave {new}",
                    "Only symbolic sizes (a batch dimension) can be set",
                )
        tensor.shape.ClearField("dim")
        for size in shape:
            tensor.shape.dim.add().dim_value = size


def _shape(value: onnx.ValueInfoProto) -> Shape | None:
    kind = value.type.WhichOneof("value")
    if kind != "tensor_type" or not value.type.tensor_type.HasField("shape"):
        return None
    dims: list[int | str] = []
    for dim in value.type.tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        else:
            name = dim.dim_param
            dims.append("?" if not name or name.startswith("unk__") else name)  # unk__: inferred
    return tuple(dims)


def _is_parameter(init: onnx.TensorProto) -> bool:
    """Weights are floating-point (or quantized 8-bit); int64/int32 initializers are shapes,
    axes and indices."""
    from onnx import TensorProto

    return init.data_type not in (
        TensorProto.INT64,
        TensorProto.INT32,
        TensorProto.INT16,
        TensorProto.BOOL,
        TensorProto.STRING,
        TensorProto.UINT64,
        TensorProto.UINT32,
        TensorProto.UINT16,
    )


def _network(model: onnx.ModelProto, title: str, notes: list[str]) -> Network:
    graph = model.graph
    shapes: dict[str, Shape | None] = {}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        shape = _shape(value)
        if shape is not None or value.name not in shapes:
            shapes[value.name] = shape
    weights: dict[str, int] = {}
    for init in graph.initializer:
        shapes[init.name] = tuple(int(d) for d in init.dims)
        if _is_parameter(init):
            weights[init.name] = math.prod(init.dims)
    named = [n.name for n in graph.node if n.name]
    separator = "/" if any("/" in name for name in named) else "."
    sizes = _Sizes()
    layers: list[Layer] = []
    counted: set[str] = set()
    constants = {init.name for init in graph.initializer}
    folded = 0
    for index, node in enumerate(graph.node):
        if _computes_a_constant(node, constants):
            constants.update(node.output)  # a value, not a layer: its weights go to its readers
            if len(node.output) == 1:
                carried = [t for t in node.input if t in weights and t not in counted]
                counted.update(carried)
                weights[node.output[0]] = sum(weights[t] for t in carried)
            folded += node.op_type != "Constant"
            continue
        name = node.name or f"{node.op_type}_{index}"
        params = 0
        for position, tensor in enumerate(node.input):
            skip = position in NOT_PARAMETERS.get(node.op_type, set())
            if tensor in weights and tensor not in counted and not skip:
                counted.add(tensor)
                params += weights[tensor]
        flops, note = _flops(node, shapes, sizes)
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        layers.append(
            Layer(
                name,
                op,
                [t for t in node.input if t],
                [t for t in node.output if t],
                params,
                flops,
                _path(name, separator),
                note,
            )
        )
    if folded:
        notes.append(f"{folded} node(s) computing constants from weights are not shown")
    if any(NOT_PARAMETERS.get(node.op_type) for node in graph.node):
        notes.append(
            "BatchNormalization's running mean and variance are not counted as "
            "parameters (PyTorch keeps them as buffers)"
        )
    if sizes.symbolic:
        names = ", ".join(sorted(sizes.symbolic - {"?"}) + sorted(sizes.symbolic & {"?"}))
        notes.append(f"symbolic sizes ({names}) count as 1 in FLOPs: set them with --input-shape")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is not None:
        notes.insert(0, f"ONNX IR {model.ir_version}, opset {opset}")
    return Network(
        title=title,
        format="onnx",
        layers=layers,
        inputs=[Tensor(v.name, _shape(v)) for v in _real_inputs(graph)],
        outputs=[Tensor(v.name, shapes.get(v.name)) for v in graph.output],
        shapes=shapes,
        total_params=sum(layer.params for layer in layers),
        separator=separator,
        notes=notes,
    )


def _computes_a_constant(node: onnx.NodeProto, constants: set[str]) -> bool:
    """A Constant, or a node that reads nothing but constants (an Identity that copies a
    weight, a Cast or Transpose of one): it computes a value once, it is not a layer."""
    if node.domain not in ("", "ai.onnx"):
        return False
    if node.op_type == "Constant":
        return True
    inputs = [t for t in node.input if t]
    has_graph = any(a.type in (5, 10) for a in node.attribute)  # GRAPH, GRAPHS: If, Loop, Scan
    return bool(inputs) and all(t in constants for t in inputs) and not has_graph


def _path(name: str, separator: str) -> tuple[str, ...]:
    """The blocks a node sits in, from its name: `/layer1/layer1.0/conv1/Conv` (PyTorch's
    exporter) or `block1.conv`."""
    parts = [part for part in name.split(separator) if part]
    return tuple(parts[:-1])


# FLOPs ----------------------------------------------------------------------------------------

Rule = Callable[["onnx.NodeProto", list["Shape | None"], list["Shape | None"], _Sizes], int]


def _flops(
    node: onnx.NodeProto, shapes: dict[str, Shape | None], sizes: _Sizes
) -> tuple[int | None, str]:
    """(FLOPs, note): None with a reason when the op has no rule or a shape is not known."""
    ins = [shapes.get(t) if t else None for t in node.input]
    outs = [shapes.get(t) for t in node.output]
    rule = _rule(node.op_type) if node.domain in ("", "ai.onnx") else None
    if rule is None:
        return None, "FLOPs unknown for this op"
    try:
        return rule(node, ins, outs, sizes), ""
    except (LookupError, ValueError, ZeroDivisionError):
        return None, "a shape it needs is not known"


def _rule(op: str) -> Rule | None:
    if op in DATA:
        return lambda node, ins, outs, sizes: 0
    if op in ELEMENTWISE:
        return lambda node, ins, outs, sizes: sizes.numel(outs[0])
    if op in VARIADIC:
        return lambda node, ins, outs, sizes: max(len(ins) - 1, 1) * sizes.numel(outs[0])
    if op in REDUCE:
        return lambda node, ins, outs, sizes: sizes.numel(ins[0])
    if op in POOL:
        return _pool
    if op in NORM:
        return lambda node, ins, outs, sizes: 5 * sizes.numel(outs[0])
    if op in SOFTMAX:
        return lambda node, ins, outs, sizes: 3 * sizes.numel(outs[0])
    if op in GATES:
        return _recurrent
    return {
        "Conv": _conv,
        "ConvTranspose": _conv_transpose,
        "Gemm": _gemm,
        "MatMul": _matmul,
        "BatchNormalization": lambda node, ins, outs, sizes: 2 * sizes.numel(outs[0]),
    }.get(op)


def _attribute(node: onnx.NodeProto, name: str, default: Any) -> Any:
    import onnx

    for attribute in node.attribute:
        if attribute.name == name:
            return onnx.helper.get_attribute_value(attribute)
    return default


def _has(node: onnx.NodeProto, position: int) -> bool:
    return len(node.input) > position and bool(node.input[position])


def _bias(node: onnx.NodeProto, position: int, outs: list[Shape | None], sizes: _Sizes) -> int:
    return sizes.numel(outs[0]) if _has(node, position) else 0


def _conv(node: onnx.NodeProto, ins: list[Shape | None], outs: list[Shape | None],
          sizes: _Sizes) -> int:  # fmt: skip
    weight = ins[1]  # [M, C/group, k1, k2, ...]: each output element reads C/group*k values
    if weight is None:
        raise LookupError
    return 2 * sizes.numel(outs[0]) * sizes.numel(weight[1:]) + _bias(node, 2, outs, sizes)


def _conv_transpose(node: onnx.NodeProto, ins: list[Shape | None], outs: list[Shape | None],
                    sizes: _Sizes) -> int:  # fmt: skip
    weight = ins[1]  # [C, M/group, k...]: each input element is spread over M/group*k outputs
    if weight is None:
        raise LookupError
    return 2 * sizes.numel(ins[0]) * sizes.numel(weight[1:]) + _bias(node, 2, outs, sizes)


def _gemm(node: onnx.NodeProto, ins: list[Shape | None], outs: list[Shape | None],
          sizes: _Sizes) -> int:  # fmt: skip
    a = ins[0]
    if a is None or len(a) != 2:
        raise LookupError
    inner = sizes.dim(a[0] if _attribute(node, "transA", 0) else a[1])
    return 2 * sizes.numel(outs[0]) * inner + _bias(node, 2, outs, sizes)


def _matmul(node: onnx.NodeProto, ins: list[Shape | None], outs: list[Shape | None],
            sizes: _Sizes) -> int:  # fmt: skip
    a = ins[0]
    if not a:
        raise LookupError
    return 2 * sizes.numel(outs[0]) * sizes.dim(a[-1])


def _pool(node: onnx.NodeProto, ins: list[Shape | None], outs: list[Shape | None],
          sizes: _Sizes) -> int:  # fmt: skip
    kernel = _attribute(node, "kernel_shape", None)
    if not kernel:
        raise LookupError
    return sizes.numel(outs[0]) * math.prod(int(k) for k in kernel)


def _recurrent(node: onnx.NodeProto, ins: list[Shape | None], outs: list[Shape | None],
               sizes: _Sizes) -> int:  # fmt: skip
    """Per step, direction and batch item: the gates' products with the input and the hidden
    state (2*G*H*(I+H)) and their biases (2*G*H); the gates' own arithmetic is not counted."""
    gates = GATES[node.op_type]
    x, weight = ins[0], ins[1]
    if x is None or weight is None or len(x) != 3 or len(weight) != 3:
        raise LookupError
    directions, rows, input_size = (sizes.dim(d) for d in weight)
    hidden = int(_attribute(node, "hidden_size", 0)) or rows // gates
    batch_first = _attribute(node, "layout", 0) == 1
    steps, batch = (x[1], x[0]) if batch_first else (x[0], x[1])
    per_step = 2 * gates * hidden * (input_size + hidden)
    per_step += 2 * gates * hidden if _has(node, 3) else 0
    return directions * sizes.dim(steps) * sizes.dim(batch) * per_step
