"""The ONNX embedder: the same vectors as the PyTorch one, and a search that never imports
torch once the export exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sector_cli.plugins.embedders import onnx_export
from sector_cli.plugins.embedders.minilm import MiniLM
from sector_cli.plugins.embedders.minilm_onnx import MiniLMOnnx

TEXTS = [
    "How do closures capture variables in Python?",
    "x",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
    "Ünïcode, naïve café, 日本語のテキスト and emoji 🐍",
    "word " * 400,  # past the 256-token truncation
    "",
]


@pytest.fixture(scope="session")
def export_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("onnx-export")
    onnx_export.ensure(folder, quiet=True)
    return folder


@pytest.fixture(autouse=True)
def use_export(export_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SECTOR_EMBEDDER_CACHE", str(export_folder))
    return export_folder


def test_onnx_vectors_equal_the_pytorch_ones() -> None:
    onnx, torch = MiniLMOnnx(quantized_passages=False).embed(TEXTS), MiniLM().embed(TEXTS)
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert float((onnx * torch).sum(axis=1).min()) >= 0.999
    assert MiniLMOnnx().model_id() == MiniLM().model_id()
    query = MiniLMOnnx().embed_query(TEXTS[0])
    assert float(query @ torch[0]) >= 0.999


def test_int8_passages_stay_close_to_the_fp32_ones_and_queries_stay_fp32() -> None:
    fp32 = MiniLMOnnx(quantized_passages=False).embed(TEXTS)
    int8 = MiniLMOnnx().embed(TEXTS)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    similarity = (int8 * fp32).sum(axis=1)
    assert float(similarity.min()) >= 0.97 and float(similarity.mean()) >= 0.985
    assert not np.allclose(int8, fp32, atol=1e-4)  # the int8 graph really ran
    query = MiniLMOnnx().embed_query(TEXTS[0])
    assert float(query @ fp32[0]) >= 0.99999  # queries are embedded by the fp32 graph


def test_the_fingerprint_decides_when_to_export_again(export_folder: Path) -> None:
    assert onnx_export.current(export_folder) is not None
    recorded = json.loads((export_folder / onnx_export.FINGERPRINT).read_text())
    try:
        # Other mtimes but the same bytes (a reinstall): still current, stats refreshed.
        moved = {**recorded, "stats": {name: [0, 0] for name in onnx_export.SOURCES}}
        (export_folder / onnx_export.FINGERPRINT).write_text(json.dumps(moved))
        assert onnx_export.current(export_folder) is not None
        refreshed = json.loads((export_folder / onnx_export.FINGERPRINT).read_text())
        assert refreshed["stats"] == recorded["stats"]
        # Other bytes: stale.
        changed = {**moved, "sha256": "0" * 64}
        (export_folder / onnx_export.FINGERPRINT).write_text(json.dumps(changed))
        assert onnx_export.current(export_folder) is None
    finally:
        (export_folder / onnx_export.FINGERPRINT).write_text(json.dumps(recorded))


SEARCH_AND_REPORT = """
import sys
from sector_cli.__main__ import main
try:
    main()
finally:
    names = ("torch", "sentence_transformers", "transformers")
    heavy = sorted(m for m in names if m in sys.modules)
    print("HEAVY=" + ",".join(heavy), file=sys.stderr)
"""


def test_a_search_imports_neither_torch_nor_sentence_transformers(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Closures\n\nA closure keeps the variables of the scope it was made in.\n")
    environment = dict(os.environ)  # the default embedder
    sector = [sys.executable, "-c", SEARCH_AND_REPORT]
    added = subprocess.run(
        [*sector, "context", "add", str(notes)], env=environment, capture_output=True, text=True
    )
    assert added.returncode == 0, added.stderr
    found = subprocess.run(
        [*sector, "context", "search", "what does a closure keep?", "--json"],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stderr
    assert "notes.md" in found.stdout
    assert "HEAVY=\n" in found.stderr, found.stderr
