"""Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): each retriever votes
1 / (k + rank) for the candidates it found; scores of different scales never mix."""

from __future__ import annotations

from typing import ClassVar

from sector_cli.plugins.reranker import Candidate, Reranker

RRF_K = 60  # the paper's constant: damps the weight of the very first ranks


class ReciprocalRankFusion(Reranker):
    name: ClassVar[str] = "rrf"
    summary: ClassVar[str] = "Reciprocal rank fusion of the vector and full-text rankings"

    def rank(self, query: str, candidates: list[Candidate]) -> list[tuple[Candidate, float]]:
        scored = [(c, sum(1.0 / (RRF_K + r) for r in c.ranks.values())) for c in candidates]
        # Ties (same votes) go to the candidate ranked higher by any retriever.
        return sorted(scored, key=lambda pair: (-pair[1], min(pair[0].ranks.values())))
