"""`@context` answers end to end with the bundled model (llama.cpp) and the real index, and the
grounding check on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sector_cli.assistant.mentions import Citation
from tests.test_context import CLOSURES, SORTING, events

DETERMINISTIC = ["--temperature", "0", "--seed", "7", "--max-tokens", "64"]


@pytest.fixture
def indexed(sector, workdir: Path, bundled_model) -> Path:
    folder = workdir / "notes"
    folder.mkdir()
    (folder / "closures.md").write_text(CLOSURES)
    (folder / "sorting.txt").write_text(SORTING)
    assert sector("context", "add", "notes").exit_code == 0
    return folder


def _ask(sector, question: str, *extra: str) -> tuple[list[dict], str]:
    result = sector("ask", question, *DETERMINISTIC, *extra, "--json")
    assert result.exit_code == 0, result.output
    stream = events(result.stdout)
    return stream, "".join(e["text"] for e in stream if e["event"] == "token")


def test_context_answer_has_numbered_sources_and_a_grounding_check(sector, indexed) -> None:
    stream, answer = _ask(sector, "@context Why do closures made in a loop see the last value?")
    kinds = [e["event"] for e in stream]
    assert answer and kinds[-2:] == ["sources", "grounding"]
    sources = stream[-2]
    citations = sources["citations"]
    assert [c["number"] for c in citations] == list(range(1, len(citations) + 1))
    assert citations[0]["path"] == str(indexed / "closures.md")
    assert citations[0]["label"].startswith("notes/closures.md:")
    assert set(sources["cited"]) <= {c["number"] for c in citations}
    grounding = stream[-1]
    assert grounding["unsupported"] == sum(not s["supported"] for s in grounding["sentences"])
    for check in grounding["sentences"]:
        assert check["sentence"] in answer and check["reason"]
    conversation = next(e["conversation"] for e in stream if e["event"] == "done")
    history = json.loads(sector("history", "show", str(conversation), "--json").stdout)
    saved = history["messages"][-1]["content"]
    assert saved.startswith(answer) and "Sources:\n[1] notes/closures.md:" in saved


def test_plain_output_prints_the_sources_block_and_flags(sector, indexed) -> None:
    result = sector("ask", "@context How does sorted() differ from list.sort()?", *DETERMINISTIC)
    assert result.exit_code == 0, result.output
    assert "\nSources:\n  [1] notes/sorting.txt:" in result.stdout
    assert "grounding:" in result.stderr


def test_nothing_relevant_is_said_instead_of_invented(sector, indexed) -> None:
    stream, answer = _ask(sector, "@context What is the capital of Mongolia?")
    assert "found nothing about this in the indexed documents" in answer
    stats = next(e for e in stream if e["event"] == "stats")
    assert stats["backend"] == "sector"  # the model was not asked
    assert "sources" not in [e["event"] for e in stream]


def test_doc_mention_and_sessions_limit_retrieval(sector, indexed) -> None:
    stream, _ = _ask(sector, "@doc:sorting.txt what is stable about sorting?")
    citations = next(e for e in stream if e["event"] == "sources")["citations"]
    assert {Path(c["path"]).name for c in citations} == {"sorting.txt"}
    sector("context", "session", "start", "sorting", "--docs", "sorting.txt")
    _, answer = _ask(sector, "@context Why do closures in a loop see the last value?")
    assert "found nothing about this in the session sorting" in answer
    sector("context", "session", "end")
    stream, _ = _ask(sector, "@context Why do closures in a loop see the last value?")
    citations = next(e for e in stream if e["event"] == "sources")["citations"]
    assert Path(citations[0]["path"]).name == "closures.md"


def test_dry_run_shows_the_sources(sector, indexed) -> None:
    result = sector("ask", "@context what is a closure?", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    titles = [s["title"] for s in plan["sections"]]
    assert titles[0] == "Source [1]" and plan["sections"][0]["source"].startswith("notes/")


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("@context:book.pdf what?", "@doc:book.pdf"),
        ("@doc what?", "@doc needs a document"),
        ("@doc:nothing.pdf what?", "sector context ls"),
    ],
)
def test_bad_context_mentions(sector, indexed, question, words) -> None:
    result = sector("ask", question)
    assert result.exit_code == 2 and words in result.stderr


def test_an_empty_index_names_the_next_step(sector, workdir, bundled_model) -> None:
    result = sector("ask", "@context what is a closure?")
    assert result.exit_code == 2 and "sector context add" in result.stderr


SOURCE = (
    "A closure is a function object that remembers values in enclosing scopes even if they "
    "are not present in memory. Python stores the captured variables in cells."
)


def test_grounding_check_flags_what_the_sources_do_not_say() -> None:
    from sector_cli.context.grounding import check
    from sector_cli.plugins.embedders.minilm import MiniLM

    citations = [
        Citation(1, "notes.md:1-3", "/notes.md", None, 1, 3, SOURCE),
        Citation(2, "b.md:1", "/b.md", None, 1, 1, "Tuples are immutable sequences."),
    ]
    answer = (
        "A closure is a function that remembers the values from its enclosing scope [1]. "
        "Python keeps the captured variables in cell objects.\n\n"
        "Closures were invented in 1995 by a committee in Geneva [1]. "
        "You can read more about closures in the source [7] of this answer.\n"
        "```python\nprint('code is not checked, it makes no claim here')\n```\nOk."
    )
    result = check(answer, citations, MiniLM())
    verdicts = {c.sentence[:30]: (c.supported, c.source) for c in result.sentences}
    assert verdicts == {
        "A closure is a function that r": (True, 1),
        "Python keeps the captured vari": (True, 1),
        "Closures were invented in 1995": (False, 1),
        "You can read more about closur": (False, 1),
    }
    cited_unknown = next(c for c in result.sentences if "[7]" in c.sentence)
    assert "[7]" in cited_unknown.reason and "not among the sources" in cited_unknown.reason
    assert len(result.unsupported) == 2
