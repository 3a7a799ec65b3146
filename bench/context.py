"""How fast and how well the context index works, measured in one run.

1. Cold start (issue 10): `sector context search` as a new process, end to end, against
   `sector --help` as the floor (target <= 1.0 s, printed with the ratio), and against the same
   search on the PyTorch `minilm` embedder (today's path before the ONNX one); cold
   `sector ask @context` to its first answer token on the bundled model (target <= 1.5 s).
2. Embedders: the whole corpus indexed and searched with `minilm` (PyTorch, the baseline) and
   `minilm-onnx` (int8 passages, fp32 queries): chunks/s end to end (target >= 2x) and
   Recall@5 / MRR@10 (target: within 0.01 of the baseline).
3. Indexing throughput: `Context.add` end to end (read HTML, chunk, embed, write LanceDB and the
   catalog) in chunks/s, against the embedder's own `embed` of the same chunks (target >= 80%).
4. Query latency of `Context.search` (hybrid: vector + BM25 + fusion, catalog check included,
   query embedding excluded) at 10k and 100k chunks. Targets: p50 <= 20 ms, p99 <= 60 ms.
5. Retrieval quality on the Python documentation (Debian's python3.11-doc): Recall@5 and MRR@10
   of hybrid, vector-only and BM25-only over bench/context_questions.json, where each question
   names the page that answers it. Hybrid must beat both.

Run: `make bench-context` (or .venv/bin/python bench/context.py [--pages N] [--only PARTS]).
Needs: apt-get install python3.11-doc.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CORPUS = Path("/usr/share/doc/python3.11/html")
QUESTIONS = Path(__file__).with_name("context_questions.json")
SKIP_FOLDERS = ("whatsnew", "c-api", "_static", "_sources", "_images")
SKIP_PAGES = ("genindex", "py-modindex", "search.html", "contents.html")
PARTS = ("cold", "embedders", "throughput", "latency", "quality")
SECTOR = [sys.executable, "-m", "sector_cli"]
COLD_QUERY = "how do I sort a list in reverse order"


def corpus_pages() -> list[Path]:
    pages = []
    for path in sorted(CORPUS.rglob("*.html")):
        relative = path.relative_to(CORPUS).as_posix()
        if relative.startswith(SKIP_FOLDERS) or any(s in relative for s in SKIP_PAGES):
            continue
        pages.append(path)
    return pages


@contextmanager
def sector_home(embedder: str | None = None) -> Iterator[Path]:
    """A throw-away SECTOR_HOME (and embedder) for this process and the `sector` it starts."""
    saved = {name: os.environ.get(name) for name in ("SECTOR_HOME", "SECTOR_EMBEDDER")}
    with tempfile.TemporaryDirectory() as home:
        os.environ["SECTOR_HOME"] = home
        if embedder:
            os.environ["SECTOR_EMBEDDER"] = embedder
        try:
            yield Path(home)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def open_context():  # type: ignore[no-untyped-def]
    """The context service of the current SECTOR_HOME, as `sector` itself opens it."""
    from sector_cli.services import open_services

    return open_services().context


def index_pages(context, pages: list[Path]) -> float:  # type: ignore[no-untyped-def]
    """Seconds for `Context.add` of the pages, model loading excluded (loaded first)."""
    context.embedder.load()
    context.embedder.embed(["warm up: load the model before timing"])
    started = time.perf_counter()
    for _ in context.add([str(p) for p in pages]):
        pass
    return time.perf_counter() - started


def indexed_contents(context) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        content
        for document in context.documents()
        for _, content in context.index.contents_of(document.generation)
    ]


# 1. Cold start ---------------------------------------------------------------------------------


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def first_output(command: list[str]) -> float:
    """Seconds from starting the process to its first byte on stdout (the first token: the
    answer streams before its sources)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    process.stdout.read(1)
    elapsed = time.perf_counter() - started
    process.stdout.read()
    if process.wait() != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit {process.returncode}")
    return elapsed


def median_of(runs: int, measure, *args) -> float:  # type: ignore[no-untyped-def]
    return statistics.median(measure(*args) for _ in range(runs))


