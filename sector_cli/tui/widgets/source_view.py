"""The open file: read-only, with syntax highlighting and line numbers, and a title line that
says what the file is and whether the disk still agrees."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea


@dataclass(frozen=True)
class DiskState:
    """What the disk said of the open file when it was read: to see it change or vanish."""

    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> DiskState | None:
        try:
            info = path.stat()
        except OSError:
            return None
        return cls(info.st_mtime_ns, info.st_size)


class SourceView(Vertical):
    """A title line and a read-only code view of the open file."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.path: Path | None = None
        self.relative: str | None = None
        self.language: str | None = None
        self.disk: DiskState | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("No file open: choose one in the tree", style="dim"), id="source-title")
        yield TextArea.code_editor("", read_only=True, id="source-text", soft_wrap=False)

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#source-text", TextArea)

    def show_file(self, path: Path, relative: str, language: str) -> bool:
        """Show `path`; False (and the title says so) when it cannot be read."""
        self.path, self.relative, self.language = path, relative, language
        try:
            data = path.read_bytes()
        except OSError as error:
            self.disk = None
            self._title(f"{relative} cannot be read: {error.strerror}", "red")
            return False
        self.disk = DiskState.of(path)
        area = self.text_area
        area.language = language if language in area.available_languages else None
        area.load_text(data.decode("utf-8", errors="replace"))
        self._title("")
        return True

    def _title(self, note: str, style: str = "yellow") -> None:
        title = Text(self.relative or "", style="bold")
        if self.language:
            title.append(f"  {self.language}", style="dim")
        if note:
            title.append(f"  {note}", style=style)
        self.query_one("#source-title", Static).update(title)

    def check_disk(self) -> str | None:
        """Compare the disk with what is shown: reload a changed file, keep the text of a
        vanished one. Returns what happened, in words, or None when nothing did."""
        if self.path is None:
            return None
        now = DiskState.of(self.path)
        if now == self.disk:
            return None
        if now is None:
            self.disk = None
            self._title("deleted on disk: the text shown is as it was last read", "red")
            return f"{self.relative} was deleted on disk"
        was_missing = self.disk is None
        if self.show_file(self.path, self.relative or "", self.language or ""):
            return f"{self.relative} {'is back' if was_missing else 'changed'} on disk: reloaded"
        return None
