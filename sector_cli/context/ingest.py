"""Ingestion: read, chunk and embed documents into the index, and re-embed them (reindex).

Writes follow one protocol so that the SQL catalog and LanceDB always agree on what is visible:
chunks are written under a fresh generation, then the catalog row is pointed at it in one
transaction, then the old generation is deleted. An `add` killed at any point leaves the previous
state visible, and the next `add` collects what it left behind.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from sqlmodel import Session, select

from sector_cli.context.chunking import Chunk, chunk_passages
from sector_cli.context.index import ChunkRow
from sector_cli.context.part import ContextPart
from sector_cli.context.targets import Target, absolute, expand, regular_file_size
from sector_cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from sector_cli.plugins.loader import UnreadableDocument
from sector_cli.store.models import Document
from sector_cli.timeutil import utcnow
from sector_cli.wire import WireEvent
from sector_cli.workspace.scan import sha256_of

# Chunks embedded and written together: large batches embed faster and make fewer, larger
# LanceDB fragments; small enough that an interrupted `add` loses little work.
FLUSH_CHUNKS = 512


@dataclass(frozen=True)
class Indexed(WireEvent):
    wire_name: ClassVar[str] = "indexed"

    path: str
    status: str  # added | updated | unchanged
    chunks: int


@dataclass(frozen=True)
class Skipped(WireEvent):
    wire_name: ClassVar[str] = "skipped"

    path: str
    reason: str


@dataclass(frozen=True)
class Progress(WireEvent):
    """How far an add has got (for a progress bar; not in `--json`'s stream)."""

    wire_name: ClassVar[str] = "progress"

    files_done: int
    files_total: int
    chunks: int  # embedded so far
    seconds: float


@dataclass(frozen=True)
class Pruned(WireEvent):
    wire_name: ClassVar[str] = "pruned"

    path: str


@dataclass
class Summary(WireEvent):
    wire_name: ClassVar[str] = "summary"

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

    @property
    def exit_code(self) -> int:
        """0 when every file given was indexed, 1 when some were skipped, 2 when nothing given
        could be indexed."""
        if not self.skipped:
            return EXIT_OK
        return EXIT_FAILURE if self.added + self.updated + self.unchanged else EXIT_USAGE

    def to_wire(self) -> dict[str, Any]:
        return {**super().to_wire(), "chunks_per_second": round(self.chunks_per_second, 1)}


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


class Ingester(ContextPart):
    """Adds and re-embeds documents for a Context, through its store, embedder and index."""

    def add(self, arguments: Sequence[str], prune: bool = False) -> Iterator[AddEvent]:
        """Index files, folders and globs; events report each file, progress and a summary."""
        self.context.refuse_mixed_models(self.context.documents())
        started = time.perf_counter()
        summary = Summary()
        targets = list(expand(arguments, frozenset(self.context.loaders)))
        known = {d.path: d for d in self.context.documents()}
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
        self.context.collect_garbage()  # what interrupted writes left, now that ours is published
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
            if size > self.context.max_size:
                return Skipped(
                    shown,
                    f"is {_megabytes(size)}, over the {_megabytes(self.context.max_size)} limit "
                    "(raise it with `sector config set context.max_size 1G`)",
                )
            digest = sha256_of(target.path)
        except OSError as exc:
            return Skipped(shown, _os_reason(exc))
        if old is not None and old.sha256 == digest:
            return Indexed(shown, "unchanged", old.chunks)
        loader = self.context.loaders[target.path.suffix.lower()]
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
        for document in self.context.documents():
            path = Path(document.path)
            inside = any(f == path or f in path.parents for f in folders)
            if inside and not path.exists():
                self.context.forget(document)
                summary.pruned += 1
                yield Pruned(document.path)

    def reindex(self) -> Iterator[AddEvent]:
        """Re-embed every document with the configured embedder and rebuild the indexes, from
        the stored chunks (the files are not needed), or from the file when they are lost."""
        started = time.perf_counter()
        summary = Summary()
        documents = self.context.documents()
        for done, document in enumerate(documents, start=1):
            source = self.context.index_of(document.embedder, self.embedder.dimensions)
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
        self.context.collect_garbage()
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
            row.generation, row.chunks, row.embedder = (
                generation,
                chunks,
                self.embedder.model_id(),
            )
            row.pending = row.pending_since = None


def _rows(document_id: int, generation: str, chunks: list[Chunk]) -> list[ChunkRow]:
    return [
        ChunkRow(document_id, generation, seq, c.title, c.body, c.page, c.line_start, c.line_end)
        for seq, c in enumerate(chunks)
    ]


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