def cold(pages: list[Path], runs: int) -> dict[str, float]:
    search = [*SECTOR, "context", "search", COLD_QUERY]
    ask = [*SECTOR, "ask", f"@context {COLD_QUERY}?", "--max-tokens", "8"]
    with sector_home():
        for _ in open_context().add([str(p) for p in pages]):
            pass
        help_s = median_of(runs, wall, [*SECTOR, "--help"])
        search_s = median_of(runs, wall, search)
        ask_s = median_of(runs, first_output, ask)
        os.environ["SECTOR_EMBEDDER"] = "minilm"  # the same index, searched the PyTorch way
        try:
            torch_s = median_of(max(1, runs // 2), wall, search)
        finally:
            del os.environ["SECTOR_EMBEDDER"]
    return {
        "help_s": help_s,
        "search_s": search_s,
        "search_over_help": search_s / help_s,
        "search_torch_s": torch_s,
        "speed_up": torch_s / search_s,
        "ask_first_token_s": ask_s,
    }


def print_cold(result: dict[str, float], runs: int) -> None:
    met = "met" if result["search_s"] <= 1.0 else "MISSED"
    print(
        f"cold search: {result['search_s']:.2f} s (target <= 1.0 s: {met}), "
        f"{result['search_over_help']:.1f}x `sector --help` ({result['help_s']:.2f} s); "
        f"the PyTorch embedder took {result['search_torch_s']:.2f} s: "
        f"{result['speed_up']:.1f}x faster (medians of {runs})",
        flush=True,
    )
    met = "met" if result["ask_first_token_s"] <= 1.5 else "MISSED"
    print(
        f"cold ask @context, first token: {result['ask_first_token_s']:.2f} s "
        f"(target <= 1.5 s: {met})",
        flush=True,
    )


# 2. Embedders: speed and quality of the same corpus ---------------------------------------------

EMBEDDERS = {"minilm (PyTorch)": "minilm", "minilm-onnx (int8 passages)": "minilm-onnx"}


def compare_embedders(pages: list[Path], questions: list[dict[str, str]]) -> dict[str, dict]:  # type: ignore[type-arg]
    results: dict[str, dict] = {}  # type: ignore[type-arg]
    for label, name in EMBEDDERS.items():
        with sector_home(name):
            context = open_context()
            seconds = index_pages(context, pages)
            chunks = context.index.count()
            results[label] = {
                "chunks": chunks,
                "chunks_per_s": chunks / seconds,
                "quality": quality(context, questions),
            }
            print(f"{label}: {chunks} chunks at {chunks / seconds:.1f} chunks/s", flush=True)
    return results


def print_embedders(results: dict[str, dict]) -> None:  # type: ignore[type-arg]
    base, new = (results[label] for label in EMBEDDERS)
    speed_up = new["chunks_per_s"] / base["chunks_per_s"]
    print(
        f"indexing: {new['chunks_per_s']:.1f} against {base['chunks_per_s']:.1f} chunks/s: "
        f"{speed_up:.2f}x (target >= 2x: {'met' if speed_up >= 2 else 'MISSED'})"
    )
    worst = 0.0
    for retriever in ("hybrid", "vector"):
        for measure in ("recall_at_5", "mrr_at_10"):
            before = base["quality"][retriever][measure]
            after = new["quality"][retriever][measure]
            worst = max(worst, before - after)
            print(
                f"  {retriever:>6} {measure}: {before:.3f} -> {after:.3f} ({after - before:+.3f})"
            )
    print(
        f"quality within 0.01 of the baseline: {'met' if worst <= 0.01 else 'MISSED'}", flush=True
    )


# 3. Throughput against the embedder's own embed -------------------------------------------------


def throughput(context, pages: list[Path]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """End-to-end add against the embedder embedding exactly the chunks that add produced."""
    end_to_end = index_pages(context, pages)
    contents = indexed_contents(context)
    started = time.perf_counter()
    context.embedder.embed(contents)
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
    parser.add_argument("--cold-pages", type=int, default=40, help="pages indexed for cold runs")
    parser.add_argument("--runs", type=int, default=5, help="cold runs of each command")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}"
    )
    args = parser.parse_args()
    parts = {part.strip() for part in args.only.split(",")}
    if unknown := parts - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if not CORPUS.is_dir():
        print("needs the Python documentation: apt-get install python3.11-doc", file=sys.stderr)
        return 2
    # One ONNX export for every throw-away home (otherwise each would export again).
    from sector_cli.plugins.embedders import onnx_export

    os.environ["SECTOR_EMBEDDER_CACHE"] = str(onnx_export.ensure().folder)
    questions = json.loads(QUESTIONS.read_text())
    pages = corpus_pages()
    report: dict[str, object] = {"cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)

    if "cold" in parts:
        report["cold"] = cold(pages[: args.cold_pages], args.runs)
        print_cold(report["cold"], args.runs)  # type: ignore[arg-type]
    if "embedders" in parts:
        report["embedders"] = compare_embedders(pages, questions)
        print_embedders(report["embedders"])  # type: ignore[arg-type]
    if parts & {"throughput", "latency"}:
        with sector_home():
            context = open_context()
            speed = throughput(context, pages[: args.pages])
            report["throughput"] = speed
            print(
                f"indexing: {speed['chunks']:.0f} chunks from {speed['pages']:.0f} pages, "
                f"end to end {speed['end_to_end_chunks_per_s']:.0f} chunks/s, the embedder "
                f"alone {speed['raw_encode_chunks_per_s']:.0f} chunks/s: {speed['ratio']:.0%} "
                "(target >= 80%)",
                flush=True,
            )
            for size in (10_000, 100_000) if "latency" in parts else ():
                grow(context, size)
                timing = latency(context, [q["question"] for q in questions])
                report[f"latency_{size}"] = timing
                print(
                    f"latency at {timing['chunks']:,.0f} chunks: p50 {timing['p50_ms']:.1f} ms, "
                    f"p99 {timing['p99_ms']:.1f} ms over {timing['queries']:.0f} queries "
                    "(targets 20 / 60 ms)",
                    flush=True,
                )
    if "quality" in parts:
        with sector_home():
            context = open_context()
            seconds = index_pages(context, pages)
            print(
                f"corpus: {len(pages)} pages, {context.index.count()} chunks indexed in "
                f"{seconds:.0f}s",
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
