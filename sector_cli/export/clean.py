"""Text a document can hold in every format: a program's ANSI colours are dropped and other
control characters shown as their Unicode pictures (XML, and so DOCX, PPTX and SVG, refuses
them); bytes that were not UTF-8 were already replaced when the output was decoded."""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
# C0 controls but tab and newline, DEL, C1 controls, and the noncharacters XML forbids.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def _picture(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ ... ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\N{REPLACEMENT CHARACTER}"


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return CONTROL.sub(_picture, ANSI.sub("", text))


T = TypeVar("T")


def cleaned(value: T) -> T:
    """`value` (a document, a block, a tuple of them) with every string in it cleaned."""
    if isinstance(value, str):
        return clean_text(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(cleaned(item) for item in value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: cleaned(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
