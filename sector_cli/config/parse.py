"""Parsers of setting values, for Sector's keys and for the keys plugins declare.

Each parser takes a TOML value or a command-line/environment string and returns the typed
value, or raises ValueError saying what was expected (`Key.convert` adds where it came from).
"""

from __future__ import annotations

import math
from collections.abc import Callable


def parse_text(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("expected a non-empty string")
    return raw.strip()


def parse_size(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError("expected a size in bytes")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        value = _size_from_text(raw)
    else:
        raise ValueError("expected a size in bytes")
    if value <= 0:
        raise ValueError("expected a positive size")
    return value


_SIZE_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}


def _size_from_text(text: str) -> int:
    """Parse '2000000', '512k', '2M' or '1G' (binary units)."""
    cleaned = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = _SIZE_UNITS.get(cleaned[-1:], 1)
    number = cleaned[:-1] if unit > 1 else cleaned
    try:
        return int(float(number) * unit)
    except (ValueError, OverflowError):  # OverflowError: "1e400", "inf"
        raise ValueError(f"expected a size such as 2000000, 512k or 2M, got {text!r}") from None


def parse_seconds(raw: object) -> float:
    try:
        value = float(str(raw).strip().removesuffix("s")) if not isinstance(raw, bool) else -1
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {raw!r}") from None
    if not 0 < value <= 24 * 3600:
        # the lower bound is exclusive: say so ("between 0 and" read as if 0 were allowed)
        raise ValueError(f"expected seconds above 0 and at most 86400, got {raw!r}")
    return value


def _number_within(raw: object, low: float, high: float, whole: bool) -> float:
    try:
        value = float(str(raw).strip()) if not isinstance(raw, bool) else math.nan
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not low <= value <= high or (whole and value != int(value)):
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"expected {kind} from {low:g} to {high:g}, got {raw!r}")
    return value


def parse_number(low: float, high: float) -> Callable[[object], float]:
    """A parser of numbers from `low` to `high`, both included."""

    def parse(raw: object) -> float:
        return _number_within(raw, low, high, whole=False)

    return parse


def parse_whole_number(low: int, high: int) -> Callable[[object], int]:
    """A parser of whole numbers from `low` to `high`, both included."""

    def parse(raw: object) -> int:
        return int(_number_within(raw, low, high, whole=True))

    return parse


def parse_url(raw: object) -> str:
    value = parse_text(raw).rstrip("/")
    if "://" not in value:
        value = f"http://{value}"  # OLLAMA_HOST is often given as host:port
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// address")
    return value


def parse_choice(*choices: str) -> Callable[[object], str]:
    """A parser of one of `choices` (any case)."""

    def parse(raw: object) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def parse_mapping(raw: object) -> dict[str, str]:
    """`python=img,*=img` (environment, command line) or a TOML table of strings."""
    if isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        return {str(k): v for k, v in raw.items()}
    if isinstance(raw, str):
        pairs = [item.split("=", 1) for item in raw.split(",") if item.strip()]
        if all(len(pair) == 2 and pair[0].strip() and pair[1].strip() for pair in pairs):
            return {k.strip(): v.strip() for k, v in pairs}
    raise ValueError("expected NAME=VALUE pairs separated by commas")


def parse_list(raw: object) -> list[str]:
    if isinstance(raw, str):
        return [item.strip() for item in raw.split(",") if item.strip()]
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return [item.strip() for item in raw if item.strip()]
    raise ValueError("expected a comma-separated list of names")
