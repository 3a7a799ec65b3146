"""Grounding bench: how well the check flags unsupported sentences.

Each case of bench/grounding_cases.json is one sentence and the passage of Sector's docs it is
checked against, labelled supported or not. Prints precision and recall of flagging
unsupported sentences for the similarity-only check and for the combined check (similarity
plus exact tokens), on the same cases with the same embedder, then the cases each gets wrong.

    .venv/bin/python bench/grounding.py
"""

from __future__ import annotations

import json
from pathlib import Path

from sector_cli.assistant.mentions import Citation
from sector_cli.context.grounding import check
from sector_cli.plugins.embedders.minilm import MiniLM

CASES = Path(__file__).with_name("grounding_cases.json")


def flagged(case: dict[str, object], embedder: MiniLM, exact_tokens: bool) -> tuple[bool, str]:
    source = str(case["source"])
    citation = Citation(1, "docs", "/docs.md", None, 1, 1, source)
    result = check(str(case["sentence"]), [citation], embedder, exact_tokens=exact_tokens)
    if not result.sentences:
        return False, "not checked"
    sentence = result.sentences[0]
    return not sentence.supported, sentence.reason


def scores(truth: list[bool], predicted: list[bool]) -> tuple[float, float]:
    hits = sum(t and p for t, p in zip(truth, predicted, strict=True))
    precision = hits / sum(predicted) if any(predicted) else 0.0
    recall = hits / sum(truth) if any(truth) else 0.0
    return precision, recall


def main() -> None:
    cases = json.loads(CASES.read_text())
    embedder = MiniLM()
    truth = [not c["supported"] for c in cases]
    print(f"{len(cases)} sentences, {sum(truth)} unsupported")
    misses: list[str] = []
    for name, exact in (("similarity only", False), ("similarity + exact tokens", True)):
        results = [flagged(c, embedder, exact) for c in cases]
        predicted = [f for f, _ in results]
        precision, recall = scores(truth, predicted)
        print(f"{name:28} precision {precision:.2f}  recall {recall:.2f}")
        for case, (flag, reason), wrong in zip(cases, results, truth, strict=True):
            if flag != wrong:
                misses.append(
                    f"  {name}: {'flagged' if flag else 'missed'} [{case['kind']}] "
                    f"{case['sentence']} ({reason})"
                )
    print("wrong verdicts:")
    print("\n".join(misses))


if __name__ == "__main__":
    main()
