"""The context index end to end: real loaders, the real embedding model, real LanceDB, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from sector_cli.plugins.embedder import Embedder

SECTOR = Path(sys.executable).with_name("sector")

CLOSURES = """# Closures

A closure is a function that remembers the variables of the scope where it was defined,
even after that scope has finished running. Python keeps each captured variable in a cell.

## Late binding

Closures created in a loop all see the loop variable's last value, because the variable is
looked up when the inner function is called, not when it is defined. Bind it with a default
argument, such as lambda i=i: i, to keep each value.
"""

SORTING = """Sorting lists

The list.sort() method sorts a list in place and returns None. The built-in sorted() function
returns a new sorted list and leaves the original alone. Both accept a key function and a
reverse flag; the sort is stable, so equal items keep their order.
"""

QUEUE_PY = '''"""A queue made of two stacks."""


class Queue:
    def __init__(self):
        self.inbox = []
        self.outbox = []

    def push(self, item):
        self.inbox.append(item)

    def pop(self):
        if not self.outbox:
            while self.inbox:
                self.outbox.append(self.inbox.pop())
        return self.outbox.pop()
'''


def events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def notes(workdir: Path) -> Path:
    folder = workdir / "notes"
    folder.mkdir()
    (folder / "closures.md").write_text(CLOSURES)
    (folder / "sorting.txt").write_text(SORTING)
    (folder / "queue.py").write_text(QUEUE_PY)
    return folder


def add(sector, *args: str):
    result = sector("context", "add", *args, "--json")
    return result, events(result.stdout)


def test_add_search_with_provenance(sector, notes) -> None:
    result, stream = add(sector, "notes")
    assert result.exit_code == 0, result.output
    indexed = {Path(e["path"]).name: e for e in stream if e["event"] == "indexed"}
    assert set(indexed) == {"closures.md", "sorting.txt", "queue.py"}
    summary = stream[-1]
    assert summary["event"] == "summary" and summary["added"] == 3 and summary["skipped"] == 0
    assert summary["chunks"] == sum(e["chunks"] for e in indexed.values())

    found = sector("context", "search", "why do closures in a loop see the last value", "--json")
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    best = hits[0]
    assert best["path"] == str(notes / "closures.md") and best["rank"] == 1
    assert set(best["retrievers"]) <= {"vector", "bm25"} and best["retrievers"]
    # the line range points at the very lines that hold the passage
    lines = CLOSURES.splitlines()[best["line_start"] - 1 : best["line_end"]]
    assert "loop" in "\n".join(lines) and best["text"].split()[0] in "\n".join(lines)
    assert best["label"].startswith("notes/closures.md:")

    code = json.loads(sector("context", "search", "pop from the outbox", "--json").stdout)[0]
    assert code["path"].endswith("queue.py") and code["format"] == "python"
    body = QUEUE_PY.splitlines()[code["line_start"] - 1 : code["line_end"]]
    assert any("def pop" in line for line in body)


def test_each_retriever_alone_and_scoping(sector, notes) -> None:
    add(sector, "notes")
    bm25 = json.loads(sector("context", "search", "sorted", "--retriever", "bm25", "--json").stdout)
    assert bm25 and all(hit["retrievers"] == ["bm25"] for hit in bm25)
    assert bm25[0]["path"].endswith("sorting.txt")
    vector = json.loads(
        sector("context", "search", "ordering items", "--retriever", "vector", "--json").stdout
    )
    assert all(hit["retrievers"] == ["vector"] for hit in vector)
    scoped = json.loads(
        sector("context", "search", "closures", "--doc", "sorting.txt", "--json").stdout
    )
    assert scoped and {Path(h["path"]).name for h in scoped} == {"sorting.txt"}
    bad = sector("context", "search", "x", "--retriever", "magic")
    assert bad.exit_code == 2 and "hybrid, vector or bm25" in bad.stderr


def test_ls_show_read_stats_rm(sector, notes) -> None:
    add(sector, "notes")
    listed = json.loads(sector("context", "ls", "--json").stdout)
    assert [Path(d["path"]).name for d in listed] == ["closures.md", "queue.py", "sorting.txt"]
    closures = listed[0]
    shown = json.loads(sector("context", "show", "closures.md", "--chunks", "--json").stdout)
    assert shown["id"] == closures["id"] and len(shown["chunks_list"]) == closures["chunks"]
    read = sector("context", "read", str(closures["id"]), "--lines", "3-4")
    assert read.stdout == "\n".join(CLOSURES.splitlines()[2:4]) + "\n"
    stats = json.loads(sector("context", "stats", "--json").stdout)
    assert stats["documents"] == 3 and stats["rows"] == stats["chunks"] > 0
    assert stats["unreachable_rows"] == 0 and stats["documents_out_of_step"] == 0
    assert "FTS on content" in stats["indexes"]
    removed = sector("context", "rm", "closures.md", "--yes", "--json")
    assert removed.exit_code == 0, removed.output
    after = json.loads(sector("context", "stats", "--json").stdout)
    assert after["documents"] == 2 and after["rows"] == after["chunks"]
    missing = sector("context", "show", "closures.md")
    assert missing.exit_code == 2 and "sector context ls" in missing.stderr


def test_incremental_add_replace_and_prune(sector, notes) -> None:
    add(sector, "notes")
    _, again = add(sector, "notes")
    assert again[-1]["unchanged"] == 3 and again[-1]["added"] == again[-1]["updated"] == 0
    (notes / "sorting.txt").write_text("Heaps\n\nheapq.heappush keeps the smallest item first.\n")
    (notes / "queue.py").unlink()
    _, changed = add(sector, "notes", "--prune")
    summary = changed[-1]
    assert (summary["updated"], summary["unchanged"], summary["pruned"]) == (1, 1, 1)
    hits = json.loads(sector("context", "search", "heappush smallest", "--json").stdout)
    assert hits[0]["path"].endswith("sorting.txt") and "heappush" in hits[0]["text"]
    old = json.loads(sector("context", "search", "list.sort() returns None", "--json").stdout)
    assert all("returns None" not in hit["text"] for hit in old)  # the old text is gone
    stats = json.loads(sector("context", "stats", "--json").stdout)
    assert stats["documents"] == 2 and stats["rows"] == stats["chunks"]


def test_ignore_files_and_globs(sector, workdir) -> None:
    (workdir / "docs" / "drafts").mkdir(parents=True)
    (workdir / "docs" / "guide.md").write_text("# Guide\n\nDecorators wrap functions.\n")
    (workdir / "docs" / "drafts" / "wip.md").write_text("# WIP\n\nNot ready.\n")
    (workdir / "docs" / "secret.txt").write_text("Do not index this.\n")
    (workdir / "docs" / ".gitignore").write_text("drafts/\n")
    (workdir / "docs" / ".sectorignore").write_text("secret.txt\n")
    _, stream = add(sector, "docs")
    assert [Path(e["path"]).name for e in stream if e["event"] == "indexed"] == ["guide.md"]
    (workdir / "a.md").write_text("# A\n\nGenerators yield values lazily.\n")
    (workdir / "b.md").write_text("# B\n\nIterators have a __next__ method.\n")
    _, globbed = add(sector, "*.md")
    assert sorted(Path(e["path"]).name for e in globbed if e["event"] == "indexed") == [
        "a.md",
        "b.md",
    ]


def test_bad_input_is_skipped_with_a_reason_and_the_rest_indexed(
    sector, workdir, monkeypatch
) -> None:
    folder = workdir / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nA dictionary maps keys to values.\n")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntruncated")
    (folder / "junk.txt").write_bytes(os.urandom(4096))
    (folder / "latin1.txt").write_bytes("Café crème brûlée, déjà vu.\n".encode("latin-1"))
    (folder / "loop.md").symlink_to(folder / "loop.md")
    (folder / "big.txt").write_text("word " * 5000)
    monkeypatch.setenv("SECTOR_CONTEXT_MAX_SIZE", "16k")
    result, stream = add(sector, "mixed", "missing.pdf")
    assert result.exit_code == 1
    skipped = {Path(e["path"]).name: e["reason"] for e in stream if e["event"] == "skipped"}
    assert set(skipped) == {
        "broken.pdf",
        "junk.txt",
        "latin1.txt",
        "loop.md",
        "big.txt",
        "missing.pdf",
    }
    assert "symlink loop" in skipped["loop.md"] and "does not exist" in skipped["missing.pdf"]
    assert "context.max_size" in skipped["big.txt"] and "UTF-8" in skipped["latin1.txt"]
    assert all("\n" not in reason for reason in skipped.values())
    summary = stream[-1]
    assert summary["added"] == 1 and summary["skipped"] == 6
    plain = sector("context", "add", "mixed")
    assert plain.exit_code == 1 and "skipped" in plain.stderr and "1 unchanged" in plain.stdout


def test_searching_an_empty_index_and_empty_queries(sector, workdir) -> None:
    empty = sector("context", "search", "anything", "--json")
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
    blank = sector("context", "search", "  ")
    assert blank.exit_code == 2 and "empty" in blank.stderr


class HashEmbedder(Embedder):
    """A second, different embedding model: words hashed into 64 buckets."""

    name: ClassVar[str] = "hashed"
    summary: ClassVar[str] = "hashed bag of words"
    dimensions: ClassVar[int] = 64

    def model_id(self) -> str:
        return "test/hashed-bag-of-words"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, hash(word) % self.dimensions] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def _context_with(embedder: Embedder):  # type: ignore[no-untyped-def]
    from sector_cli.services import open_services

    services = open_services()
    context = services.context
    context.embedder = embedder
    context.__dict__.pop("index", None)
    return context


def test_models_are_never_mixed_and_reindex_switches(sector, notes) -> None:
    from sector_cli.errors import ConfigError

    add(sector, "notes")
    other = _context_with(HashEmbedder())
    for attempt in (lambda: other.search("closures", 3), lambda: list(other.add([str(notes)]))):
        with pytest.raises(ConfigError, match="all-MiniLM-L6-v2") as refused:
            attempt()
        assert "sector context reindex" in refused.value.hint
    summary = list(other.reindex())[-1]
    assert summary.updated == 3
    assert other.search("closures loop", 3)[0].path.endswith("closures.md")
    back = sector("context", "search", "closures")  # the CLI still uses MiniLM
    assert back.exit_code == 2 and "sector context reindex" in back.stderr
    assert sector("context", "reindex").exit_code == 0
    stats = json.loads(sector("context", "stats", "--json").stdout)
    assert stats["embedder"].endswith("all-MiniLM-L6-v2") and stats["rows"] == stats["chunks"]


def test_an_interrupted_write_is_invisible_and_completed_next_time(sector, notes) -> None:
    from sector_cli.context import ingest as module
    from sector_cli.services import open_services

    context = open_services().context
    original = module.Ingester._publish
    module.Ingester._publish = lambda *args: (_ for _ in ()).throw(KeyboardInterrupt())
    try:
        with pytest.raises(KeyboardInterrupt):
            list(context.add([str(notes)]))
    finally:
        module.Ingester._publish = original
    stats = json.loads(sector("context", "stats", "--json").stdout)
    assert stats["documents"] == 0 and stats["unreachable_rows"] > 0
    assert json.loads(sector("context", "search", "closures", "--json").stdout) == []
    result, stream = add(sector, "notes")
    assert result.exit_code == 0 and stream[-1]["added"] == 3
    stats = json.loads(sector("context", "stats", "--json").stdout)
    assert stats["unreachable_rows"] == 0 and stats["rows"] == stats["chunks"]


def test_killing_add_leaves_catalog_and_vectors_in_step(sector, workdir) -> None:
    folder = workdir / "many"
    folder.mkdir()
    for n in range(120):  # about 1,200 chunks: several batches
        paragraphs = "\n\n".join(f"Topic {n} fact {m}: " + "words " * 110 for m in range(10))
        (folder / f"note{n:02}.md").write_text(f"# Note {n}\n\n{paragraphs}\n")
    process = subprocess.Popen(
        [str(SECTOR), "context", "add", "many", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # wait until the first batch is written, then kill
        if '"indexed"' in line:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    stats = json.loads(sector("context", "stats", "--json").stdout)
    assert 0 < stats["documents"] < 120 and stats["documents_out_of_step"] == 0
    result, stream = add(sector, "many")
    assert result.exit_code == 0
    assert stream[-1]["added"] + stream[-1]["unchanged"] == 120
    final = json.loads(sector("context", "stats", "--json").stdout)
    assert final["documents"] == 120 and final["rows"] == final["chunks"]
    assert final["unreachable_rows"] == 0


def test_sessions_scope_context(sector, notes) -> None:
    add(sector, "notes")
    started = sector("context", "session", "start", "sorting", "--docs", "sorting.txt", "--json")
    assert started.exit_code == 0, started.output
    assert json.loads(started.stdout)["active"] is True
    listed = json.loads(sector("context", "session", "ls", "--json").stdout)
    assert [(s["name"], s["active"]) for s in listed] == [("sorting", True)]
    second = sector("context", "session", "start", "both", "--docs", "closures.md", "queue.py")
    assert second.exit_code == 0 and "ended the session sorting" in second.stderr
    both = json.loads(sector("context", "session", "ls", "--json").stdout)
    assert {s["name"]: len(s["documents"]) for s in both} == {"both": 2, "sorting": 1}
    assert sector("context", "session", "end").exit_code == 0
    none = sector("context", "session", "end")
    assert none.exit_code == 2 and "session start" in none.stderr
    empty = sector("context", "session", "start", "nothing")
    assert empty.exit_code == 2 and "--docs" in empty.stderr


def test_rules_from_the_repository_root_and_odd_files(sector, workdir) -> None:
    (workdir / ".git").mkdir()  # a repository: its root .gitignore applies below it
    (workdir / ".gitignore").write_text("notes/private/\n*.secret.md\n")
    notes = workdir / "notes"
    (notes / "private").mkdir(parents=True)
    (notes / "ok.md").write_text("# Ok\n\nSets hold unique items.\n")
    (notes / "private" / "diary.md").write_text("# Diary\n\nPrivate.\n")
    (notes / "x.secret.md").write_text("# Secret\n\nHidden.\n")
    os.mkfifo(notes / "pipe.txt")  # reading it would block for ever
    (workdir / "linked").symlink_to(notes)  # the same files by a second path
    result, stream = add(sector, "notes", "linked", "notes/*.md")
    assert result.exit_code == 1, result.output
    indexed = [Path(e["path"]).name for e in stream if e["event"] == "indexed"]
    skipped = {Path(e["path"]).name: e["reason"] for e in stream if e["event"] == "skipped"}
    assert indexed == ["ok.md"] and skipped == {"pipe.txt": "is not a regular file"}


def test_nothing_usable_is_exit_2_and_rm_is_all_or_nothing(sector, notes) -> None:
    result, _ = add(sector, "missing.md")
    assert result.exit_code == 2
    add(sector, "notes")
    partly = sector("context", "rm", "closures.md", "nosuch.md", "--yes")
    assert partly.exit_code == 2 and "nosuch.md" in partly.stderr
    assert len(json.loads(sector("context", "ls", "--json").stdout)) == 3  # nothing removed
    assert sector("context", "rm", ".closures.md", "--yes").exit_code == 2  # not a prefix match
    assert sector("context", "show", "notes/../notes/closures.md").exit_code == 0


def test_a_write_in_progress_elsewhere_is_not_collected(sector, notes, workdir) -> None:
    from sector_cli.context.ingest import _Pending, _rows
    from sector_cli.context.targets import Target
    from sector_cli.services import open_services

    add(sector, "notes")
    other = open_services().context  # another process, between its write and its publish
    target = notes / "sorting.txt"
    prepared = other.ingester._prepare(Target(target), None)
    assert isinstance(prepared, _Pending)
    chunks = prepared.chunks
    item = _Pending(target, "text", "0" * 64, 1, chunks, None)
    ids = other.store.transaction(lambda session: other.ingester._reserve_ids(session, [item]))
    rows = _rows(ids[0], item.generation, chunks)
    contents = [c.content for c in chunks]
    other.index.add(rows, contents, other.embedder.embed(contents))
    (workdir / "more.md").write_text("# More\n\nGenerators are lazy.\n")
    add(sector, "more.md")  # collects garbage: must leave the other write's rows alone
    assert item.generation in other.index.generations()


def test_a_long_lived_context_sees_other_processes_writes(sector, notes, workdir) -> None:
    from sector_cli.services import open_services

    add(sector, "notes")
    server = open_services().context  # like the MCP server or a chat, open for long
    assert server.search("closures loop", 3)
    (workdir / "heaps.md").write_text("# Heaps\n\nheapq.heappush keeps the smallest first.\n")
    add(sector, "heaps.md")
    (notes / "closures.md").write_text(CLOSURES.replace("cell", "cell object"))
    add(sector, "notes")
    names = {Path(h.path).name for h in server.search("heappush smallest item", 5)}
    assert "heaps.md" in names
    assert any(Path(h.path).name == "closures.md" for h in server.search("closures loop", 5))
