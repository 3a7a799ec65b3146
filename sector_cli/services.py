"""Builds the core services from settings. Every front end starts here."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

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

        allow = self.settings.get("plugins.load")
        return load_registry(allow if isinstance(allow, list) else None)

    @cached_property
    def languages(self) -> LanguageIndex:
        from sector_cli.plugins.detect import LanguageIndex
        from sector_cli.plugins.language import Language

        found = []
        infos = sorted(self.registry.of_kind("languages"), key=lambda info: not info.builtin)
        for info in infos:
            plugin = info.plugin_class()
            assert isinstance(plugin, Language)
            found.append(plugin)
        return LanguageIndex(found)

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
            self.settings.max_file_size(),
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
            value = self.settings.get("context.k")
            assert isinstance(value, int)
            return value

        mentions = MentionRegistry()
        register_builtins(mentions, Path.cwd(), self.runs, project, files)
        register_context(mentions, lambda: self.context, k)
        return Assistant(
            self.store, self.settings, self.registry, mentions, project.id if project else None
        )

    def plugin(self, kind: str, name: str) -> Plugin:
        """An instance of the plugin `name` of `kind` (a NotFoundError suggests others)."""
        return self.registry.get(kind, name).plugin_class()

    @cached_property
    def context(self) -> Context:
        """The local context index, with the configured embedder, reranker and loaders."""
        from sector_cli.config.paths import data_dir
        from sector_cli.context.service import Context
        from sector_cli.plugins.embedder import Embedder
        from sector_cli.plugins.loader import Loader
        from sector_cli.plugins.reranker import Reranker

        embedder = self.plugin("embedders", str(self.settings.get("context.embedder")))
        reranker = self.plugin("rerankers", str(self.settings.get("context.reranker")))
        infos = sorted(self.registry.of_kind("loaders"), key=lambda info: not info.builtin)
        loaders = [info.plugin_class() for info in infos]
        assert isinstance(embedder, Embedder) and isinstance(reranker, Reranker)
        assert all(isinstance(loader, Loader) for loader in loaders)
        max_size = self.settings.get("context.max_size")
        assert isinstance(max_size, int)
        return Context(
            self.store,
            data_dir() / "context",
            embedder,
            reranker,
            [loader for loader in loaders if isinstance(loader, Loader)],
            max_size,
        )

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()


def open_services(
    flags: Mapping[str, Value | None] | None = None, cwd: Path | None = None
) -> Services:
    return Services(load_settings(cwd=cwd, flags=flags))
