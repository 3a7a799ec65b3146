"""How fast and how well the context index works, measured in one run.

1. Indexing throughput: `Context.add` end to end (read HTML, chunk, embed, write LanceDB and the
   catalog) in chunks/s, against raw `SentenceTransformer.encode` of the same chunks.
   Target: at least 80% of raw.
2. Query latency of `Context.search` (hybrid: vector + BM25 + fusion, catalog check included,
   query embedding excluded) at 10k and 100k chunks. Targets: p50 <= 20 ms, p99 <= 60 ms.
3. Retrieval quality on the Python documentation (Debian's python3.11-doc): Recall@5 and MRR@10
   of hybrid, vector-only and BM25-only over bench/context_questions.json, where each question
   names the page that answers it. Hybrid must beat both.

Run: `make bench-context` (or .venv/bin/python bench/context.py [--pages N]).
Needs: apt-get install python3.11-doc.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

CORPUS = Path("/usr/share/doc/python3.11/html")
QUESTIONS = Path(__file__).with_name("context_questions.json")
SKIP_FOLDERS = ("whatsnew", "c-api", "_static", "_sources", "_images")
SKIP_PAGES = ("genindex", "py-modindex", "search.html", "contents.html")


def corpus_pages() -> list[Path]:
    pages = []
    for path in sorted(CORPUS.rglob("*.html")):
        relative = path.relative_to(CORPUS).as_posix()
        if relative.startswith(SKIP_FOLDERS) or any(s in relative for s in SKIP_PAGES):
            continue
        pages.append(path)
    return pages


def open_context(home: Path):  # type: ignore[no-untyped-def]
    os.environ["SECTOR_HOME"] = str(home)
    from sector_cli.services import open_services

    return open_services().context


def throughput(context, pages: list[Path]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """End-to-end add against raw encode of exactly the chunks that add produced."""
    context.embedder.embed(["warm up: load the model before timing"])
    started = time.perf_counter()
    for _ in context.add([str(p) for p in pages]):
        pass
    end_to_end = time.perf_counter() - started
    contents = [
        content
        for document in context.documents()
        for _, content in context.index.contents_of(document.generation)
    ]
    from sector_cli.plugins.embedders.minilm import load_model

    model = load_model()  # the very model object that add used, already loaded
    started = time.perf_counter()
    model.encode(contents, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    raw = time.perf_counter() - started
    chunks = len(contents)
    return {
        "pages": len(pages),
        "chunks": chunks,
        "end_to_end_chunks_per_s": chunks / end_to_end,
        "raw_encode_chunks_per_s": chunks / raw,
        "ratio": raw / end_to_end,
    }


def quality(context, questions: list[dict[str, str]]) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    results = {}
    for retriever in ("hybrid", "vector", "bm25"):
        recall, reciprocal = 0, 0.0
        for item in questions:
            hits = context.search(item["question"], 10, retriever=retriever)
            pages = [Path(h.path).relative_to(CORPUS).as_posix() for h in hits]
            if item["page"] in pages[:5]:
                recall += 1
            if item["page"] in pages:
                reciprocal += 1 / (pages.index(item["page"]) + 1)
        results[retriever] = {
            "recall_at_5": recall / len(questions),
            "mrr_at_10": reciprocal / len(questions),
        }
    return results


def grow(context, target: int) -> None:  # type: ignore[no-untyped-def]
    """Copy real chunks (text, and vectors with a little noise) until the index holds `target`
    rows, as extra documents in the catalog, so searches do everything they do for real."""
    import numpy as np

    from sector_cli.context.index import ChunkRow
    from sector_cli.store.models import Document

    seeds = []
    for document in context.documents():
        seeds.extend(context.index.contents_of(document.generation))
    rows = context.index.table.search().select(["vector"]).limit(None).to_arrow()
    vectors = np.stack(rows.column("vector").to_numpy(zero_copy_only=False)).astype(np.float32)
    rng = np.random.default_rng(7)
    copy = 0
    while context.index.count() < target:
        copy += 1
        generation = uuid.uuid4().hex
        with context.store.session() as session:
            document = Document(
                path=f"/synthetic/{generation}.html",
                format="html",
                sha256="0" * 64,
                size=0,
                chunks=len(seeds),
                embedder=context.embedder.model_id(),
                generation=generation,
            )
            session.add(document)
            session.flush()
            document_id = document.id
        count = min(len(seeds), target - context.index.count())
        noisy = vectors[:count] + rng.normal(0, 0.02, (count, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        batch = [
            ChunkRow(document_id, generation, n, row.title, row.body, row.page, None, None)
            for n, (row, _) in enumerate(seeds[:count])
        ]
        context.index.add(batch, [content for _, content in seeds[:count]], noisy)
    context.index.refresh_indexes()


def latency(context, queries: list[str], repeat: int = 4) -> dict[str, float]:  # type: ignore[no-untyped-def]
    vectors = context.embedder.embed(queries)  # excluded from the timing, as the target says
    for query, vector in zip(queries[:5], vectors[:5], strict=True):
        context.search(query, 5, vector=vector)  # warm caches
    timings = []
    for _ in range(repeat):
        for query, vector in zip(queries, vectors, strict=True):
            started = time.perf_counter()
            context.search(query, 5, vector=vector)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "chunks": context.index.count(),
        "queries": len(timings),
        "p50_ms": statistics.median(timings),
        "p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=120, help="pages for the throughput run")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print("needs the Python documentation: apt-get install python3.11-doc", file=sys.stderr)
        return 2
    questions = json.loads(QUESTIONS.read_text())
    pages = corpus_pages()
    report: dict[str, object] = {}

    texts = [q["question"] for q in questions]
    with tempfile.TemporaryDirectory() as home:
        context = open_context(Path(home))
        speed = throughput(context, pages[: args.pages])
        report["throughput"] = speed
        print(
            f"indexing: {speed['chunks']:.0f} chunks from {speed['pages']:.0f} pages, "
            f"end to end {speed['end_to_end_chunks_per_s']:.0f} chunks/s, raw encode "
            f"{speed['raw_encode_chunks_per_s']:.0f} chunks/s: {speed['ratio']:.0%} of raw "
            f"(target >= 80%)",
            flush=True,
        )
        for size in (10_000, 100_000):
            grow(context, size)
            timing = latency(context, texts)
            report[f"latency_{size}"] = timing
            print(
                f"latency at {timing['chunks']:,.0f} chunks: p50 {timing['p50_ms']:.1f} ms, "
                f"p99 {timing['p99_ms']:.1f} ms over {timing['queries']:.0f} queries "
                f"(targets 20 / 60 ms)",
                flush=True,
            )

    with tempfile.TemporaryDirectory() as home:
        context = open_context(Path(home))
        started = time.perf_counter()
        for _ in context.add([str(p) for p in pages]):
            pass
        print(
            f"corpus: {len(pages)} pages, {context.index.count()} chunks indexed in "
            f"{time.perf_counter() - started:.0f}s",
            flush=True,
        )
        scores = quality(context, questions)
        report["quality"] = scores
        for name, score in scores.items():
            print(
                f"quality {name:>6}: Recall@5 {score['recall_at_5']:.3f}  "
                f"MRR@10 {score['mrr_at_10']:.3f}  ({len(questions)} questions)",
                flush=True,
            )
        hybrid = scores["hybrid"]
        beats = all(
            hybrid["recall_at_5"] > scores[o]["recall_at_5"]
            and hybrid["mrr_at_10"] > scores[o]["mrr_at_10"]
            for o in ("vector", "bm25")
        )
        print(f"hybrid beats both single retrievers: {'yes' if beats else 'NO'}", flush=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
