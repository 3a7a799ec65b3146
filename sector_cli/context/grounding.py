"""The grounding check: is each sentence of an answer supported by the sources it was given?

A sentence is compared with every sentence of the sources it cites (all sources when it cites
none) by meaning (embedding cosine similarity) and by words (the share of its content words
found in them). A sentence that cites a number that was not a source is unsupported whatever
it says, and so is one that names a flag, identifier, code span or number its sources do not
contain (`use -l` when no source says `-l`; see tokens.py), however close its meaning.
Short sentences ("Here is how.") carry no claim and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sector_cli.assistant.mentions import (
    CITATION,
    FENCED,
    Citation,
    Grounding,
    SentenceCheck,
    cited_numbers,
)
from sector_cli.context.tokens import missing_tokens
from sector_cli.plugins.embedder import Embedder

SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]+|\d+")
MIN_WORDS = 5
# Calibrated on all-MiniLM-L6-v2: paraphrases of a source sentence score above 0.6, sentences
# on the same topic that claim something else mostly below 0.5.
SUPPORTED_SIMILARITY = 0.6
SUPPORTED_WITH_WORDS = 0.45
WORD_SHARE = 0.6
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "has",
        "have",
        "how",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "then",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "you",
        "your",
        "it's",
        "do",
        "does",
        "not",
        "use",
        "used",
        "using",
        "also",
        "more",
        "most",
        "than",
        "there",
        "their",
        "they",
        "these",
        "those",
    ]
)


def sentences(text: str) -> list[str]:
    """The claims of an answer: sentences outside code blocks, long enough to say something."""
    prose = FENCED.sub(" ", text)
    found = []
    for piece in SENTENCE_BREAK.split(prose):
        cleaned = piece.strip(" \t-*>#")
        if len(WORD.findall(CITATION.sub("", cleaned))) >= MIN_WORDS:
            found.append(cleaned)
    return found


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text) if w.lower() not in STOP_WORDS}


def check(
    answer: str, citations: Sequence[Citation], embedder: Embedder, exact_tokens: bool = True
) -> Grounding:
    """Checks each claim; `exact_tokens=False` is the similarity-only check (kept for the
    bench, which compares the two)."""
    claims = sentences(answer)
    if not claims or not citations:
        return Grounding([])
    by_number = {c.number: c for c in citations}
    source_sentences = [
        (c.number, s) for c in citations for s in sentences(c.text) or [c.text.strip()]
    ]
    vectors = embedder.embed([*claims, *(s for _, s in source_sentences)])
    claim_vectors, source_vectors = vectors[: len(claims)], vectors[len(claims) :]
    similarities = claim_vectors @ source_vectors.T
    checks = []
    for row, claim in enumerate(claims):
        cited = cited_numbers(claim)
        unknown = [n for n in cited if n not in by_number]
        allowed = set(cited) - set(unknown) or set(by_number)
        best, best_number = -1.0, None
        for column, (number, _) in enumerate(source_sentences):
            if number in allowed and similarities[row, column] > best:
                best, best_number = float(similarities[row, column]), number
        words = _content_words(CITATION.sub("", claim))
        source_words = set().union(*(_content_words(by_number[n].text) for n in allowed))
        share = len(words & source_words) / len(words) if words else 0.0
        sources_text = "\n".join(by_number[n].text for n in allowed)
        absent = missing_tokens(CITATION.sub("", claim), sources_text) if exact_tokens else []
        supported = (
            not unknown
            and not absent
            and (
                best >= SUPPORTED_SIMILARITY
                or (best >= SUPPORTED_WITH_WORDS and share >= WORD_SHARE)
            )
        )
        reason = _reason(unknown, absent, supported, best, share)
        checks.append(SentenceCheck(claim, supported, best_number, round(best, 3), reason))
    return Grounding(checks)


def _reason(
    unknown: list[int], absent: list[str], supported: bool, similarity: float, share: float
) -> str:
    if unknown:
        cited = ", ".join(f"[{n}]" for n in unknown)
        return f"cites {cited}, which {'is' if len(unknown) == 1 else 'are'} not among the sources"
    if absent:
        named = ", ".join(f"`{t}`" for t in absent)
        return f"names {named}, which {'is' if len(absent) == 1 else 'are'} in no cited source"
    if supported:
        return f"matches the source (similarity {similarity:.2f}, {share:.0%} of its words)"
    return f"no source says this (best similarity {similarity:.2f}, {share:.0%} of its words)"
