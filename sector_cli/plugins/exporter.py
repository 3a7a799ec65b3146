"""Contract for `sector.exporters` plugins: draw a document in one file format.

An exporter gets a `Document` (`sector_cli.export.model`: sections of paragraphs, code, tables,
figures...) and writes it to `target.path`, a temporary name that the export service renames
to the user's file once the exporter has returned: a failed export leaves nothing behind.
Files that go next to the document (a Markdown file's pictures) are written under
`target.assets()` and linked by `target.assets_link`.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sector_cli.errors import UsageError
from sector_cli.plugins.base import Plugin

if TYPE_CHECKING:
    from sector_cli.export.model import Document


@dataclass(frozen=True)
class ExportOptions:
    """How to draw: `scale` is pixels per CSS pixel for PNG and JPEG, and for the pictures
    that DOCX and PPTX embed (2 keeps text sharp on a high-density screen)."""

    scale: float = 2.0


@dataclass
class Target:
    """Where an exporter writes. `name` is the file the user gets ("-" for stdout)."""

    path: Path
    name: str
    _assets: Path | None = field(default=None, repr=False)

    @property
    def assets_link(self) -> str:
        """The folder of the files next to the document, as the document links it."""
        return f"{Path(self.name).stem}_files"

    def assets(self) -> Path:
        """A folder for the files that go next to the document, renamed with it."""
        if self.name == "-":
            raise UsageError(
                "this document has pictures, which cannot go next to stdout",
                "Name a file with --out",
            )
        if self._assets is None:
            self._assets = self.path.with_name(self.path.name + ".files")
            self._assets.mkdir()
        return self._assets

    @property
    def assets_written(self) -> Path | None:
        return self._assets


@dataclass(frozen=True)
class Written:
    """What an exporter wrote, for `--json` and the one-line report."""

    pages: int | None = None
    slides: int | None = None
    assets: int = 0


class Exporter(Plugin):
    """Writes documents in one format. The plugin's name is the format (`--format NAME`)."""

    kind: ClassVar[str] = "exporters"
    extension: ClassVar[str] = ""  # ".pdf": what `--out` names end with
    other_extensions: ClassVar[tuple[str, ...]] = ()  # (".jpg",), (".htm",)
    media_type: ClassVar[str] = ""
    binary: ClassVar[bool] = True
    # Whether it can draw a document of several frames (trace steps, animation frames): a
    # still image cannot, and takes one (`--steps N`).
    animates: ClassVar[bool] = True

    @abstractmethod
    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        """Write `document` to `target.path` and say what was written.

        Raises UsageError for a document it cannot draw (with the next step in the hint);
        never writes anywhere but `target.path` and `target.assets()`.
        """

    @classmethod
    def extensions(cls) -> tuple[str, ...]:
        return (cls.extension, *cls.other_extensions)

    @classmethod
    def contract_problems(cls) -> list[str]:
        problems = super().contract_problems()
        if not all(ext.startswith(".") and ext == ext.lower() for ext in cls.extensions()):
            problems.append("extensions must be lowercase and start with '.'")
        if "/" not in cls.media_type:
            problems.append("media_type must be a MIME type")
        return problems
