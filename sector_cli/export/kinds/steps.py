"""`--steps`: which steps of a trace (or frames of an animation) an export shows: `5`,
`3-9`, `1,4,10-12`; 1 is the first."""

from __future__ import annotations

import re

from sector_cli.errors import UsageError

PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")
HINT = "Give steps as 5, 3-9 or 1,4,10-12 (1 is the first)"
MAX_CHOSEN = 1000  # sections one export holds, whatever --steps asks for


def check_steps(text: str, word: str = "step") -> list[tuple[int, int]]:
    """The ranges `text` names (first, last; from 1), refused when they cannot name any
    steps at all: before a program is traced for them."""
    ranges = [_range(part, text, word) for part in text.split(",")]
    count = sum(last - first + 1 for first, last in ranges)
    if count > MAX_CHOSEN:
        raise UsageError(
            f"--steps {text!r} picks {count:,} {word}s; an export holds at most {MAX_CHOSEN:,}",
            "Pick fewer, and export the rest in another file",
        )
    return ranges


def parse_steps(text: str, total: int, word: str = "step") -> list[int]:
    """The chosen steps as 0-based indexes, in order, each once. `total` is how many there
    are; `word` names them in messages ("step", "frame")."""
    chosen: dict[int, None] = {}
    for first, last in check_steps(text, word):
        if last > total:
            raise UsageError(
                f"no {word} {last}: there {_are(total, word)}",
                f"Pick {word}s from 1 to {total}" if total else f"There is no {word} to pick",
            )
        chosen.update(dict.fromkeys(range(first - 1, last)))
    return list(chosen)


def _range(part: str, text: str, word: str) -> tuple[int, int]:
    found = PART.match(part)
    if found is None:
        raise UsageError(f"bad --steps {text!r}", HINT)
    first = int(found.group(1))
    last = int(found.group(2)) if found.group(2) is not None else first
    if first == 0 or last == 0:
        raise UsageError(f"bad --steps {text!r}: {word}s count from 1", HINT)
    if last < first:
        raise UsageError(
            f"bad --steps {text!r}: {first}-{last} goes backwards", f"Write it as {last}-{first}"
        )
    return first, last


def _are(total: int, word: str) -> str:
    if total == 1:
        return f"is 1 {word}"
    return f"are {total:,} {word}s"
