"""`sector viz nn`: ONNX models built here with onnx's helper API, PyTorch files through the
real local sandbox, and the drawings parsed back (xml.etree for SVG, html.parser for HTML).

The hand computations follow docs/visualizations/nn.md: one multiply-add is 2 FLOPs.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sector_cli.errors import PluginError, UsageError  # noqa: E402
from sector_cli.plugins.runner import Limits, Output, RunFinished, RunJob, Verdict  # noqa: E402
from sector_cli.plugins.runners.local import bwrap_command  # noqa: E402
from sector_cli.viz.network import (  # noqa: E402
    Layer,
    Network,
    Shape,
    Tensor,
    make_view,
    read_onnx,
    to_json,
    torch_reader,
)
from sector_cli.viz.network.onnx_reader import _path  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def _weight(name: str, shape: tuple[int, ...], dtype: str = "float32"):  # type: ignore[no-untyped-def]
    import numpy as np

    return numpy_helper.from_array(np.zeros(shape, dtype=dtype), name)


def _save(path: Path, nodes, inputs, outputs, inits, opsets=(("", 17),)) -> Path:  # type: ignore[no-untyped-def]
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    onnx.save(model, str(path))
    return path


def cnn(path: Path) -> Path:
    """Conv(3->8, 3x3, pad 1) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm(512->10), named like
    PyTorch's exporter names nodes."""
    nodes = [
        helper.make_node(
            "Conv", ["x", "conv.w", "conv.b"], ["c"], "/features/conv/Conv",
            kernel_shape=[3, 3], pads=[1, 1, 1, 1],
        ),
        helper.make_node("Relu", ["c"], ["r"], "/features/relu/Relu"),
        helper.make_node(
            "MaxPool", ["r"], ["p"], "/features/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]
        ),
        helper.make_node("Flatten", ["p"], ["f"], "/flatten/Flatten"),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["y"], "/classifier/fc/Gemm", transB=1),
    ]  # fmt: skip
    return _save(
        path,
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [
            _weight("conv.w", (8, 3, 3, 3)),
            _weight("conv.b", (8,)),
            _weight("fc.w", (10, 512)),
            _weight("fc.b", (10,)),
        ],
    )


# By hand: conv 8*3*3*3 + 8 weights, 1x8x16x16 = 2048 outputs of 27 multiply-adds, + bias.
CNN = {
    "/features/conv/Conv": ([1, 8, 16, 16], 224, 2 * 2048 * 27 + 2048),
    "/features/relu/Relu": ([1, 8, 16, 16], 0, 2048),
    "/features/pool/MaxPool": ([1, 8, 8, 8], 0, 512 * 4),
    "/flatten/Flatten": ([1, 512], 0, 0),
    "/classifier/fc/Gemm": ([1, 10], 5130, 2 * 10 * 512 + 10),
}


def mlp(path: Path) -> Path:
    """A symbolic batch N: Reshape (an int64 shape: not a parameter) -> MatMul + Add -> Relu
    -> Gemm -> Softmax, named with dots."""
    nodes = [
        helper.make_node("Reshape", ["x", "shape"], ["flat"], "reshape"),
        helper.make_node("MatMul", ["flat", "fc1.w"], ["h0"], "mlp.fc1.matmul"),
        helper.make_node("Add", ["h0", "fc1.b"], ["h1"], "mlp.fc1.add"),
        helper.make_node("Relu", ["h1"], ["h2"], "mlp.relu"),
        helper.make_node("Gemm", ["h2", "fc2.w", "fc2.b"], ["logits"], "mlp.fc2"),
        helper.make_node("Softmax", ["logits"], ["y"], "softmax", axis=1),
    ]
    shape = numpy_helper.from_array(__import__("numpy").array([-1, 784], dtype="int64"), "shape")
    return _save(
        path,
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [
            shape,
            _weight("fc1.w", (784, 128)),
            _weight("fc1.b", (128,)),
            _weight("fc2.w", (128, 10)),
            _weight("fc2.b", (10,)),
        ],
    )


