"""The context service: index documents, search them, scope them with sessions.

Front ends (CLI, MCP server, later TUI and language server) call only this facade. It keeps the
catalog (which documents are visible, removing them, collecting what interrupted writes left) and
hands adding to `ingest.Ingester` and searching to `search.Searcher`; `ingest` says how writes
keep the SQL catalog and LanceDB in step.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from sector_cli.context.hits import Hit
from sector_cli.context.index import ChunkIndex, ChunkRow
from sector_cli.context.ingest import AddEvent, Ingester
from sector_cli.context.search import Searcher
from sector_cli.context.stats import IndexStats, folder_size
from sector_cli.context.targets import absolute
from sector_cli.errors import ConfigError, NotFoundError, UsageError
from sector_cli.plugins.embedder import Embedder
from sector_cli.plugins.loader import Loader, UnreadableDocument
from sector_cli.plugins.reranker import Reranker
from sector_cli.store.engine import Store
from sector_cli.store.models import Document
from sector_cli.timeutil import utcnow
from sector_cli.workspace.scan import sha256_of

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# A generation reserved this long ago and never published belongs to a write that died.
PENDING_GRACE = timedelta(hours=1)


class Context:
    def __init__(
        self,
        store: Store,
        folder: Path,
        embedder: Embedder,
        reranker: Reranker,
        loaders: Sequence[Loader],
        max_size: int,
    ) -> None:
        self.store = store
        self.folder = folder
        self.embedder = embedder
        self.reranker = reranker
        self.loaders = {ext: loader for loader in reversed(loaders) for ext in loader.extensions}
        self.max_size = max_size
        self.ingester = Ingester(self)
        self.searcher = Searcher(self)

    @cached_property
    def index(self) -> ChunkIndex:
        return ChunkIndex(self.folder, self.embedder.model_id(), self.embedder.dimensions)

    def index_of(self, model_id: str, dimensions: int) -> ChunkIndex:
        if model_id == self.embedder.model_id():
            return self.index
        return ChunkIndex(self.folder, model_id, dimensions)

    # the catalog

    def documents(self, ids: Iterable[int] | None = None) -> list[Document]:
        with self.store.session() as session:
            # A row without a generation is reserved by a write in progress: not visible yet.
            query = select(Document).where(Document.generation != "").order_by(col(Document.path))
            if ids is not None:
                query = query.where(col(Document.id).in_(list(ids)))
            return list(session.exec(query).all())

    def document(self, ref: str) -> Document:
        """A document by number (`3`, `#3`), path, or a unique end of its path (`book.pdf`)."""
        documents = self.documents()
        cleaned = ref.strip().removeprefix("#")
        if cleaned.isdigit():
            for found in documents:
                if found.id == int(cleaned):
                    return found
        exact = [d for d in documents if d.path == str(absolute(ref))]
        if exact:
            return exact[0]
        tail = os.path.normpath(ref).removeprefix("./")
        ends = (
            [] if tail.startswith("..") else [d for d in documents if d.path.endswith("/" + tail)]
        )
        if len(ends) == 1:
            return ends[0]
        if len(ends) > 1:
            names = ", ".join(f"#{d.id} {d.path}" for d in ends[:5])
            raise UsageError(f"{ref!r} names several documents: {names}", "Give its number")
        raise NotFoundError(
            f"no document {ref!r} in the context index", "See them with `sector context ls`"
        )

    def resolve(self, refs: Iterable[str]) -> list[int]:
        return [self.document(ref).id or 0 for ref in refs]

    # adding

    def add(self, arguments: Sequence[str], prune: bool = False) -> Iterator[AddEvent]:
        """Index files, folders and globs; events report each file, progress and a summary."""
        return self.ingester.add(arguments, prune)

    def reindex(self) -> Iterator[AddEvent]:
        """Re-embed every document with the configured embedder and rebuild the indexes, from
        the stored chunks (the files are not needed), or from the file when they are lost."""
        return self.ingester.reindex()

    # removing, garbage

    def remove(self, ref: str) -> Document:
        document = self.document(ref)
        self.forget(document)
        return document

    def forget(self, document: Document) -> None:
        """Remove a document from the catalog, then its chunks."""

        def delete(session: Session) -> None:
            row = session.get(Document, document.id)
            if row is not None:
                session.delete(row)

        self.store.transaction(delete)  # invisible from here on
        self.index_of(document.embedder, self.embedder.dimensions).delete_generations(
            [document.generation]
        )

    def collect_garbage(self) -> int:
        """Delete chunks no catalog row points at (left by an interrupted write)."""
        keep = {d.generation for d in self.documents()} | self._pending_generations()
        orphans = [g for g in self.index.generations() if g not in keep]
        self.index.delete_generations(orphans)
        return len(orphans)

    def _pending_generations(self) -> set[str]:
        """Generations other writes are busy with (reserved, not yet published)."""
        since = utcnow() - PENDING_GRACE
        with self.store.session() as session:
            query = select(Document.pending).where(col(Document.pending_since) > since)
            return {g for g in session.exec(query).all() if g}

    def refuse_mixed_models(self, documents: list[Document]) -> None:
        model = self.embedder.model_id()
        other = {d.embedder for d in documents} - {model}
        if other:
            raise ConfigError(
                f"the context index holds vectors of {', '.join(sorted(other))}, "
                f"but the configured embedder makes {model} vectors",
                "Run `sector context reindex` to re-embed every document with it",
            )

    def stats(self) -> IndexStats:
        """What the index holds, and whether the catalog and the vectors agree."""
        documents = self.documents()
        formats: dict[str, int] = {}
        for document in documents:
            formats[document.format] = formats.get(document.format, 0) + 1
        visible = {d.generation: d.chunks for d in documents}
        generations = self.index.generations()
        hidden = sum(n for g, n in generations.items() if g not in visible)
        missing = sum(1 for g, n in visible.items() if generations.get(g, 0) != n)
        return IndexStats(
            documents=len(documents),
            chunks=sum(d.chunks for d in documents),
            formats=formats,
            pages=sum(d.pages or 0 for d in documents),
            bytes_indexed=sum(d.size for d in documents),
            embedder=self.embedder.model_id(),
            reranker=self.reranker.name,
            table=self.index.name,
            rows=sum(generations.values()),
            unreachable_rows=hidden,
            documents_out_of_step=missing,
            indexes=self.index.index_names(),
            folder=str(self.folder),
            size_on_disk=folder_size(self.folder),
        )

    # reading

    def chunks(self, document: Document) -> list[ChunkRow]:
        return self.index.rows(document.generation)

    def read(
        self, document: Document, page: int | None = None, lines: tuple[int, int] | None = None
    ) -> str:
        """A document's text, whole or one page, or a line range: from the file when it is
        unchanged (exact lines), else from the stored chunks."""
        if lines is not None and document.format not in ("pdf", "epub", "docx"):
            text = _file_lines(Path(document.path), document.sha256, lines)
            if text is not None:
                return text
        pieces = []
        for row in self.chunks(document):
            if page is not None and row.page != page:
                continue
            if lines is not None and not _overlaps(row, lines):
                continue
            pieces.append(row.body)
        if not pieces:
            where = (
                f" on page {page}"
                if page is not None
                else f" at lines {lines[0]}-{lines[1]}"
                if lines
                else ""
            )
            size = f"It has {document.pages} pages" if document.pages else "See its chunks"
            raise NotFoundError(
                f"document #{document.id} has no indexed text{where}",
                f"{size}: sector context show {document.id} --chunks",
            )
        return "\n\n".join(pieces)

    # searching

    def search(
        self,
        query: str,
        k: int = 5,
        documents: Sequence[int] | None = None,
        retriever: str = "hybrid",
        vector: NDArray[np.float32] | None = None,
    ) -> list[Hit]:
        """The k best passages for `query`, from every document or the ones given."""
        return self.searcher.search(query, k, documents, retriever, vector)


def _overlaps(row: ChunkRow, lines: tuple[int, int]) -> bool:
    if row.line_start is None or row.line_end is None:
        return False
    return row.line_start <= lines[1] and row.line_end >= lines[0]


def _file_lines(path: Path, sha256: str, lines: tuple[int, int]) -> str | None:
    """Exactly those lines, counted as the loaders count them (only \n ends a line)."""
    from sector_cli.plugins.loaders.common import read_text

    try:
        if sha256_of(path) != sha256:
            return None
        text = read_text(path).split("\n")
    except (OSError, UnreadableDocument):
        return None
    start, end = lines
    if start < 1 or start > len(text):
        return None
    return "\n".join(text[start - 1 : end])
