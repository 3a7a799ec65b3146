"""Contract for `sector.loaders` plugins: turn a document into text with its provenance.

A loader reads one family of formats (PDF, Markdown, source code...) and yields passages in
document order, each with where it came from: a page for paged formats, a line range for text
formats, and the heading it sits under when the format has headings. The context service
chunks passages for the index; a passage is never split across pages.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from sector_cli.errors import UsageError
from sector_cli.plugins.base import Plugin


@dataclass(frozen=True)
class Passage:
    """A piece of a document and where it came from (page, or line range, and heading)."""

    text: str
    page: int | None = None  # 1-based, for paged formats (PDF, EPUB chapters)
    line_start: int | None = None  # 1-based, inclusive, for text formats
    line_end: int | None = None
    title: str | None = None  # the heading the passage sits under ("Closures > Cells")
    # Whether the passage is one unit (a function) that chunking should keep whole if it can.
    unit: bool = False


class UnreadableDocument(UsageError):
    """A document a loader cannot read: corrupt, encrypted, a zip bomb, binary, not UTF-8.

    The message is one line naming the reason; the hint names the next step. The context
    service skips the document, reports it, and indexes the rest.
    """


class Loader(Plugin):
    """Reads one family of document formats."""

    kind: ClassVar[str] = "loaders"
    extensions: ClassVar[tuple[str, ...]] = ()  # lowercase, with the dot: (".md", ".markdown")
    format: ClassVar[str] = ""  # what the catalog records: "pdf", "markdown", "python"...

    def format_of(self, path: Path) -> str:
        """The format recorded for `path` (a code loader names the language)."""
        return self.format or self.name

    @abstractmethod
    def load(self, path: Path) -> Iterator[Passage]:
        """Yield the document's passages in order.

        Raises UnreadableDocument with a one-line reason for a file it cannot read (corrupt,
        encrypted, a zip bomb, binary junk, not UTF-8). Never reads more than the file needs.
        """

    @classmethod
    def contract_problems(cls) -> list[str]:
        problems = super().contract_problems()
        if not cls.extensions:
            problems.append("extensions must list the file extensions this loader reads")
        elif any(not e.startswith(".") or e != e.lower() for e in cls.extensions):
            problems.append("extensions must be lowercase and start with a dot")
        return problems
