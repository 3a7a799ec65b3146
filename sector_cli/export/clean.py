"""Text a document can hold in every format: a program's ANSI colours are dropped, other
control characters are shown in caret notation as `cat -v` shows them (^G for a bell: XML, and
so DOCX, PPTX and SVG, refuses the characters themselves, and every font has a caret), and lone
surrogates (bytes that were not UTF-8, kept by `surrogateescape`) become U+FFFD."""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
# C0 controls but tab and newline, DEL, C1 controls, surrogates and the noncharacters XML
# forbids.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)  # ^@ for NUL, ^G for a bell, ^? for DEL
    if code <= 0x9F:
        return f"M-^{chr((code - 0x80) ^ 0x40)}"  # as `cat -v` shows a C1 control
    return "\N{REPLACEMENT CHARACTER}"


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return CONTROL.sub(_shown, ANSI.sub("", text))


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
