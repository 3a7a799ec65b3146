"""The Sector TUI: one app, built by `build_app` for the `sector tui` command and the tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen

from sector_cli.errors import NotFoundError, SectorError
from sector_cli.tui.screens.help import HelpScreen, KeyRow
from sector_cli.tui.screens.no_project import NoProjectScreen
from sector_cli.tui.screens.workspace import WorkspaceScreen
from sector_cli.tui.widgets.file_tree import FileTree
from sector_cli.tui.widgets.run_history import RunHistory
from sector_cli.tui.widgets.run_panel import problem_text
from sector_cli.tui.widgets.stdin_input import StdinInput

if TYPE_CHECKING:
    from sector_cli.services import Services

# Where each group of keys works, for the help screen: the classes whose BINDINGS they are.
KEY_PLACES: list[tuple[str, type[DOMNode]]] = [
    ("Workspace", WorkspaceScreen),
    ("File tree", FileTree),
    ("Run history", RunHistory),
    ("Program input", StdinInput),
    ("Help", HelpScreen),
]


class SectorApp(App[None]):
    """The workspace of the current project, or an offer to make the folder a project."""

    CSS_PATH = "sector.tcss"
    TITLE = "Sector"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
    ]

    def __init__(self, services: Services, folder: Path, open_path: Path | None = None) -> None:
        super().__init__()
        self.services = services
        self.folder = folder
        self.open_path = open_path
        self.run_at_start = False  # run the open file once the workspace shows (--run)

    def on_mount(self) -> None:
        self.show_project()

    def show_project(self) -> None:
        """The workspace of the current project; the offer to make one when there is none."""
        try:
            project = self.services.projects.current()
        except NotFoundError as error:
            self.push_screen(NoProjectScreen(self.folder, error.message, error.hint or ""))
            return
        self.push_screen(WorkspaceScreen(self.services, project, self.open_path, self.run_at_start))

    @property
    def workspace(self) -> WorkspaceScreen | None:
        screen = self.screen
        return screen if isinstance(screen, WorkspaceScreen) else None

    @on(NoProjectScreen.InitWanted)
    def _init(self, message: NoProjectScreen.InitWanted) -> None:
        from sector_cli.services import open_services

        try:
            project, _ = self.services.projects.init(message.folder)
        except SectorError as error:
            self.notify(problem_text(error), severity="error", timeout=10)
            return
        # settings depend on the project folder: read them again, as a new command would
        self.services.close()
        self.services = open_services(cwd=message.folder)
        self.pop_screen()
        self.notify(f"Created {project.name} in {project.root}")
        self.show_project()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(key_rows()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: keys", "Every key of the TUI (F1)", self.action_help)
        if isinstance(screen, WorkspaceScreen):
            yield from screen.commands()


def key_name(key: str) -> str:
    """`ctrl+r` -> `Ctrl+R`, `f5` -> `F5`, `question_mark` -> `?`, `r` -> `r`: keys as the
    help and the docs write them."""
    names = {"question_mark": "?", "escape": "Esc", "enter": "Enter", "ctrl": "Ctrl"}
    parts = key.strip().split("+")
    if len(parts) == 1 and len(parts[0]) == 1:
        return parts[0]  # a letter typed as it is
    return "+".join(
        names.get(part, part.upper() if len(part) <= 3 else part.title()) for part in parts
    )


def rows_of(where: str, bindings: Iterable[BindingType]) -> list[KeyRow]:
    """One row an action: its keys together, its tooltip (else its footer label)."""
    grouped: dict[str, list[str]] = {}
    for binding in bindings:
        if isinstance(binding, Binding):
            what = binding.tooltip or binding.description or binding.action
            grouped.setdefault(what, []).extend(map(key_name, binding.key.split(",")))
    return [(where, ", ".join(keys), what) for what, keys in grouped.items()]


def key_rows() -> list[KeyRow]:
    """Every key, by where it works: the help screen's table (and docs/tui.md's)."""
    rows: list[KeyRow] = [
        ("Everywhere", "F1, ?", "This help"),
        ("Everywhere", "Ctrl+P", "Command palette: every action by name"),
        ("Everywhere", "Ctrl+Q", "Quit"),
        ("Everywhere", "Tab, Shift+Tab", "Move between panes"),
    ]
    for where, owner in KEY_PLACES:
        rows.extend(rows_of(where, owner.BINDINGS))
    return rows


def build_app(services: Services, path: Path | None = None) -> SectorApp:
    """The app for a folder (default: the current one), or for a file to open in it."""
    target = (path or Path.cwd()).absolute()
    if target.is_file():
        return SectorApp(services, target.parent, target)
    return SectorApp(services, target)
