"""What the context service's parts (ingest, search) share: the Context they work for."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sector_cli.context.index import ChunkIndex
    from sector_cli.context.service import Context
    from sector_cli.plugins.embedder import Embedder
    from sector_cli.store.engine import Store


class ContextPart:
    """A part of a Context's work. It reads the store, embedder and index through the Context
    each time, so a Context whose embedder is swapped (tests, `reindex`) is seen at once."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @property
    def store(self) -> Store:
        return self.context.store

    @property
    def embedder(self) -> Embedder:
        return self.context.embedder

    @property
    def index(self) -> ChunkIndex:
        return self.context.index
