"""The project's tracked files as a tree: each file with its language and last verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode


@dataclass(frozen=True)
class FileEntry:
    """One tracked file as the tree shows it."""

    path: str  # relative to the project root, with forward slashes
    language: str
    verdict: str | None  # the last run's, if the file was run
    missing: bool = False  # tracked, but gone from the disk


def verdict_style(verdict: str | None) -> str:
    if verdict is None:
        return "dim"
    if verdict == "accepted":
        return "bold green"
    return "bold yellow" if verdict in {"interrupted", "running"} else "bold red"


def entry_label(name: str, entry: FileEntry) -> Text:
    """`app.py python accepted`: the verdict coloured, a file gone from disk struck out."""
    label = Text(name, style="strike" if entry.missing else "")
    label.append(f" {entry.language}", style="dim")
    if entry.missing:
        label.append(" missing", style="red")
    label.append(f" {entry.verdict or 'not run'}", style=verdict_style(entry.verdict))
    return label


class FileTree(Tree[FileEntry | None]):
    """Folders and files; Enter (or a click) on a file sends `FileTree.FileChosen`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Open file",
            show=False,
            tooltip="Open the file under the cursor (or click it)",
        ),
    ]

    @dataclass
    class FileChosen(Message):
        entry: FileEntry

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(label, id=id)
        self.show_root = True
        self.guide_depth = 2

    def show_files(self, entries: list[FileEntry]) -> None:
        """Rebuild from `entries`, keeping the cursor on the same file when it is still there."""
        current = self.cursor_node.data if self.cursor_node is not None else None
        self.clear()
        folders: dict[str, TreeNode[FileEntry | None]] = {"": self.root}
        for entry in sorted(entries, key=lambda e: e.path.split("/")):
            parent = self._folder(folders, entry.path.rpartition("/")[0])
            leaf = parent.add_leaf(entry_label(entry.path.rpartition("/")[2], entry), entry)
            if current is not None and current.path == entry.path:
                self.move_cursor(leaf)
        self.root.expand_all()

    def _folder(
        self, folders: dict[str, TreeNode[FileEntry | None]], path: str
    ) -> TreeNode[FileEntry | None]:
        if path not in folders:
            parent = self._folder(folders, path.rpartition("/")[0])
            folders[path] = parent.add(path.rpartition("/")[2] + "/", None, expand=True)
        return folders[path]

    def entries(self) -> list[FileEntry]:
        """The files shown, in tree order."""
        found: list[FileEntry] = []

        def walk(node: TreeNode[FileEntry | None]) -> None:
            if node.data is not None:
                found.append(node.data)
            for child in node.children:
                walk(child)

        walk(self.root)
        return found

    def select_path(self, path: str) -> bool:
        """Move the cursor to the file `path`; False if it is not in the tree."""

        def find(node: TreeNode[FileEntry | None]) -> TreeNode[FileEntry | None] | None:
            if node.data is not None and node.data.path == path:
                return node
            for child in node.children:
                if (hit := find(child)) is not None:
                    return hit
            return None

        node = find(self.root)
        if node is not None:
            self.move_cursor(node)
        return node is not None

    def on_tree_node_selected(self, event: Tree.NodeSelected[FileEntry | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.FileChosen(event.node.data))
