"""Runs inside the sandbox for `sector viz nn FILE.py`, with the standard library and torch only
(Sector itself is not there): builds the learner's module, runs it once on zeros of the
sample shape with forward hooks, and prints what it saw as one JSON line on stdout, after
MARKER. Everything the learner's code prints goes to stderr.

Its one argument is a JSON object: {"file", "shapes", "module", "paths"} (paths: folders to
put first on sys.path, where torch is).
"""

from __future__ import annotations

import contextlib
import json
import math
import runpy
import sys
import traceback
from typing import Any

MARKER = "SECTOR-NN-RESULT "
MAX_CALLS = 20_000  # layer calls recorded; a model past this is shown truncated
ACTIVATIONS = [
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
    "Mish", "Sigmoid", "Tanh", "Hardtanh", "Hardsigmoid", "Hardswish", "Softplus", "Softsign",
    "Softshrink", "Hardshrink", "Tanhshrink", "Threshold", "LogSigmoid", "GLU",
]  # fmt: skip
RUN_NAME = "__sector_model__"  # not __main__: a file's `if __name__ == "__main__"` stays out


class Problem(Exception):
    def __init__(self, kind: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.kind, self.message, self.hint = kind, message, hint


def main() -> None:
    config = json.loads(sys.argv[1])
    for path in reversed(config.get("paths", [])):
        sys.path.insert(0, path)
    stdout = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = probe(config)
    except Problem as problem:
        result = {"ok": False, "kind": problem.kind, "error": problem.message}
        result["hint"] = problem.hint
    stdout.write(MARKER + json.dumps(result) + "\n")
    stdout.flush()


def _where(exc: BaseException, file: str) -> str:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == file]
    return f" (line {lines[-1]})" if lines else ""


def _raised(exc: BaseException, file: str, doing: str) -> Problem:
    text = str(exc).strip().splitlines()
    message = f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__
    name = file.rsplit("/", 1)[-1]
    return Problem("usage", f"{name} raised {message}{_where(exc, file)} while {doing}")


def probe(config: dict[str, Any]) -> dict[str, Any]:
    try:
        import torch
    except Exception as exc:  # ImportError, or a shared library that does not load
        raise Problem(
            "torch",
            f"torch cannot be imported in the sandbox ({type(exc).__name__}: {exc})",
            "Install torch in the Python environment Sector runs from (pip install torch)",
        ) from None
    torch.set_num_threads(1)
    file = config["file"]
    try:
        namespace = runpy.run_path(file, run_name=RUN_NAME)
    except BaseException as exc:  # SystemExit too: the learner's file is what failed
        raise _raised(exc, file, "loading it") from None
    model, name = _find_module(torch, namespace, config.get("module"), file)
    return _trace(torch, model, name, [tuple(s) for s in config["shapes"]], file)


def _find_module(torch: Any, namespace: dict[str, Any], wanted: str | None, file: str) -> Any:
    module_type = torch.nn.Module
    base = file.rsplit("/", 1)[-1]
    if wanted:
        if wanted not in namespace:
            raise Problem("usage", f"{base} defines no {wanted!r}", _candidates(torch, namespace))
        chosen = wanted
    elif "model" in namespace:
        chosen = "model"
    elif "build" in namespace:
        chosen = "build"
    else:
        instances = [k for k, v in namespace.items() if isinstance(v, module_type)]
        if len(instances) != 1:
            raise Problem(
                "usage",
                f"{base} defines neither `model` nor `build()`",
                _candidates(torch, namespace),
            )
        chosen = instances[0]
    value = namespace[chosen]
    if isinstance(value, module_type):
        return value, chosen
    if not callable(value):
        raise Problem("usage", f"{chosen} in {base} is a {type(value).__name__}, not a module")
    try:
        built = value()
    except BaseException as exc:
        raise _raised(exc, file, f"calling {chosen}()") from None
    if not isinstance(built, module_type):
        raise Problem(
            "usage",
            f"{chosen}() in {base} returned a {type(built).__name__}, not a torch.nn.Module",
        )
    return built, chosen


def _candidates(torch: Any, namespace: dict[str, Any]) -> str:
    module_type = torch.nn.Module
    found = [
        k
        for k, v in namespace.items()
        if not k.startswith("_")
        and (
            isinstance(v, module_type)
            or (isinstance(v, type) and issubclass(v, module_type) and v.__module__ == RUN_NAME)
        )
    ]
    hint = "Define `model = ...` or `def build():` returning the module, or pass --module NAME"
    return f"{hint} (modules here: {', '.join(found[:8])})" if found else hint