def mlp_by_hand(batch: int) -> dict[str, tuple[list[int], int, int]]:
    return {
        "reshape": ([batch, 784], 0, 0),
        "mlp.fc1.matmul": ([batch, 128], 784 * 128, 2 * batch * 128 * 784),
        "mlp.fc1.add": ([batch, 128], 128, batch * 128),
        "mlp.relu": ([batch, 128], 0, batch * 128),
        "mlp.fc2": ([batch, 10], 128 * 10 + 10, 2 * batch * 10 * 128 + batch * 10),
        "softmax": ([batch, 10], 0, 3 * batch * 10),
    }


def _nn(sector, *args: str):  # type: ignore[no-untyped-def]
    return sector("viz", "nn", *args)


def _json(sector, *args: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    result = _nn(sector, *args, "--json")
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


def _check_layers(data: dict, expected: dict) -> None:  # type: ignore[type-arg]
    layers = {layer["name"]: layer for layer in data["layers"]}
    assert set(layers) == set(expected)
    for name, (shape, params, flops) in expected.items():
        assert layers[name]["output_shapes"][0] == shape, name
        assert layers[name]["params"] == params, name
        assert layers[name]["flops"] == flops, name
    assert data["totals"]["params"] == sum(p for _, p, _ in expected.values())
    assert data["totals"]["flops"] == sum(f for _, _, f in expected.values())


# ONNX -----------------------------------------------------------------------------------------


def test_cnn_shapes_parameters_and_flops(sector, tmp_path: Path) -> None:
    data = _json(sector, str(cnn(tmp_path / "cnn.onnx")))
    _check_layers(data, CNN)
    assert data["format"] == "onnx" and data["totals"]["layers"] == 5
    assert data["outputs"] == [{"name": "y", "shape": [1, 10]}]
    assert data["totals"]["unknown_flops_layers"] == 0


def test_mlp_with_a_symbolic_batch_set_by_input_shape(sector, tmp_path: Path) -> None:
    path = mlp(tmp_path / "mlp.onnx")
    data = _json(sector, str(path), "--input-shape", "4,1,28,28")
    _check_layers(data, mlp_by_hand(4))
    assert data["inputs"] == [{"name": "x", "shape": [4, 1, 28, 28]}]
    symbolic = _json(sector, str(path))  # N counts as 1, and a note says so
    assert symbolic["inputs"][0]["shape"] == ["N", 1, 28, 28]
    assert symbolic["totals"]["flops"] == sum(f for _, _, f in mlp_by_hand(1).values())
    assert any("symbolic sizes (N, ?) count as 1" in note for note in symbolic["notes"])
    assert symbolic["layers"][1]["output_shapes"] == [["?", 128]]


def test_blocks_collapse_by_default_and_expand(sector, tmp_path: Path) -> None:
    path = mlp(tmp_path / "mlp.onnx")
    rows = _json(sector, str(path), "-s", "4,1,28,28")["rows"]
    assert [(r["kind"], r["name"], r["expanded"]) for r in rows] == [
        ("layer", "reshape", None),
        ("block", "mlp", False),
        ("layer", "softmax", None),
    ]
    hand = mlp_by_hand(4)
    inside = [hand[n] for n in ("mlp.fc1.matmul", "mlp.fc1.add", "mlp.relu", "mlp.fc2")]
    assert rows[1]["params"] == sum(p for _, p, _ in inside)
    assert rows[1]["flops"] == sum(f for _, _, f in inside)
    assert rows[1]["output_shape"] == [4, 10]  # what leaves the block

    one = _json(sector, str(path), "-s", "4,1,28,28", "--expand", "mlp")["rows"]
    assert [r["name"] for r in one] == [
        "reshape",
        "mlp",
        "mlp.fc1",
        "mlp.relu",
        "mlp.fc2",
        "softmax",
    ]
    assert one[2]["kind"] == "block" and not one[2]["expanded"] and one[2]["depth"] == 1

    inner = _json(sector, str(path), "-s", "4,1,28,28", "--expand", "fc1")["rows"]  # short name
    assert [r["name"] for r in inner][2:5] == ["mlp.fc1", "mlp.fc1.matmul", "mlp.fc1.add"]
    assert inner[1]["expanded"] and inner[2]["expanded"]  # its parent opens too

    every = _json(sector, str(path), "-s", "4,1,28,28", "--expand", "all")["rows"]
    assert [r["name"] for r in every if r["kind"] == "layer"] == list(hand)

    terminal = _nn(sector, str(path), "-s", "4,1,28,28")
    assert terminal.exit_code == 0
    lines = terminal.stdout.splitlines()
    block = next(line for line in lines if "\u25b8 mlp" in line)
    assert "\u25b8 mlp" in block and "4\u00d710" in block and "101,770" in block
    assert "mlp.fc1.matmul" not in terminal.stdout
    total = next(line for line in lines if line.startswith("Total"))
    assert "101,770" in total and "814k" in total
    assert "--expand" in terminal.stdout

    unknown = _nn(sector, str(path), "--expand", "nope")
    assert unknown.exit_code == 2 and "no block named 'nope'" in unknown.stderr
    assert "mlp" in unknown.stderr


def test_blocks_from_pytorch_exporter_names(sector, tmp_path: Path) -> None:
    data = _json(sector, str(cnn(tmp_path / "cnn.onnx")))
    assert [(r["name"], r["kind"]) for r in data["rows"]] == [
        ("features", "block"),
        ("/flatten/Flatten", "layer"),  # a block of one layer is that layer
        ("/classifier/fc/Gemm", "layer"),
    ]
    assert data["rows"][0]["flops"] == sum(CNN[n][2] for n in list(CNN)[:3])
    assert [layer["block"] for layer in data["layers"]] == ["features"] * 3 + [None, None]
    assert data["blocks"] == [
        {
            "name": "features",
            "layers": 3,
            "params": 224,
            "flops": sum(CNN[n][2] for n in list(CNN)[:3]),
            "unknown_flops_layers": 0,
        }
    ]
    opened = _json(sector, str(cnn(tmp_path / "cnn.onnx")), "--expand", "/features")["rows"]
    assert [r["name"] for r in opened][1:4] == list(CNN)[:3]


def test_lstm_and_unknown_ops(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("LSTM", ["x", "W", "R", "B"], ["all", "h", "c"], "lstm", hidden_size=20),
        helper.make_node("Swizzle", ["all"], ["y"], "custom", domain="com.example"),
    ]
    path = _save(
        tmp_path / "rnn.onnx",
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 2, 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [_weight("W", (1, 80, 10)), _weight("R", (1, 80, 20)), _weight("B", (1, 160))],
        opsets=(("", 17), ("com.example", 1)),
    )
    view = make_view(read_onnx(path))
    lstm, custom = view.network.layers
    assert lstm.params == 800 + 1600 + 160
    # 5 steps x 2 batch items x (2*4*20*(10+20) products + 2*4*20 biases)
    assert lstm.flops == 5 * 2 * (2 * 4 * 20 * 30 + 2 * 4 * 20)
    assert view.network.shape("all") == (5, 1, 2, 20)
    assert custom.flops is None and custom.op == "com.example.Swizzle"
    data = to_json(view)
    assert data["totals"]["unknown_ops"] == ["com.example.Swizzle"]
    assert data["totals"]["flops"] == lstm.flops  # unknown ones left out, and counted apart
    assert data["rows"][1]["flops"] is None


def test_batchnorm_statistics_are_not_parameters(tmp_path: Path) -> None:
    nodes = [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], "bn")]
    path = _save(
        tmp_path / "bn.onnx",
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 6, 4, 4])],
        [_weight(n, (6,)) for n in "sbmv"],
    )
    network = read_onnx(path)
    assert network.layers[0].params == 12  # scale and bias, as PyTorch counts them
    assert network.layers[0].flops == 2 * 2 * 6 * 16


