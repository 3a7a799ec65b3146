"""Passages from loaders become chunks: pieces small enough for the embedding model to read
whole, big enough to answer a question, never crossing a page or a heading.

Neighbouring passages under the same heading and page are merged up to TARGET_CHARS; a passage
longer than MAX_CHARS is split at line breaks, else at sentence ends, else at spaces. Each chunk
keeps its page and the line range it covers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sector_cli.plugins.loader import Passage

# all-MiniLM-L6-v2 reads at most 256 word pieces and was trained on texts of 128 or fewer:
# about 600 characters of English prose is what it embeds best (and fastest).
TARGET_CHARS = 600
MAX_CHARS = 1000
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'`])")


@dataclass(frozen=True)
class Chunk:
    body: str
    title: str | None
    page: int | None
    line_start: int | None
    line_end: int | None

    @property
    def content(self) -> str:
        """What is embedded and searched: the heading gives the body its topic."""
        return f"{self.title}\n{self.body}" if self.title else self.body


def chunk_passages(passages: Iterable[Passage]) -> Iterator[Chunk]:
    pending: list[Passage] = []
    size = 0
    for passage in passages:
        text = _storable(passage.text).strip()
        if not text:
            continue
        passage = _with_text(passage, text)
        fits = size + len(text) <= TARGET_CHARS
        if pending and (not fits or not _same_place(pending[-1], passage) or passage.unit):
            yield _merge(pending)
            pending, size = [], 0
        if len(text) > MAX_CHARS:
            yield from _split(passage)
            continue
        pending.append(passage)
        size += len(text)
        if passage.unit:  # a function or class stays a chunk of its own
            yield _merge(pending)
            pending, size = [], 0
    if pending:
        yield _merge(pending)


def _storable(text: str) -> str:
    """Text every store accepts: a lone surrogate (from a broken PDF) becomes U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _with_text(passage: Passage, text: str) -> Passage:
    return Passage(
        text, passage.page, passage.line_start, passage.line_end, passage.title, passage.unit
    )


def _same_place(a: Passage, b: Passage) -> bool:
    return a.page == b.page and a.title == b.title and not a.unit


def _merge(passages: list[Passage]) -> Chunk:
    starts = [p.line_start for p in passages if p.line_start is not None]
    ends = [p.line_end for p in passages if p.line_end is not None]
    first = passages[0]
    return Chunk(
        "\n\n".join(p.text for p in passages),
        first.title,
        first.page,
        min(starts) if starts else None,
        max(ends) if ends else None,
    )


def _split(passage: Passage) -> Iterator[Chunk]:
    """Pieces of a long passage; line ranges follow the pieces when the passage has lines."""
    text = passage.text
    line, counted = passage.line_start, 0  # the line at offset `counted`, counted as we go
    for begin, end in _pieces(text):
        piece = text[begin:end].strip()
        if not piece:
            continue
        first = last = None
        if line is not None:
            at = text.index(piece, begin)
            line += text.count("\n", counted, at)
            counted = at
            first, last = line, line + piece.count("\n")
        yield Chunk(piece, passage.title, passage.page, first, last)


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of consecutive pieces of at most MAX_CHARS, cut at the gentlest break."""
    begin = 0
    while len(text) - begin > MAX_CHARS:
        end = begin + _cut(text[begin : begin + MAX_CHARS])
        yield begin, end
        begin = end
    yield begin, len(text)


def _cut(window: str) -> int:
    low = TARGET_CHARS // 2
    for finder in (_last_newline, _last_sentence_end, _last_space):
        at = finder(window, low)
        if at is not None:
            return at
    return len(window)


def _last_newline(window: str, low: int) -> int | None:
    at = window.rfind("\n", low)
    return at if at > 0 else None


def _last_sentence_end(window: str, low: int) -> int | None:
    ends = [m.start() for m in SENTENCE_END.finditer(window, low)]
    return ends[-1] if ends else None


def _last_space(window: str, low: int) -> int | None:
    at = window.rfind(" ", low)
    return at if at > 0 else None