def _tensors(value: Any) -> list[Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors(item)]
    return []


def _trace(
    torch: Any, model: Any, chosen: str, shapes: list[tuple[int, ...]], file: str
) -> dict[str, Any]:
    names = {id(m): n for n, m in model.named_modules()}
    root_name = type(model).__name__

    def is_layer(module: Any) -> bool:
        return not any(True for _ in module.children()) or any(
            True for _ in module.parameters(recurse=False)
        )

    state: dict[str, Any] = {}

    def reset() -> None:
        state.update(calls=[], tensors={}, keep=[], shapes={}, blocks={}, truncated=False)

    def known(tensor: Any) -> str | None:
        name: str | None = state["tensors"].get(id(tensor))
        return name

    def fresh(tensor: Any, name: str = "") -> str:
        """A new name for a tensor a call returned (even the very object it was given, as
        an in-place ReLU does): readers from now on read this call's output."""
        name = name or f"t{len(state['keep'])}"
        state["tensors"][id(tensor)] = name
        state["keep"].append(tensor)  # alive, so that its id is not reused
        state["shapes"][name] = list(tensor.shape)
        return name

    def hook(module: Any, args: Any, output: Any) -> None:
        name = names.get(id(module), "")
        outs = _tensors(output)
        if not is_layer(module):
            if name and outs:
                state["blocks"][name] = list(outs[0].shape)
            return
        if len(state["calls"]) >= MAX_CALLS:
            state["truncated"] = True
            return
        ins = _tensors(args)
        inputs = [n for n in (known(t) for t in ins) if n]
        if not inputs and state["calls"]:  # made by a function between modules
            inputs = state["calls"][-1]["outputs"][:1]
        state["calls"].append(
            {
                "module": module,
                "name": name or root_name,
                "op": type(module).__name__,
                "inputs": inputs,
                "outputs": [fresh(t) for t in outs],
                "flops": _flops(torch, module, ins, outs),
            }
        )

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    model.eval()
    errors: list[BaseException] = []
    try:
        for dtype in (torch.float32, torch.long):  # embeddings take integer indices
            reset()
            sample = [torch.zeros(shape, dtype=dtype) for shape in shapes]
            inputs = [fresh(t, f"input{i or ''}") for i, t in enumerate(sample)]
            try:
                with torch.no_grad():
                    output = model(*sample)
            except BaseException as exc:
                errors.append(exc)
                continue
            kind = "float32" if dtype is torch.float32 else "int64"
            return _result(torch, model, chosen, state, inputs, sample, output, kind)
    finally:
        for handle in handles:
            handle.remove()
    doing = f"running the model on zeros of shape {_shapes(shapes)}"
    raise _raised(errors[0], file, doing)


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return "; ".join("x".join(str(d) for d in shape) for shape in shapes)


def _result(
    torch: Any,
    model: Any,
    chosen: str,
    state: dict[str, Any],
    inputs: list[str],
    sample: list[Any],
    output: Any,
    dtype: str,
) -> dict[str, Any]:
    counted: set[int] = set()
    called: set[int] = set()
    layers = []
    seen: dict[str, int] = {}
    for call in state["calls"]:
        module = call.pop("module")
        called.add(id(module))
        own = [p for p in module.parameters(recurse=False) if id(p) not in counted]
        counted.update(id(p) for p in own)
        seen[call["name"]] = call["call"] = seen.get(call["name"], 0) + 1
        layers.append({**call, "params": sum(p.numel() for p in own)})
    for name, module in model.named_modules():  # modules with weights that forward never used
        own = [p for p in module.parameters(recurse=False) if id(p) not in counted]
        if own and id(module) not in called:
            counted.update(id(p) for p in own)
            layers.append(
                {
                    "name": name or type(model).__name__,
                    "op": type(module).__name__,
                    "inputs": [],
                    "outputs": [],
                    "flops": 0,
                    "params": sum(p.numel() for p in own),
                    "note": "not called by forward()",
                }
            )
    outs = []
    for index, tensor in enumerate(_tensors(output)):
        known = state["tensors"].get(id(tensor))
        outs.append({"name": known or f"output{index}", "shape": list(tensor.shape)})
    parameters = list(model.parameters())
    return {
        "ok": True,
        "torch": torch.__version__,
        "model": chosen,
        "class": type(model).__name__,
        "dtype": dtype,
        "inputs": [
            {"name": n, "shape": list(t.shape)} for n, t in zip(inputs, sample, strict=True)
        ],
        "outputs": outs,
        "layers": layers,
        "shapes": {**state["shapes"], **{o["name"]: o["shape"] for o in outs}},
        "blocks": state["blocks"],
        "total_params": sum(p.numel() for p in parameters),
        "trainable_params": sum(p.numel() for p in parameters if p.requires_grad),
        "truncated": state["truncated"],
    }