def test_nodes_that_compute_constants_are_not_layers(tmp_path: Path) -> None:
    """PyTorch's exporter copies shared weights with Identity nodes: their weights count for
    the layer that reads them."""
    nodes = [
        helper.make_node("Identity", ["w"], ["w_copy"], "Identity_0"),
        helper.make_node("MatMul", ["x", "w_copy"], ["y"], "/fc/MatMul"),
    ]
    path = _save(
        tmp_path / "shared.onnx",
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 7])],
        [_weight("w", (5, 7))],
    )
    network = read_onnx(path)
    assert [layer.name for layer in network.layers] == ["/fc/MatMul"]
    assert network.layers[0].params == 35 and network.total_params == 35
    assert network.layers[0].flops == 2 * 3 * 7 * 5
    assert any("1 node(s) computing constants" in note for note in network.notes)


def _network(names: list[str], separator: str) -> Network:
    """Layers in a chain, with names only: for the block rules."""
    layers = [
        Layer(name, "Relu", [f"t{i}"], [f"t{i + 1}"], 1, 2, _path(name, separator))
        for i, name in enumerate(names)
    ]
    shapes: dict[str, Shape | None] = {f"t{i}": (1, i) for i in range(len(names) + 1)}
    return Network(
        "chain",
        "onnx",
        layers,
        [Tensor("t0", (1, 0))],
        [Tensor(f"t{len(names)}", (1, len(names)))],
        shapes,
        len(names),
        separator,
    )


