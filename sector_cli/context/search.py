"""Search: the k best passages for a query, by vector, BM25 or both, then reranked."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING

from sector_cli.context.hits import Hit
from sector_cli.context.index import ChunkRow, Found
from sector_cli.context.part import ContextPart
from sector_cli.errors import UsageError
from sector_cli.plugins.reranker import Candidate
from sector_cli.store.models import Document

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


RETRIEVERS = ("hybrid", "vector", "bm25")


class Searcher(ContextPart):
    """Searches a Context's index, among the documents its catalog shows."""

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="sector-search")

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
        everything = self.context.documents()  # one catalog read per search
        self.context.refuse_mixed_models(everything)
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
        ranked = self.context.reranker.rank(query, [c[0] for c in candidates.values()])
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
