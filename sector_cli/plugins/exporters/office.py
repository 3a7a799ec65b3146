"""What the DOCX and PPTX exporters share: the lines of code they show, and the file's
properties (what a file manager and Office's Info pane show)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sector_cli.export.highlight import Line, coloured_lines

if TYPE_CHECKING:
    from sector_cli.export.model import Code, Document

PROPERTY_CHARS = 255  # what Office (and python-docx, python-pptx) take in a text property


def shown_lines(code: Code) -> list[Line]:
    """The coloured lines to show: a final newline ends the last line and is not a line of
    its own (a numbered listing does not end on an empty numbered line)."""
    lines = coloured_lines(code)
    if len(lines) > 1 and code.text.endswith("\n") and not lines[-1]:
        lines.pop()
    return lines


def set_properties(properties: Any, document: Document) -> None:
    """Title, author, subject (the kind), keywords and dates, from the document's Meta;
    nothing left from the library's template."""
    meta = document.meta
    texts = {
        "title": document.title,
        "author": "Sector",
        "last_modified_by": "Sector",
        "subject": meta.kind,
        "keywords": ", ".join(k for k in ("Sector", meta.kind, meta.project) if k),
        "comments": meta.line(),
        "category": meta.reference,
    }
    for name, text in texts.items():
        setattr(properties, name, _property(text))
    properties.revision = 1
    properties.created = properties.modified = _utc(meta.created)


def _property(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PROPERTY_CHARS else text[: PROPERTY_CHARS - 1] + "…"


def _utc(moment: datetime) -> datetime:
    """The time in UTC without its zone: the libraries write it with a Z as given."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