def test_block_rules() -> None:
    # One block around everything is opened; a block holding only another block merges.
    names = ["/m/a/b/Conv", "/m/a/b/Relu", "/m/c/Relu", "/m/c/Relu_1"]
    view = make_view(_network(names, "/"))
    assert [(r.name, r.kind, r.expanded, r.depth) for r in view.rows] == [
        ("m", "block", True, 0),
        ("m/a", "block", False, 1),
        ("m/c", "block", False, 1),
    ]
    assert [e.source for e in view.edges] == [-1, 1, 2]  # input -> m/a -> m/c -> output
    assert view.rows[1].params == 2 and view.rows[1].flops == 4
    assert view.rows[1].shape == (1, 2)  # the tensor leaving the block
    merged = make_view(_network(names, "/"), ["b"])  # m/a/b is an alias of m/a
    assert [r.name for r in merged.rows][1:4] == ["m/a", "/m/a/b/Conv", "/m/a/b/Relu"]
    with pytest.raises(UsageError, match="ambiguous"):
        make_view(_network(["x.a.l1", "x.a.l2", "y.a.l1", "y.a.l2"], "."), ["a"])


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("bad.onnx", b"this is not a model\x00\xff\xfe" * 10, "not a valid ONNX model"),
        ("empty.onnx", b"", "is empty"),
        ("model.pt", b"weights", "holds weights, not the architecture"),
        ("model.txt", b"text", "unsupported model format '.txt'"),
    ],
)
def test_bad_files_are_one_line_usage_errors(sector, tmp_path: Path, name, content, words) -> None:
    (tmp_path / name).write_bytes(content)
    result = _nn(sector, str(tmp_path / name))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert words in result.stderr
    if name.endswith(".txt"):
        assert ".onnx" in result.stderr and ".py" in result.stderr
    as_json = _nn(sector, str(tmp_path / name), "--json")
    error = json.loads(as_json.stderr)
    assert as_json.exit_code == 2 and words in f"{error['error']}. {error['hint']}"