def _flops(torch: Any, module: Any, ins: list[Any], outs: list[Any]) -> int | None:
    """Estimated FLOPs of one call (a multiply-add is 2), by the same rules as for ONNX."""
    nn = torch.nn
    if not outs:
        return None
    out = int(outs[0].numel())
    x = ins[0] if ins else None
    bias = out if getattr(module, "bias", None) is not None else 0
    if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        per_output = int(module.in_channels // module.groups * math.prod(module.kernel_size))
        return 2 * out * per_output + bias
    if isinstance(module, nn.ConvTranspose1d | nn.ConvTranspose2d | nn.ConvTranspose3d):
        if x is None:
            return None
        per_input = int(module.out_channels // module.groups * math.prod(module.kernel_size))
        return 2 * int(x.numel()) * per_input + bias
    if isinstance(module, nn.Linear):
        return 2 * out * int(module.in_features) + bias
    if isinstance(module, nn.RNNBase):
        return _recurrent(module, x)
    for kinds, rule in _rules(nn):
        if isinstance(module, kinds):
            flops = rule(module, x, out)
            return None if flops is None else int(flops)
    return None


def _rules(nn: Any) -> list[tuple[tuple[type, ...], Any]]:
    pools = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
    adaptive = (
        nn.AdaptiveAvgPool1d,
        nn.AdaptiveAvgPool2d,
        nn.AdaptiveAvgPool3d,
        nn.AdaptiveMaxPool1d,
        nn.AdaptiveMaxPool2d,
        nn.AdaptiveMaxPool3d,
    )
    activations = tuple(getattr(nn, name) for name in ACTIVATIONS if hasattr(nn, name))
    data = (
        nn.Flatten,
        nn.Unflatten,
        nn.Identity,
        nn.Embedding,
        nn.PixelShuffle,
        nn.PixelUnshuffle,
        nn.Dropout,
        nn.Dropout1d,
        nn.Dropout2d,
        nn.Dropout3d,
        nn.AlphaDropout,
        nn.ConstantPad1d,
        nn.ConstantPad2d,
        nn.ConstantPad3d,
        nn.ZeroPad2d,
        nn.ReflectionPad1d,
        nn.ReflectionPad2d,
        nn.ReplicationPad1d,
        nn.ReplicationPad2d,
    )
    norms = (nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)
    batch_norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
    return [
        (data, lambda m, x, out: 0),
        (activations, lambda m, x, out: out),
        (batch_norms, lambda m, x, out: 2 * out),
        (norms, lambda m, x, out: 5 * out),
        ((nn.Softmax, nn.LogSoftmax, nn.Softmin), lambda m, x, out: 3 * out),
        (pools, lambda m, x, out: out * _kernel(m)),
        (adaptive, lambda m, x, out: None if x is None else x.numel()),
    ]


def _kernel(module: Any) -> int:
    kernel = module.kernel_size
    if isinstance(kernel, int):
        dims = int(type(module).__name__[-2])  # MaxPool2d -> 2
        return int(kernel**dims)
    return math.prod(kernel)


def _recurrent(module: Any, x: Any) -> int | None:
    """Per step, direction and batch item: 2*G*H*(I+H) for the gates' products, 2*G*H for
    their two biases; the gates' own arithmetic is not counted."""
    gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1)
    if x is None or not hasattr(x, "dim") or x.dim() not in (2, 3):
        return None  # a PackedSequence: its steps vary
    if x.dim() == 2:
        steps, batch = x.shape[0], 1
    elif module.batch_first:
        batch, steps = x.shape[0], x.shape[1]
    else:
        steps, batch = x.shape[0], x.shape[1]
    directions = 2 if module.bidirectional else 1
    hidden = module.hidden_size
    total = 0
    for layer in range(module.num_layers):
        size = module.input_size if layer == 0 else directions * hidden
        per_step = 2 * gates * hidden * (size + hidden) + (2 * gates * hidden if module.bias else 0)
        total += directions * steps * batch * per_step
    return int(total)


if __name__ == "__main__":
    main()
