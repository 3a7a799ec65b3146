"""Contract for `sector.rerankers` plugins: order the candidates that the retrievers found.

Each retriever (vector, full-text) returns its own ranked list; a reranker fuses them into one
ranking. The built-in `rrf` uses reciprocal rank fusion; a plugin may rescore candidates with
a cross-encoder or anything else that reads the query and the passages' text.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from sector_cli.plugins.base import Plugin


@dataclass
class Candidate:
    """A chunk found by one or more retrievers, with its 1-based rank and score in each."""

    key: str
    text: str
    ranks: dict[str, int] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)


class Reranker(Plugin):
    kind: ClassVar[str] = "rerankers"

    @abstractmethod
    def rank(self, query: str, candidates: list[Candidate]) -> list[tuple[Candidate, float]]:
        """Candidates best first, each with the score that ordered it (higher is better)."""
