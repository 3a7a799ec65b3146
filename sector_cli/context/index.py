"""The chunks of the context index in LanceDB: text, provenance and vectors, with a full-text
(BM25) index and, once the table is large, an approximate vector index.

One table per embedding model (`chunks_<digest of the model id>`), so vectors of two models
never mix. Rows carry their document's id and generation; the SQL catalog says which
generation of each document is visible, so rows written by an interrupted `add` stay hidden
until `collect_garbage` removes them.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sector_cli.errors import StoreError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from numpy.typing import NDArray

# Below this many rows an exact scan is faster than any approximate index.
VECTOR_INDEX_MIN_ROWS = 5_000
COLUMNS = ["document_id", "generation", "seq", "title", "body", "page", "line_start", "line_end"]


@dataclass(frozen=True)
class ChunkRow:
    document_id: int
    generation: str
    seq: int
    title: str | None
    body: str
    page: int | None
    line_start: int | None
    line_end: int | None


@dataclass(frozen=True)
class Found:
    """A row one retriever found, with its raw score (cosine similarity, or BM25), and either
    its cosine similarity to the query or its vector to compute it from."""

    row: ChunkRow
    score: float
    similarity: float | None = None
    vector: list[float] | None = None


F = TypeVar("F", bound=Callable[..., Any])
CONFLICT_ATTEMPTS = 4


def guarded(action: str) -> Callable[[F], F]:
    """LanceDB's failures (a damaged folder, a full disk) as one-line StoreErrors."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except (RuntimeError, ValueError, OSError) as exc:
                detail = " ".join(str(exc).split())[:300]
                raise StoreError(
                    f"the context index could not {action} ({detail})",
                    "Check the disk; `sector context reindex` rebuilds the index from the catalog",
                ) from exc

        return wrapper  # type: ignore[return-value]

    return decorate


def table_name(model_id: str) -> str:
    return "chunks_" + hashlib.sha256(model_id.encode()).hexdigest()[:12]


def _schema(dimensions: int) -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("document_id", pa.int64(), nullable=False),
            pa.field("generation", pa.string(), nullable=False),
            pa.field("seq", pa.int32(), nullable=False),
            pa.field("title", pa.string()),
            pa.field("body", pa.string(), nullable=False),
            pa.field("content", pa.string(), nullable=False),  # title + body: what is searched
            pa.field("page", pa.int32()),
            pa.field("line_start", pa.int32()),
            pa.field("line_end", pa.int32()),
            pa.field("vector", pa.list_(pa.float32(), dimensions), nullable=False),
        ]
    )


def _row(record: dict[str, Any]) -> ChunkRow:
    return ChunkRow(*(record[name] for name in COLUMNS))


