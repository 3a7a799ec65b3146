"""Exact-token checks for the grounding check: the code-like spans, flags, identifiers and
numbers of a claim must occur in its sources.

Embedding similarity cannot tell `-m` from `-l` or 512 from 256: a sentence that names an
option the sources never mention reads just like one that names the right option. These
tokens are compared exactly, after normalising what writers vary (`--timeout=5` is
`--timeout` and 5, 1,000 is 1000, 2.50 s is 2.5 s, `run()` is `run`). Plain English words
are never checked here; only words inside backticks or shaped like code are.
"""

from __future__ import annotations

import re

CODE_SPAN = re.compile(r"`([^`\n]+)`")
FLAG = re.compile(r"(?<![\w/.-])--?[A-Za-z][\w-]*")
NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d++))?+(?:\s?([A-Za-z]{1,7})\b)?(?!\w|\.\d)"
)
DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\(\)")
SNAKE = re.compile(r"(?<![\w.])_*[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
CAMEL = re.compile(r"(?<![\w.])[a-z]+(?:[A-Z][a-z0-9]+)+\b")
WORD = re.compile(r"[A-Za-z_][\w.-]*[\w]|[A-Za-z_]")
# Units a number may carry, spelled one way; any other word after a number is not a unit.
UNITS = {
    "b": "B", "byte": "B", "bytes": "B",
    "kb": "KB", "kib": "KiB", "mb": "MB", "mib": "MiB", "gb": "GB", "gib": "GiB",
    "ms": "ms", "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "min", "minute": "min", "minutes": "min", "h": "h", "hour": "h", "hours": "h",
    "x": "x", "k": "k", "m": "MiB", "g": "GiB", "tok": "tok", "tokens": "tok", "token": "tok",
}  # fmt: skip


def _number(whole: str, fraction: str | None) -> str:
    digits = whole.replace(",", "")
    fraction = (fraction or "").rstrip("0")
    return f"{int(digits)}.{fraction}" if fraction else str(int(digits))


def numbers(text: str) -> list[tuple[str, str | None]]:
    """Each number of the text with its unit when it has one: `10 MiB` is ("10", "MiB")."""
    found = []
    for match in NUMBER.finditer(text):
        unit = match.group(3)
        found.append((_number(match.group(1), match.group(2)), UNITS.get((unit or "").lower())))
    return found


def _identifier(token: str) -> str:
    return token.removesuffix("()").strip(".").lower()


def code_tokens(text: str) -> set[str]:
    """The flags and identifiers of a claim that must occur verbatim in its sources: every
    word inside backticks, and outside them flags, calls, dotted, snake_case and camelCase
    names. Flags keep their case (`-m` is not `-M`); identifiers are compared lowercased."""
    found: set[str] = set()
    for span in CODE_SPAN.findall(text):
        found |= {f.split("=")[0] for f in FLAG.findall(span)}
        without_flags = FLAG.sub(" ", span)
        found |= {_identifier(w) for w in WORD.findall(without_flags) if len(w) > 1}
    prose = CODE_SPAN.sub(" ", text)
    found |= {f.split("=")[0] for f in FLAG.findall(prose)}
    for pattern in (CALL, SNAKE, CAMEL):
        found |= {_identifier(m.group(0)) for m in pattern.finditer(prose)}
    for dotted in DOTTED.findall(prose):
        # "e.g" and "i.e" are abbreviations and "Node.js" a product, not names.
        if any(len(part) > 1 for part in dotted.split(".")) and not dotted[0].isupper():
            found.add(dotted.lower())
    return {t for t in found if t}


def _source_vocabulary(sources: str) -> set[str]:
    words = {w.lower() for w in WORD.findall(FLAG.sub(" ", sources))}
    parts = {p for w in words for p in re.split(r"[.\-]", w) if p}
    return (
        words
        | parts
        | set(FLAG.findall(sources))
        | {f.split("=")[0] for f in FLAG.findall(sources)}
    )


def missing_tokens(claim: str, sources: str) -> list[str]:
    """The claim's code-like tokens (sorted) then numbers (in order) that its sources do not
    contain. A number must occur; when both give it a unit, the units must agree."""
    vocabulary = _source_vocabulary(sources)
    missing = [t for t in sorted(code_tokens(claim)) if t not in vocabulary]
    source_numbers = numbers(sources)
    plain = {n for n, _ in source_numbers}
    with_unit = {(n, u) for n, u in source_numbers if u}
    for number, unit in numbers(claim):
        units_here = {u for n, u in with_unit if n == number}
        if number not in plain:
            missing.append(number if unit is None else f"{number} {unit}")
        elif unit and units_here and unit not in units_here:
            missing.append(f"{number} {unit}")
    return list(dict.fromkeys(missing))
