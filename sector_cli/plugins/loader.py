"""Contract for `sector.loaders` plugins: turn a document into text with its provenance."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from sector_cli.plugins.base import Plugin


@dataclass(frozen=True)
class Passage:
    """A piece of a document and where it came from (page, or line range)."""

    text: str
    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None


class Loader(Plugin):
    """Reads one document format."""

    kind: ClassVar[str] = "loaders"
    extensions: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def load(self, path: Path) -> Iterator[Passage]:
        """Yield the document's passages in order.

        Raises UsageError with a one-line reason for a file it cannot read (corrupt, encrypted).
        """

    @classmethod
    def contract_problems(cls) -> list[str]:
        problems = super().contract_problems()
        if not cls.extensions:
            problems.append("extensions must list the file extensions this loader reads")
        return problems
