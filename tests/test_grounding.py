"""The grounding check's exact-token part: flags, identifiers, code spans and numbers that a
claim names must occur in its sources (pure unit tests), and the check reports a sentence that
names one as unsupported even when its meaning is close (with the real embedder)."""

from __future__ import annotations

import pytest

from sector_cli.assistant.mentions import Citation
from sector_cli.context.tokens import code_tokens, missing_tokens, numbers

LIMITS = (
    "| `-t, --timeout SECONDS` | wall-clock and CPU limit (default `runs.timeout`, 10 s) |\n"
    "| `-m, --memory SIZE` | memory limit (default `runs.memory`, 256M) |\n"
    "A snapshot holds at most 1,000 files and 16 MiB; `sector.runs.snapshot()` builds it."
)


@pytest.mark.parametrize(
    ("claim", "missing"),
    [
        ("Use the `-m` option with the `-l` flag.", ["-l"]),
        ("Set `--timeout=10` or pass --timeout 10 to stop the run.", []),
        ("The default timeout is 30 s.", ["30 s"]),
        ("The default timeout is 10 seconds.", []),
        ("The default timeout is 10 ms.", ["10 ms"]),
        ("A snapshot holds 1000 files.", []),
        ("A snapshot holds 10,000 files.", ["10000"]),
        ("The memory default is 512M.", ["512 MiB"]),
        ("The memory default is 256 MiB.", []),
        ("Call `snapshot()` or sector.runs.snapshot() to build one.", []),
        ("Call build_snapshot() to build one.", ["build_snapshot"]),
        ("Set runs.wallTimeout in the config.", ["runs.walltimeout"]),
        ("The `RUNS.TIMEOUT` setting holds it.", []),
        ("Capitals and `-M` differ: flags keep their case.", ["-M"]),
    ],
)
def test_missing_tokens_names_what_the_sources_lack(claim: str, missing: list[str]) -> None:
    assert missing_tokens(claim, LIMITS) == missing


def test_plain_english_is_not_checked() -> None:
    prose = (
        "The well-known non-zero limit, e.g. the memory one, stops a run -- and Node.js "
        "programs too; it is the user's choice."
    )
    assert code_tokens(prose) == set()
    assert missing_tokens(prose, "Nothing in common.") == []


def test_numbers_are_normalised() -> None:
    assert numbers("1,000 files, 2.50 s, 10 MiB, 3.12-slim, 512M, c17 [no] v2") == [
        ("1000", None),
        ("2.5", "s"),
        ("10", "MiB"),
        ("3.12", None),
        ("512", "MiB"),
    ]


def test_the_check_flags_an_invented_flag_the_embedding_accepts() -> None:
    from sector_cli.context.grounding import check
    from sector_cli.plugins.embedders.minilm import MiniLM

    citations = [Citation(1, "docs/runs.md:33-34", "/runs.md", None, 33, 34, LIMITS)]
    answer = (
        "To limit the memory of a run, use the `-m` option with the `-l` flag [1]. "
        "The memory limit of a run is set with `--memory`, 256M by default [1]."
    )
    embedder = MiniLM()
    old = check(answer, citations, embedder, exact_tokens=False)
    assert [c.supported for c in old.sentences] == [True, True]
    new = check(answer, citations, embedder)
    assert [c.supported for c in new.sentences] == [False, True]
    assert "`-l`" in new.sentences[0].reason and "no cited source" in new.sentences[0].reason
