"""Contract for `sector.exporters` plugins: write a document in one file format."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from sector_cli.plugins.base import Plugin


@dataclass(frozen=True)
class Section:
    heading: str
    markdown: str


@dataclass(frozen=True)
class ExportDocument:
    """What is exported: a titled sequence of Markdown sections (runs, answers, views)."""

    title: str
    sections: list[Section] = field(default_factory=list)


class Exporter(Plugin):
    """Writes documents in one format."""

    kind: ClassVar[str] = "exporters"
    extension: ClassVar[str] = ""
    media_type: ClassVar[str] = ""

    @abstractmethod
    def export(self, document: ExportDocument, destination: Path) -> Path:
        """Write the document to `destination` and return the path written."""

    @classmethod
    def contract_problems(cls) -> list[str]:
        problems = super().contract_problems()
        if not cls.extension.startswith("."):
            problems.append("extension must start with '.'")
        if "/" not in cls.media_type:
            problems.append("media_type must be a MIME type")
        return problems
