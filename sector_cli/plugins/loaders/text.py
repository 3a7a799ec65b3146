"""Plain text: one passage per paragraph, with its line range."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from sector_cli.plugins.loader import Loader, Passage
from sector_cli.plugins.loaders.common import paragraphs, read_text


class TextLoader(Loader):
    name: ClassVar[str] = "text"
    summary: ClassVar[str] = "Plain text, paragraph by paragraph, with line ranges"
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".text")
    format: ClassVar[str] = "text"

    def load(self, path: Path) -> Iterator[Passage]:
        yield from paragraphs(read_text(path).split("\n"))
