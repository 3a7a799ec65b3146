"""The context service: index documents, search them, scope them with sessions.

Front ends (CLI, MCP server, later TUI and language server) call only this. Writes follow one
protocol so that the SQL catalog and LanceDB always agree on what is visible: chunks are written
under a fresh generation, then the catalog row is pointed at it in one transaction, then the old
generation is deleted. An `add` killed at any point leaves the previous state visible, and the
next `add` collects what it left behind.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from sector_cli.context.chunking import Chunk, chunk_passages
from sector_cli.context.hits import Hit
from sector_cli.context.index import ChunkIndex, ChunkRow, Found
from sector_cli.context.targets import Target, absolute, expand, regular_file_size
from sector_cli.errors import ConfigError, NotFoundError, UsageError
from sector_cli.plugins.embedder import Embedder
from sector_cli.plugins.loader import Loader, UnreadableDocument
from sector_cli.plugins.reranker import Candidate, Reranker
from sector_cli.store.engine import Store
from sector_cli.store.models import Document
from sector_cli.timeutil import utcnow
from sector_cli.workspace.scan import sha256_of

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Chunks embedded and written together: large batches embed faster and make fewer, larger
# LanceDB fragments; small enough that an interrupted `add` loses little work.
FLUSH_CHUNKS = 512
# A generation reserved this long ago and never published belongs to a write that died.
PENDING_GRACE = timedelta(hours=1)
RETRIEVERS = ("hybrid", "vector", "bm25")


@dataclass(frozen=True)
class Indexed:
    path: str
    status: str  # added | updated | unchanged
    chunks: int


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Progress:
    files_done: int
    files_total: int
    chunks: int  # embedded so far
    seconds: float


@dataclass(frozen=True)
class Pruned:
    path: str


@dataclass
class Summary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    pruned: int = 0
    chunks: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0  # loading the embedding model: not part of the rate

    @property
    def chunks_per_second(self) -> float:
        working = self.seconds - self.load_seconds
        return self.chunks / working if working > 0 else 0.0


AddEvent = Indexed | Skipped | Progress | Pruned | Summary


@dataclass
class _Pending:
    """A document read and chunked, waiting for its batch to be embedded and written."""

    path: Path
    format: str
    sha256: str
    size: int
    chunks: list[Chunk]
    old: Document | None
    generation: str = field(default_factory=lambda: uuid.uuid4().hex)


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

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="sector-search")

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
        self._refuse_mixed_models(self.documents())
        started = time.perf_counter()
        summary = Summary()
        targets = list(expand(arguments, frozenset(self.loaders)))
        known = {d.path: d for d in self.documents()}
        pending: list[_Pending] = []
        done = 0

        def progress() -> Progress:
            return Progress(done, len(targets), summary.chunks, time.perf_counter() - started)

        for target in targets:
            result = self._prepare(target, known.get(str(target.path)))
            if isinstance(result, _Pending):
                pending.append(result)
                if sum(len(p.chunks) for p in pending) >= FLUSH_CHUNKS:
                    yield from self._flush(pending, summary)
                    pending = []
            else:
                summary.unchanged += isinstance(result, Indexed)
                summary.skipped += isinstance(result, Skipped)
                yield result
            done += 1
            yield progress()
        yield from self._flush(pending, summary)
        if prune:
            yield from self._prune(arguments, summary)
        self.collect_garbage()  # what interrupted writes left, now that ours is published
        self.index.refresh_indexes()
        summary.seconds = time.perf_counter() - started
        yield progress()
        yield summary

    def _prepare(self, target: Target, old: Document | None) -> _Pending | Indexed | Skipped:
        shown = str(target.path)
        if target.skipped:
            return Skipped(shown, target.skipped)
        try:
            size = regular_file_size(target.path)
            if size > self.max_size:
                return Skipped(
                    shown,
                    f"is {_megabytes(size)}, over the {_megabytes(self.max_size)} limit "
                    "(raise it with `sector config set context.max_size 1G`)",
                )
            digest = sha256_of(target.path)
        except OSError as exc:
            return Skipped(shown, _os_reason(exc))
        if old is not None and old.sha256 == digest:
            return Indexed(shown, "unchanged", old.chunks)
        loader = self.loaders[target.path.suffix.lower()]
        try:
            chunks = list(chunk_passages(loader.load(target.path)))
        except UnreadableDocument as exc:
            return Skipped(shown, exc.one_line())
        except OSError as exc:
            return Skipped(shown, _os_reason(exc))
        except Exception as exc:  # a library choking on a malformed file: report, go on
            return Skipped(shown, f"cannot be read ({type(exc).__name__}: {_one_line(exc)})")
        if not chunks:
            why = (
                " (a scanned PDF needs OCR first)" if loader.format_of(target.path) == "pdf" else ""
            )
            return Skipped(shown, f"has no text to index{why}")
        return _Pending(target.path, loader.format_of(target.path), digest, size, chunks, old)

    def _flush(self, pending: list[_Pending], summary: Summary) -> Iterator[AddEvent]:
        if not pending:
            return
        if not summary.chunks:
            started = time.perf_counter()
            self.embedder.load()
            summary.load_seconds += time.perf_counter() - started
        rows = [row for item in pending for row in _rows(0, item.generation, item.chunks)]
        contents = [chunk.content for item in pending for chunk in item.chunks]
        vectors = self.embedder.embed(contents)
        ids = self.store.transaction(lambda session: self._reserve_ids(session, pending))
        offset = 0
        for item, document_id in zip(pending, ids, strict=True):
            for seq in range(len(item.chunks)):
                rows[offset + seq] = replace(rows[offset + seq], document_id=document_id)
            offset += len(item.chunks)
        self.index.add(rows, contents, vectors)
        self.store.transaction(lambda session: self._publish(session, pending, ids))
        self.index.delete_generations(i.old.generation for i in pending if i.old is not None)
        for item in pending:
            status = "updated" if item.old is not None else "added"
            summary.added += status == "added"
            summary.updated += status == "updated"
            summary.chunks += len(item.chunks)
            yield Indexed(str(item.path), status, len(item.chunks))

    def _reserve_ids(self, session: Session, pending: list[_Pending]) -> list[int]:
        """Catalog ids for new documents; a new row stays invisible (no chunks of its
        generation exist yet) until `_publish` gives it one."""
        ids = []
        for item in pending:
            row = session.exec(select(Document).where(Document.path == str(item.path))).first()
            if row is None:
                row = Document(
                    path=str(item.path),
                    format=item.format,
                    sha256="",
                    size=item.size,
                    chunks=0,
                    embedder=self.embedder.model_id(),
                    generation="",
                )
                session.add(row)
            row.pending, row.pending_since = item.generation, utcnow()
            session.flush()
            ids.append(row.id or 0)
        return ids

    def _publish(self, session: Session, pending: list[_Pending], ids: list[int]) -> None:
        for item, document_id in zip(pending, ids, strict=True):
            row = session.get(Document, document_id)
            assert row is not None
            row.format, row.sha256, row.size = item.format, item.sha256, item.size
            row.chunks, row.generation = len(item.chunks), item.generation
            row.pending = row.pending_since = None
            row.pages = max((c.page for c in item.chunks if c.page is not None), default=None)
            row.embedder, row.indexed_at = self.embedder.model_id(), utcnow()

    def _prune(self, arguments: Sequence[str], summary: Summary) -> Iterator[AddEvent]:
        """Forget documents under the given folders whose files are gone."""
        folders = [absolute(a) for a in arguments if absolute(a).is_dir()]
        for document in self.documents():
            path = Path(document.path)
            inside = any(f == path or f in path.parents for f in folders)
            if inside and not path.exists():
                self._forget(document)
                summary.pruned += 1
                yield Pruned(document.path)

    # removing, reindexing, garbage

    def remove(self, ref: str) -> Document:
        document = self.document(ref)
        self._forget(document)
        return document

    def _forget(self, document: Document) -> None:
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

    def reindex(self) -> Iterator[AddEvent]:
        """Re-embed every document with the configured embedder and rebuild the indexes, from
        the stored chunks (the files are not needed), or from the file when they are lost."""
        started = time.perf_counter()
        summary = Summary()
        documents = self.documents()
        for done, document in enumerate(documents, start=1):
            source = self.index_of(document.embedder, self.embedder.dimensions)
            generation = uuid.uuid4().hex
            stored = source.contents_of(document.generation)
            if stored:
                rows = [replace(row, generation=generation) for row, _ in stored]
                contents = [content for _, content in stored]
            else:
                read = self._prepare(Target(Path(document.path)), None)
                if not isinstance(read, _Pending):
                    summary.skipped += 1
                    reason = read.reason if isinstance(read, Skipped) else "cannot be read"
                    yield Skipped(document.path, f"its chunks are lost and the file {reason}")
                    continue
                rows = _rows(document.id or 0, generation, read.chunks)
                contents = [chunk.content for chunk in read.chunks]
            self.store.transaction(partial(self._reserve, document.id, generation))
            self.index.add(rows, contents, self.embedder.embed(contents))
            self.store.transaction(partial(self._repoint, document.id, generation, len(rows)))
            source.delete_generations([document.generation])
            summary.updated += 1
            summary.chunks += len(rows)
            yield Indexed(document.path, "updated", len(rows))
            yield Progress(done, len(documents), summary.chunks, time.perf_counter() - started)
        self.collect_garbage()
        self.index.refresh_indexes()
        summary.seconds = time.perf_counter() - started
        yield summary

    def _reserve(self, document_id: int | None, generation: str, session: Session) -> None:
        row = session.get(Document, document_id)
        if row is not None:
            row.pending, row.pending_since = generation, utcnow()

    def _repoint(
        self, document_id: int | None, generation: str, chunks: int, session: Session
    ) -> None:
        row = session.get(Document, document_id)
        if row is not None:
            row.generation, row.chunks, row.embedder = generation, chunks, self.embedder.model_id()
            row.pending = row.pending_since = None

    def _refuse_mixed_models(self, documents: list[Document]) -> None:
        model = self.embedder.model_id()
        other = {d.embedder for d in documents} - {model}
        if other:
            raise ConfigError(
                f"the context index holds vectors of {', '.join(sorted(other))}, "
                f"but the configured embedder makes {model} vectors",
                "Run `sector context reindex` to re-embed every document with it",
            )

    def stats(self) -> dict[str, object]:
        """What the index holds, and whether the catalog and the vectors agree."""
        documents = self.documents()
        formats: dict[str, int] = {}
        for document in documents:
            formats[document.format] = formats.get(document.format, 0) + 1
        visible = {d.generation: d.chunks for d in documents}
        generations = self.index.generations()
        hidden = sum(n for g, n in generations.items() if g not in visible)
        missing = sum(1 for g, n in visible.items() if generations.get(g, 0) != n)
        return {
            "documents": len(documents),
            "chunks": sum(d.chunks for d in documents),
            "formats": formats,
            "pages": sum(d.pages or 0 for d in documents),
            "bytes_indexed": sum(d.size for d in documents),
            "embedder": self.embedder.model_id(),
            "reranker": self.reranker.name,
            "table": self.index.name,
            "rows": sum(generations.values()),
            "unreachable_rows": hidden,  # left by an interrupted write; the next add removes them
            "documents_out_of_step": missing,
            "indexes": self.index.index_names(),
            "folder": str(self.folder),
            "size_on_disk": folder_size(self.folder),
        }

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
        if retriever not in RETRIEVERS:
            raise UsageError(f"unknown retriever {retriever!r}", "Use hybrid, vector or bm25")
        if not query.strip():
            raise UsageError("the search query is empty", 'Search for something: "closures"')
        everything = self.documents()  # one catalog read per search
        self._refuse_mixed_models(everything)
        wanted_ids = None if documents is None else set(documents)
        catalog = {d.id or 0: d for d in everything if wanted_ids is None or d.id in wanted_ids}
        if not catalog:
            return []
        # The query is embedded on the pool while LanceDB opens: a cold search loads the
        # model there (native code, off the GIL) as this thread imports LanceDB. numpy, which
        # both need, is imported first: its C core must not be initialised by two threads.
        import numpy  # noqa: F401

        embedding = (
            self._pool.submit(self.embedder.embed_query, query) if vector is None else _done(vector)
        )
        self.index.follow(frozenset(d.generation for d in everything))
        where = None
        if documents is not None:
            where = f"document_id IN ({', '.join(str(i) for i in catalog)})"
        wanted = max(4 * k, 20)
        query_vector = embedding.result()
        found: dict[str, list[Found]] = {}
        if retriever == "hybrid":  # the two retrievers wait on LanceDB side by side
            by_text = self._pool.submit(self.index.by_text, query, wanted, where)
            found["vector"] = self.index.by_vector(query_vector, wanted, where)
            found["bm25"] = by_text.result()
        elif retriever == "vector":
            found["vector"] = self.index.by_vector(query_vector, wanted, where)
        else:
            found["bm25"] = self.index.by_text(query, wanted, where)
        candidates = _candidates(found, catalog)
        if not candidates:
            return []
        ranked = self.reranker.rank(query, [c[0] for c in candidates.values()])
        hits = []
        for candidate, score in ranked[:k]:
            _, row, first = candidates[candidate.key]
            document = catalog[row.document_id]
            hits.append(
                Hit(
                    row.document_id,
                    document.path,
                    document.format,
                    row.title,
                    row.body,
                    row.page,
                    row.line_start,
                    row.line_end,
                    score,
                    _similarity(query_vector, first),
                    tuple(candidate.ranks),
                )
            )
        return hits


Candidates = dict[str, tuple[Candidate, ChunkRow, Found]]


def _candidates(found: dict[str, list[Found]], catalog: dict[int, Document]) -> Candidates:
    """One candidate per visible chunk, with its rank in each retriever that found it."""
    candidates: Candidates = {}
    for retriever, results in found.items():
        rank = 0
        for result in results:
            row = result.row
            document = catalog.get(row.document_id)
            if document is None or document.generation != row.generation:
                continue  # an old or unfinished generation: not visible
            rank += 1
            key = f"{row.generation}:{row.seq}"
            if key not in candidates:
                content = f"{row.title}\n{row.body}" if row.title else row.body
                candidates[key] = (Candidate(key, content), row, result)
            candidates[key][0].ranks[retriever] = rank
            candidates[key][0].scores[retriever] = result.score
    return candidates


def _rows(document_id: int, generation: str, chunks: list[Chunk]) -> list[ChunkRow]:
    return [
        ChunkRow(document_id, generation, seq, c.title, c.body, c.page, c.line_start, c.line_end)
        for seq, c in enumerate(chunks)
    ]


def _done(vector: NDArray[np.float32]) -> Future[NDArray[np.float32]]:
    """A vector the caller already has, as a finished future."""
    future: Future[NDArray[np.float32]] = Future()
    future.set_result(vector)
    return future


def _similarity(query: NDArray[np.float32], found: Found) -> float:
    """Cosine similarity to the query: the vector retriever's, or computed (unit vectors)."""
    import numpy as np

    if found.similarity is not None:
        return found.similarity
    assert found.vector is not None
    return float(np.dot(query, np.asarray(found.vector, dtype=np.float32)))


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


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def _os_reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "is a symlink loop"
    if isinstance(exc, IsADirectoryError):
        return "is not a regular file"
    if isinstance(exc, PermissionError):
        return "cannot be read (permission denied); fix its permissions"
    return f"cannot be read ({exc.strerror or exc})"


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else "no details"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
