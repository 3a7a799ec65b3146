"""Contract for `sector.embedders` plugins: turn text into vectors for the context index.

The index records `model_id()` and refuses to mix vectors of two models: switching embedders
takes `sector context reindex`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from sector_cli.plugins.base import Plugin

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class Embedder(Plugin):
    """Embeds passages and queries as unit-length float32 vectors of `dimensions` numbers."""

    kind: ClassVar[str] = "embedders"
    dimensions: ClassVar[int] = 0
    # How many texts one `embed` call should get: the context service batches by it.
    batch_size: ClassVar[int] = 64

    @abstractmethod
    def model_id(self) -> str:
        """What the index records: two embedders with the same id make compatible vectors."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit-length row per text, in order. Raises PluginError when the model cannot
        be loaded."""

    def load(self) -> None:
        """Get ready to embed (load the model) now rather than at the first call, so that
        indexing rates can be timed without it. Optional."""

    def embed_query(self, text: str) -> NDArray[np.float32]:
        """A query's vector (models trained with query prefixes override this)."""
        vector: NDArray[np.float32] = self.embed([text])[0]
        return vector

    @classmethod
    def contract_problems(cls) -> list[str]:
        problems = super().contract_problems()
        if cls.dimensions <= 0:
            problems.append("dimensions must be the length of the vectors it makes")
        return problems