class ChunkIndex:
    """The chunks table of one embedding model."""

    def __init__(self, folder: Path, model_id: str, dimensions: int) -> None:
        from sector_cli.context.lancedb_import import import_lancedb

        lancedb = import_lancedb()
        folder.mkdir(parents=True, exist_ok=True)
        self.db = lancedb.connect(str(folder))
        self.name = table_name(model_id)
        self.dimensions = dimensions
        self._table: Any = None
        self._has_text_index = False
        self._catalog_seen: frozenset[str] | None = None

    @property
    def table(self) -> Any:
        if self._table is None:
            try:  # an existing table keeps its own schema (another model's dimensions)
                self._table = self.db.open_table(self.name)
            except ValueError:  # LanceDB's "table not found"
                self._table = self.db.create_table(self.name, schema=_schema(self.dimensions))
        return self._table

    @guarded("write chunks")
    def add(
        self, rows: Sequence[ChunkRow], contents: Sequence[str], vectors: NDArray[np.float32]
    ) -> None:
        """Write rows in one commit: all of them are in the table, or none."""
        import pyarrow as pa

        if not rows:
            return
        columns: dict[str, Any] = {name: [getattr(r, name) for r in rows] for name in COLUMNS}
        columns["content"] = list(contents)
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        columns["vector"] = pa.FixedSizeListArray.from_arrays(flat, self.dimensions)
        self.table.add(pa.table(columns, schema=_schema(self.dimensions)))

    @guarded("delete chunks")
    def delete_generations(self, generations: Iterable[str]) -> None:
        chosen = sorted(set(generations))
        for start in range(0, len(chosen), 500):  # keep each predicate a reasonable size
            quoted = ", ".join(f"'{g}'" for g in chosen[start : start + 500])
            self.table.delete(f"generation IN ({quoted})")

    def delete_document(self, document_id: int) -> None:
        self.table.delete(f"document_id = {int(document_id)}")

    def generations(self) -> dict[str, int]:
        """Every generation in the table, with how many rows it has."""
        counts: dict[str, int] = {}
        data = self.table.search().select(["generation"]).limit(None).to_arrow()
        for value in data.column("generation").to_pylist():
            counts[value] = counts.get(value, 0) + 1
        return counts

    def rows(self, generation: str) -> list[ChunkRow]:
        """One document generation's chunks, in order."""
        return [row for row, _ in self.contents_of(generation)]

    def count(self) -> int:
        return int(self.table.count_rows())

    def contents_of(self, generation: str) -> list[tuple[ChunkRow, str]]:
        """One document generation's chunks in order, each with its searched text (what
        re-embedding reads)."""
        found = (
            self.table.search()
            .where(f"generation = '{generation}'", prefilter=True)
            .select([*COLUMNS, "content"])
            .limit(None)
            .to_list()
        )
        return sorted(((_row(r), r["content"]) for r in found), key=lambda p: p[0].seq)

    # searching

    def follow(self, generations: frozenset[str]) -> None:
        """Move to the table's latest commit when the catalog shows generations this handle
        may not have seen: a long-lived process (chat, the MCP server) then finds what another
        `sector context add` wrote, at the cost of a refresh only when something changed."""
        if self._table is not None and generations != self._catalog_seen:
            self._table.checkout_latest()
        self._catalog_seen = generations

    @guarded("search by meaning")
    def by_vector(self, vector: NDArray[np.float32], limit: int, where: str | None) -> list[Found]:
        query = self.table.search(vector, vector_column_name="vector").distance_type("cosine")
        if where:
            query = query.where(where, prefilter=True)
        found = query.select([*COLUMNS, "_distance"]).limit(limit).to_list()
        return [
            Found(_row(r), 1.0 - r["_distance"], similarity=1.0 - r["_distance"]) for r in found
        ]

    @guarded("search by words")
    def by_text(self, text: str, limit: int, where: str | None) -> list[Found]:
        if not self.has_text_index():
            return []
        query = self.table.search(text, query_type="fts", fts_columns="content")
        if where:
            query = query.where(where, prefilter=True)
        found = query.select([*COLUMNS, "vector", "_score"]).limit(limit).to_list()
        return [Found(_row(r), float(r["_score"]), vector=r["vector"]) for r in found]

    # maintenance

    def index_names(self) -> list[str]:
        return [f"{i.index_type} on {', '.join(i.columns)}" for i in self.table.list_indices()]

    def has_text_index(self) -> bool:
        if not self._has_text_index:  # once built, an index stays
            indices = self.table.list_indices()
            self._has_text_index = any(index.index_type == "FTS" for index in indices)
        return self._has_text_index

    @guarded("update its indexes")
    def refresh_indexes(self) -> None:
        """Bring the indexes up to date with what was added or deleted, and compact. Another
        process may commit at the same time: a conflict is retried on the latest version."""
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self._refresh_indexes()
                return
            except RuntimeError as exc:
                if "conflict" not in str(exc).lower() or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
                self._table = None

    def _refresh_indexes(self) -> None:
        from lancedb.index import FTS, IvfHnswSq

        if self.count() == 0:
            return
        if not self.has_text_index():
            self.table.create_index("content", config=FTS(), replace=True)
            self._has_text_index = True
        has_vector_index = any(i.index_type.startswith("IVF") for i in self.table.list_indices())
        if not has_vector_index and self.count() >= VECTOR_INDEX_MIN_ROWS:
            self.table.create_index("vector", config=IvfHnswSq(distance_type="cosine"))
        self.table.optimize()
