"""Projects: folders of a learner's code that Sector knows by name."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from sector_cli.config import paths
from sector_cli.config.files import ConfigFile, write_value
from sector_cli.config.keys import PROJECT_DEFAULT, PROJECT_NAME_PATTERN
from sector_cli.config.settings import Settings, find_project_folder
from sector_cli.errors import AlreadyExistsError, NotFoundError, UsageError
from sector_cli.store.engine import Store
from sector_cli.store.models import Project, SourceFile

PROJECT_CONFIG_TEMPLATE = """\
# Sector settings for this project. They override your user config; SECTOR_* environment
# variables and command-line flags override them. `sector config show` lists every key.
"""


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    files: int
    languages: dict[str, int]
    current: bool


def check_name(name: str) -> str:
    if not PROJECT_NAME_PATTERN.match(name):
        raise UsageError(
            f"{name!r} is not a valid project name",
            "Use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name


def name_for_folder(folder: Path) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.name).strip("-._")
    return cleaned[:100] or "project"


def mark_folder(folder: Path) -> None:
    """Create `.sector/config.toml` unless the folder is already marked (by `.sector/` or by
    `[tool.sector]` in its pyproject.toml, whose settings a new `.sector/` would hide)."""
    marker = folder / paths.PROJECT_DIR_NAME
    if marker.exists() and not marker.is_dir():
        raise UsageError(f"{marker} exists and is not a folder", "Move it aside, then try again")
    found = find_project_folder(folder)
    if found is not None and found.root == folder:
        return
    config = marker / paths.PROJECT_CONFIG_NAME
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(PROJECT_CONFIG_TEMPLATE, encoding="utf-8")


def check_root(folder: Path) -> Path:
    root = folder.resolve()
    if root == Path(root.anchor) or root == Path.home():
        raise UsageError(
            f"{root} is too broad for a project", "Make a project of a folder of code inside it"
        )
    return root


class Projects:
    """Create, find, list and remove projects."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def _by_name(self, session: Session, name: str) -> Project:
        project = session.exec(select(Project).where(Project.name == name)).first()
        if project is None:
            names = session.exec(select(Project.name)).all()
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"Did you mean {close[0]}?" if close else "Run `sector project ls` to list them"
            raise NotFoundError(f"no project named {name!r}", hint)
        return project

    def _by_root(self, session: Session, root: Path) -> Project | None:
        return session.exec(select(Project).where(Project.root == str(root))).first()

    def get(self, name: str) -> Project:
        with self.store.session() as session:
            return self._by_name(session, name)

    def init(self, folder: Path, name: str | None = None) -> tuple[Project, bool]:
        """Make `folder` a project (idempotent); returns the project and whether it is new."""
        root = check_root(folder)
        if not root.is_dir():
            raise UsageError(f"{folder} is not a folder", "Create it first, or give another path")
        with self.store.session() as session:
            existing = self._by_root(session, root)
            if existing is not None:
                if name and name != existing.name:
                    raise AlreadyExistsError(
                        f"{root} is already project {existing.name!r}",
                        "Keep that name, or `sector project rm` it and init again",
                    )
                mark_folder(root)
                return existing, False
            project = self._create(session, check_name(name or name_for_folder(root)), root)
            mark_folder(root)  # before the commit: a folder that cannot be marked adds nothing
        return project, True

    def new(self, name: str, folder: Path) -> Project:
        """Create a project in `folder` (made if missing); the name must be free."""
        check_name(name)
        root = check_root(folder)
        if root.exists() and not root.is_dir():
            raise UsageError(f"{folder} exists and is not a folder", "Give another --path")
        with self.store.session() as session:
            taken = self._by_root(session, root)
            if taken is not None:
                raise AlreadyExistsError(
                    f"{root} is already project {taken.name!r}",
                    f"Use it with `sector project use {taken.name}`",
                )
            project = self._create(session, name, root)
            root.mkdir(parents=True, exist_ok=True)
            mark_folder(root)
        return project

    def _create(self, session: Session, name: str, root: Path) -> Project:
        if session.exec(select(Project).where(Project.name == name)).first() is not None:
            raise AlreadyExistsError(
                f"a project named {name!r} already exists",
                "Choose another name (--name), or see it with `sector project show " + name + "`",
            )
        project = Project(name=name, root=str(root))
        session.add(project)
        session.flush()
        return project

    def summaries(self, name: str | None = None) -> list[ProjectSummary]:
        """Every project (or the one named) with its file counts by language."""
        current = self.current_name()
        with self.store.session() as session:
            query = select(Project).order_by(col(Project.name))
            projects = [self._by_name(session, name)] if name else session.exec(query).all()
            counts = session.exec(
                select(SourceFile.project_id, SourceFile.language, func.count())
                .where(col(SourceFile.project_id).in_([p.id for p in projects]))
                .group_by(col(SourceFile.project_id), col(SourceFile.language))
            ).all()
        languages: dict[int, dict[str, int]] = {}
        for project_id, language, count in counts:
            languages.setdefault(project_id, {})[language] = count
        return [
            ProjectSummary(
                project,
                sum(languages.get(project.id or 0, {}).values()),
                languages.get(project.id or 0, {}),
                project.name == current,
            )
            for project in projects
        ]

    def remove(self, name: str) -> Project:
        """Forget a project and its tracked files; nothing on disk is touched."""
        with self.store.session() as session:
            project = self._by_name(session, name)
            session.delete(project)
        if self.settings.layer_named("user").values.get(PROJECT_DEFAULT.name) == name:
            write_value(self.settings.user_file, PROJECT_DEFAULT.name, None)
        return project

    def use(self, name: str) -> ConfigFile:
        """Make `name` the default project outside project folders (in the user config)."""
        self.get(name)
        write_value(self.settings.user_file, PROJECT_DEFAULT.name, name)
        return self.settings.user_file

    def overriding(self) -> str | None:
        """The project a flag or SECTOR_PROJECT names here, over the default `use` writes."""
        if self.settings.layer_of(PROJECT_DEFAULT).name in {"flag", "env"}:
            return self.settings.get(PROJECT_DEFAULT)
        return None

    def current_name(self) -> str | None:
        """The project a command acts on, by the precedence the docs describe, if any."""
        overriding = self.overriding()
        if overriding is not None:
            return overriding
        folder = self.settings.project_folder
        if folder is not None:
            with self.store.session() as session:
                project = self._by_root(session, folder.root)
            if project is not None:
                return project.name
        return self.settings.get(PROJECT_DEFAULT)

    def current(self) -> Project:
        """The project a command acts on, or a NotFoundError naming how to pick one."""
        name = self.current_name()
        if name is not None:
            return self.get(name)
        folder = self.settings.project_folder
        if folder is not None:
            raise NotFoundError(
                f"{folder.root} is marked as a Sector project but not registered in "
                f"{self.store.display_url}",
                f"Run `sector init` in {folder.root}",
            )
        raise NotFoundError(
            "no project selected",
            "Run `sector init` in your project folder, or pick one with `sector project use NAME`",
        )
