"""Builds the core services from settings. Every front end starts here."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sector_cli.config import keys
from sector_cli.config.keys import Value
from sector_cli.config.settings import Settings, load_settings

if TYPE_CHECKING:
    from sector_cli.assistant.service import Assistant
    from sector_cli.context.service import Context
    from sector_cli.plugins.base import Plugin
    from sector_cli.plugins.detect import LanguageIndex
    from sector_cli.plugins.registry import Registry
    from sector_cli.runs.service import Runs
    from sector_cli.store.engine import Store
    from sector_cli.store.models import Project, SourceFile
    from sector_cli.workspace.files import Files
    from sector_cli.workspace.projects import Projects

P = TypeVar("P", bound="Plugin")


class Services:
    """Lazily built services sharing one store and one plugin registry."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def store(self) -> Store:
        from sector_cli.store.engine import Store

        return Store(self.settings.database_url())

    @cached_property
    def registry(self) -> Registry:
        from sector_cli.plugins.registry import load_registry

        return load_registry(self.settings.get(keys.PLUGINS_LOAD))

    @cached_property
    def languages(self) -> LanguageIndex:
        from sector_cli.plugins.detect import LanguageIndex
        from sector_cli.plugins.language import Language

        infos = sorted(self.registry.of_kind(Language), key=lambda info: not info.builtin)
        return LanguageIndex([info.plugin_class() for info in infos])

    @cached_property
    def projects(self) -> Projects:
        from sector_cli.workspace.projects import Projects

        return Projects(self.store, self.settings)

    def files(self, project: Project | None = None) -> Files:
        """The files of `project`, or of the current project."""
        from sector_cli.workspace.files import Files

        return Files(
            self.store,
            project or self.projects.current(),
            self.languages,
            self.settings.get(keys.FILES_MAX_SIZE),
        )

    @cached_property
    def runs(self) -> Runs:
        """Runs, attached to the current project when there is one."""
        from sector_cli.errors import NotFoundError
        from sector_cli.runs.service import Runs

        try:
            project_id = self.projects.current().id
        except NotFoundError:
            project_id = None
        return Runs(self.store, self.settings, self.registry, self.languages, project_id)

    @cached_property
    def assistant(self) -> Assistant:
        """The assistant, with the built-in mentions (@file, @run, @project, @context)."""
        from sector_cli.assistant.builtin_mentions import register_builtins
        from sector_cli.assistant.mentions import MentionRegistry
        from sector_cli.assistant.service import Assistant
        from sector_cli.context.mention import register_context
        from sector_cli.errors import NotFoundError

        try:
            project = self.projects.current()
        except NotFoundError:
            project = None

        def files() -> list[SourceFile]:  # read only when @project is used
            return self.files(project).tracked() if project else []

        def k() -> int:
            return self.settings.get(keys.CONTEXT_K)

        mentions = MentionRegistry()
        register_builtins(mentions, Path.cwd(), self.runs, project, files)
        register_context(mentions, lambda: self.context, k)
        return Assistant(
            self.store, self.settings, self.registry, mentions, project.id if project else None
        )

    def plugin(self, contract: type[P], name: str) -> P:
        """An instance of the plugin `name` of a kind, as its contract (`Embedder`, ...);
        a NotFoundError suggests others."""
        return self.registry.get(contract, name).plugin_class()

    @cached_property
    def context(self) -> Context:
        """The local context index, with the configured embedder, reranker and loaders."""
        from sector_cli.config.paths import data_dir
        from sector_cli.context.service import Context
        from sector_cli.plugins.embedder import Embedder
        from sector_cli.plugins.loader import Loader
        from sector_cli.plugins.reranker import Reranker

        embedder = self.plugin(Embedder, self.settings.get(keys.CONTEXT_EMBEDDER))
        reranker = self.plugin(Reranker, self.settings.get(keys.CONTEXT_RERANKER))
        infos = sorted(self.registry.of_kind(Loader), key=lambda info: not info.builtin)
        return Context(
            self.store,
            data_dir() / "context",
            embedder,
            reranker,
            [info.plugin_class() for info in infos],
            self.settings.get(keys.CONTEXT_MAX_SIZE),
        )

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()


def open_services(
    flags: Mapping[str, Value | None] | None = None, cwd: Path | None = None
) -> Services:
    return Services(load_settings(cwd=cwd, flags=flags))