def test_missing_file_and_bad_shapes(sector, tmp_path: Path) -> None:
    missing = _nn(sector, str(tmp_path / "ghost.onnx"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    path = str(cnn(tmp_path / "cnn.onnx"))
    for shape, words in [
        ("1,3,x", "bad --input-shape"),
        ("0,3", "bad --input-shape"),
        ("1,3,16", "has 4 dimensions"),
        ("1,4,16,16", "has size 3 in dimension 1"),
        ("1,3,16,16;1,2", "has 1 input(s)"),
    ]:
        result = _nn(sector, path, "--input-shape", shape)
        assert result.exit_code == 2 and words in result.stderr, (shape, result.stderr)
    module = _nn(sector, path, "--module", "net")
    assert module.exit_code == 2 and "--module is for Python files" in module.stderr


def _texts_of_svg(text: str) -> list[str]:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_svg_and_html_drawings(sector, tmp_path: Path) -> None:
    path = str(cnn(tmp_path / "cnn.onnx"))
    assert _nn(sector, path, "--out", str(tmp_path / "cnn.svg")).exit_code == 0
    svg = (tmp_path / "cnn.svg").read_text(encoding="utf-8")
    texts = _texts_of_svg(svg)
    assert any(t.startswith("\u25b8 features") and "3 layers" in t for t in texts)
    assert any("/classifier/fc/Gemm" in t and "Gemm" in t for t in texts)
    assert "1\u00d78\u00d78\u00d78" in texts  # the shape on the edge out of the block
    assert "1\u00d7512" in texts and "1\u00d710" in texts
    assert any(t.startswith("Total") and "5,354 parameters" in t for t in texts)
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}line"))) == 4  # input, block, flatten, fc, output

    opened = _nn(sector, path, "-e", "all", "-o", str(tmp_path / "all.svg"))
    assert opened.exit_code == 0
    texts = _texts_of_svg((tmp_path / "all.svg").read_text(encoding="utf-8"))
    assert any(t.startswith("/features/conv/Conv") for t in texts)
    assert any(t.startswith("\u25be features") for t in texts)  # the open block's frame
    assert "1\u00d78\u00d716\u00d716" in texts

    html_result = _nn(sector, path, "--json", "-o", str(tmp_path / "cnn.html"))
    assert json.loads(html_result.stdout)["out"] == str(tmp_path / "cnn.html")

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.text: list[str] = []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.tags.append(tag)

        def handle_data(self, data: str) -> None:
            self.text.append(data)

    page = Page()
    page.feed((tmp_path / "cnn.html").read_text(encoding="utf-8"))
    text = "".join(page.text)
    assert {"svg", "figure", "figcaption", "rect"} <= set(page.tags)
    assert "cnn.onnx (ONNX)" in text
    caption = text[text.index("Layer") :]
    assert "features" in caption and "/classifier/fc/Gemm" in caption
    assert "5,354" in caption and "Total" in caption


def test_huge_models_are_drawn_truncated(sector, tmp_path: Path) -> None:
    count = 600
    nodes = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"], f"relu{i}") for i in range(count)]
    path = _save(
        tmp_path / "deep.onnx",
        nodes,
        [helper.make_tensor_value_info("t0", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info(f"t{count}", TensorProto.FLOAT, [1, 4])],
        [],
    )
    data = _json(sector, str(path))
    assert len(data["layers"]) == count and data["totals"]["flops"] == 4 * count
    terminal = _nn(sector, str(path))
    assert "200 more rows" in terminal.stdout
    assert _nn(sector, str(path), "-o", str(tmp_path / "deep.svg")).exit_code == 0
    texts = _texts_of_svg((tmp_path / "deep.svg").read_text(encoding="utf-8"))
    assert any(t.startswith("\u2026 450 more rows (450 layers)") for t in texts)
    assert sum(1 for t in texts if t.startswith("relu")) == 150


# The local runner's read-only folders ---------------------------------------------------------


@pytest.fixture
def public_folder() -> Iterator[Path]:
    """A folder the sandbox's user (nobody, when the tests run as root) can read."""
    folder = Path(tempfile.mkdtemp(prefix="sector-nn-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_read_only_folders_in_the_bubblewrap_command(public_folder: Path, tmp_path) -> None:
    folder = str(public_folder)
    argv = bwrap_command("bwrap", tmp_path, ["true"], Limits(), {"/opt/tools": folder})
    at = argv.index("/opt/tools")
    assert argv[at - 2 : at + 1] == ["--ro-bind", folder, "/opt/tools"]
    assert argv.index("--remount-ro") > at
    for bad in ("opt/x", "/work/x", "/usr/lib/x", "/opt/../etc", "/", "/tmp"):
        with pytest.raises(UsageError):
            bwrap_command("bwrap", tmp_path, ["true"], Limits(), {bad: folder})
    with pytest.raises(PluginError, match="does not exist"):
        bwrap_command("bwrap", tmp_path, ["true"], Limits(), {"/opt/x": folder + "/no"})
    if os.geteuid() == 0:  # the sandbox runs as nobody, who cannot enter a private folder
        private = public_folder / "private"
        private.mkdir(mode=0o700)
        with pytest.raises(PluginError, match="cannot read"):
            bwrap_command("bwrap", tmp_path, ["true"], Limits(), {"/opt/x": str(private)})
    job = RunJob("python", {}, ["true"], read_only={"/opt/tools": "/srv"})
    assert RunJob.from_json(job.to_json()) == job
    old = json.loads(job.to_json())
    del old["read_only"]  # a run recorded before the field existed
    assert RunJob.from_json(json.dumps(old).encode()).read_only == {}


def test_a_read_only_folder_in_the_local_sandbox(local_runner, public_folder: Path) -> None:
    import asyncio

    (public_folder / "hello.txt").write_text("from the host\n")
    (public_folder / "hello.txt").chmod(0o644)
    script = "cat /opt/shared/hello.txt; touch /opt/shared/new 2>/dev/null || echo read-only"
    job = RunJob(
        "shell", {}, ["/bin/sh", "-c", script], read_only={"/opt/shared": str(public_folder)}
    )

    async def collect() -> tuple[bytes, RunFinished | None]:
        out, finished = b"", None
        async for event in local_runner.run(job):
            if isinstance(event, Output) and event.stream == "stdout":
                out += event.data
            elif isinstance(event, RunFinished):
                finished = event
        return out, finished

    out, finished = asyncio.run(collect())
    assert finished is not None and finished.verdict is Verdict.ACCEPTED
    assert out == b"from the host\nread-only\n"
    assert not (public_folder / "new").exists()


# PyTorch --------------------------------------------------------------------------------------

SEQUENTIAL = """\
import torch
from torch import nn

print("printed by the model file")  # goes to stderr, not into the JSON
model = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1),
    nn.BatchNorm2d(8),
    nn.ReLU(inplace=True),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(8 * 16 * 16, 10),
)
"""

NESTED = """\
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(self.act(x)))) + x  # act: called twice


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.body = nn.Sequential(Block(16), Block(16), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16, 4))
        self.rnn = nn.LSTM(4, 6, batch_first=True)

    def forward(self, x):
        x = self.head(self.body(self.stem(x)))
        out, _ = self.rnn(x.unsqueeze(1))
        return out


def build():
    return Net()


if __name__ == "__main__":
    raise SystemExit("training loop: not run by sector viz nn")
"""


def _torch_truth(path: Path, shape: tuple[int, ...]) -> dict[str, tuple[list[int], int]]:
    """What torch itself says: each leaf module's output shape and parameter count."""
    import torch

    namespace = runpy.run_path(str(path), run_name="truth")
    model = namespace["model"] if "model" in namespace else namespace["build"]()
    model.eval()
    seen: dict[str, tuple[list[int], int]] = {}
    names = {id(m): n for n, m in model.named_modules()}

    def hook(module, args, output) -> None:  # type: ignore[no-untyped-def]
        first = output[0] if isinstance(output, tuple) else output
        params = sum(p.numel() for p in module.parameters())
        seen[names[id(module)]] = (list(first.shape), params)

    for module in model.modules():
        if not list(module.children()):
            module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(shape))
    seen["(total)"] = ([], sum(p.numel() for p in model.parameters()))
    return seen


def _probe_directly(path: Path, shapes: list[list[int]], module: str | None = None) -> dict:  # type: ignore[type-arg]
    """The probe run by the sandbox's python the way the sandbox runs it, minus bubblewrap
    (for machines without it; the sandbox tests below run it for real)."""
    config = {
        "file": str(path),
        "shapes": shapes,
        "module": module,
        "paths": torch_reader.package_folders(),
    }
    command = [torch_reader.sandbox_python(), "-I", "-S", str(torch_reader.PROBE)]
    done = subprocess.run(
        [*command, json.dumps(config)], capture_output=True, text=True, timeout=120, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith(torch_reader.MARKER))
    result: dict = json.loads(line[len(torch_reader.MARKER) :])  # type: ignore[type-arg]
    return result


def _compare_with_torch(layers: list[dict], truth: dict, total: int) -> None:  # type: ignore[type-arg]
    by_name = {layer["name"]: layer for layer in layers}
    for name, (shape, params) in truth.items():
        if name == "(total)":
            assert total == params
            continue
        assert by_name[name]["output_shapes"][0] == shape, name
        assert by_name[name]["params"] == params, name


def test_the_probe_matches_torch(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    path = tmp_path / "nested.py"
    path.write_text(NESTED)
    result = _probe_directly(path, [[2, 3, 8, 8]])
    assert result["ok"], result
    network = torch_reader.to_network(path.name, result)
    data = to_json(make_view(network))
    _compare_with_torch(data["layers"], _torch_truth(path, (2, 3, 8, 8)), network.total_params)
    layers = {layer.name: layer for layer in network.layers}
    assert layers["stem"].flops == 2 * (2 * 16 * 8 * 8) * (3 * 9) + 2 * 16 * 8 * 8
    assert layers["rnn"].flops == 2 * 1 * (2 * 4 * 6 * (4 + 6) + 2 * 4 * 6)  # as for ONNX
    assert [r["name"] for r in data["rows"]] == ["stem", "body", "head", "rnn"]
    acts = [layer for layer in data["layers"] if layer["name"] == "body.0.act"]
    assert [layer.get("call", 1) for layer in acts] == [1, 2]
    assert acts[0]["params"] == acts[1]["params"] == 0
    rows = to_json(make_view(network, ["body.0"]))["rows"]
    assert [r["op"] for r in rows if r["name"] == "body.0.act"] == ["ReLU", "ReLU (call 2)"]
    assert data["rows"][1]["output_shape"] == [2, 16, 1, 1]  # measured at the block's exit
    missing = _probe_directly(path, [[2, 3, 8, 8]], module="Missing")
    assert missing["kind"] == "usage" and "defines no 'Missing'" in missing["error"]
    assert "Net" in missing["hint"]


def test_torch_missing_from_the_sandbox_python_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SEQUENTIAL)
    config = {"file": str(path), "shapes": [[1, 3, 4, 4]], "module": None, "paths": []}
    command = [torch_reader.sandbox_python(), "-I", "-S", str(torch_reader.PROBE)]
    done = subprocess.run([*command, json.dumps(config)], capture_output=True, text=True)
    result = json.loads(done.stdout.split(torch_reader.MARKER)[1])
    assert result["kind"] == "torch" and "torch cannot be imported" in result["error"]
    assert "pip install torch" in result["hint"]


def test_torch_missing_where_sector_runs_names_the_fix(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(PluginError, match="torch is not installed") as raised:
        torch_reader.package_folders()
    assert "pip install torch" in (raised.value.hint or "")


def test_without_bubblewrap_a_python_model_names_the_fix(sector, tmp_path, monkeypatch) -> None:
    path = tmp_path / "m.py"
    path.write_text(SEQUENTIAL)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    result = _nn(sector, str(path), "-s", "1,3,32,32")
    assert result.exit_code == 1
    assert "local sandbox" in result.stderr and "bubblewrap" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_python_model_needs_an_input_shape(sector, tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SEQUENTIAL)
    result = _nn(sector, str(path))
    assert result.exit_code == 2 and "--input-shape" in result.stderr


def test_a_sequential_in_the_sandbox(sector, tmp_path: Path, local_runner, monkeypatch) -> None:
    path = tmp_path / "seq.py"
    path.write_text(SEQUENTIAL)
    monkeypatch.setenv("SECTOR_RUNNER", "docker")  # the image has no torch: local, and a warning
    result = _nn(sector, str(path), "--input-shape", "1,3,32,32", "--json")
    assert result.exit_code == 0, result.output
    assert "no torch" in result.stderr and "printed by the model file" not in result.stdout
    data = json.loads(result.stdout)
    _compare_with_torch(
        data["layers"], _torch_truth(path, (1, 3, 32, 32)), data["totals"]["params"]
    )
    assert [layer["op"] for layer in data["layers"]] == [
        "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear"
    ]  # fmt: skip
    assert data["totals"]["params"] == (8 * 27 + 8) + 16 + (2048 * 10 + 10)
    assert data["outputs"][0]["shape"] == [1, 10]
    terminal = _nn(sector, str(path), "-s", "1,3,32,32")
    assert (
        terminal.exit_code == 0 and "Conv2d" in terminal.stdout and "1\u00d710" in terminal.stdout
    )


def test_a_module_with_submodules_in_the_sandbox(sector, tmp_path: Path, local_runner) -> None:
    path = tmp_path / "nested.py"
    path.write_text(NESTED)
    out = tmp_path / "nested.svg"
    result = _nn(sector, str(path), "-s", "2,3,8,8", "--expand", "body", "--json", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    _compare_with_torch(data["layers"], _torch_truth(path, (2, 3, 8, 8)), data["totals"]["params"])
    rows = [(r["name"], r["kind"]) for r in data["rows"]]
    assert rows[:4] == [
        ("stem", "layer"),
        ("body", "block"),
        ("body.0", "block"),
        ("body.1", "block"),
    ]
    assert ("head", "block") in rows
    texts = _texts_of_svg(out.read_text(encoding="utf-8"))
    assert any(t.startswith("\u25b8 body.0") for t in texts)
    assert "2\u00d716\u00d78\u00d78" in texts


def test_errors_of_the_learners_file_in_the_sandbox(sector, tmp_path, local_runner) -> None:
    path = tmp_path / "broken.py"
    path.write_text("import torch\n\nmodel = torch.nn.Linear(4, 2)\nraise ValueError('oops')\n")
    result = _nn(sector, str(path), "-s", "1,4")
    assert result.exit_code == 2
    assert "broken.py raised ValueError: oops (line 4) while loading it" in result.stderr
    path.write_text("import torch\n\nmodel = torch.nn.Linear(4, 2)\n")
    wrong = _nn(sector, str(path), "-s", "1,5")
    assert wrong.exit_code == 2 and "running the model on zeros of shape 1x5" in wrong.stderr
    nothing = tmp_path / "empty.py"
    nothing.write_text("x = 1\n")
    none = _nn(sector, str(nothing), "-s", "1,4")
    assert none.exit_code == 2 and "defines neither `model` nor `build()`" in none.stderr


def test_the_probe_is_plain_python() -> None:
    """The probe runs without Sector: it may import only the standard library and torch."""
    import ast

    tree = ast.parse(torch_reader.PROBE.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names) | {"torch"}
