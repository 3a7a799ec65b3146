"""Finding plugins through entry points, built-in and third-party alike.

Each kind has an entry point group `sector.<kind>` whose entries name a class implementing the
kind's contract. A plugin that fails to import or breaks its contract becomes a `LoadProblem`
(shown as a warning), never an exception. `plugins.load` (`SECTOR_LOAD_PLUGINS`) is an allow-list
of third-party plugins, by entry point or distribution name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from typing import Generic, TypeVar, overload

from sector_cli.errors import NotFoundError, PluginError
from sector_cli.plugins.backend import Backend
from sector_cli.plugins.base import Plugin
from sector_cli.plugins.declared import load_declarations
from sector_cli.plugins.embedder import Embedder
from sector_cli.plugins.entrypoints import LoadProblem, found_in, group, is_builtin
from sector_cli.plugins.exporter import Exporter
from sector_cli.plugins.language import Language
from sector_cli.plugins.loader import Loader
from sector_cli.plugins.reranker import Reranker
from sector_cli.plugins.runner import Runner

CONTRACTS: dict[str, type[Plugin]] = {
    contract.kind: contract
    for contract in (Backend, Runner, Language, Loader, Exporter, Embedder, Reranker)
}
P = TypeVar("P", bound=Plugin)


@dataclass(frozen=True)
class PluginInfo(Generic[P]):
    kind: str
    name: str
    plugin_class: type[P]
    distribution: str
    version: str
    entry_point: str

    @property
    def builtin(self) -> bool:
        return is_builtin(self.distribution)

    @property
    def origin(self) -> str:
        return "built-in" if self.builtin else f"{self.distribution} {self.version}"


def _not_a(entry_point: str, contract: type[Plugin]) -> str:
    return f"{entry_point} is not a subclass of {contract.__name__}"


def _as_contract(info: PluginInfo[Plugin], contract: type[P]) -> PluginInfo[P]:
    """The same plugin, typed as `contract`; refused when its class is not one."""
    plugin_class = info.plugin_class
    if not issubclass(plugin_class, contract):
        raise PluginError(_not_a(info.entry_point, contract), "Run `sector plugins ls` to see it")
    return PluginInfo(
        info.kind, info.name, plugin_class, info.distribution, info.version, info.entry_point
    )


@dataclass
class Registry:
    """The loaded plugins by kind. Asked by contract class (`get(Embedder, "minilm")`), it
    answers with that type; asked by kind name (`sector plugins ls`), with the base type."""

    plugins: dict[str, dict[str, PluginInfo[Plugin]]] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # third-party names left out by the allow-list

    @overload
    def of_kind(self, kind: type[P]) -> list[PluginInfo[P]]: ...

    @overload
    def of_kind(self, kind: str) -> list[PluginInfo[Plugin]]: ...

    def of_kind(self, kind: type[P] | str) -> list[PluginInfo[P]] | list[PluginInfo[Plugin]]:
        if isinstance(kind, str):
            return sorted(self.plugins.get(kind, {}).values(), key=lambda info: info.name)
        return [_as_contract(info, kind) for info in self.of_kind(kind.kind)]

    @overload
    def get(self, kind: type[P], name: str) -> PluginInfo[P]: ...

    @overload
    def get(self, kind: str, name: str) -> PluginInfo[Plugin]: ...

    def get(self, kind: type[P] | str, name: str) -> PluginInfo[P] | PluginInfo[Plugin]:
        """The plugin `name` of a kind, or a NotFoundError that suggests the closest."""
        kind_name = kind if isinstance(kind, str) else kind.kind
        found = self.plugins.get(kind_name, {})
        if name not in found:
            close = difflib.get_close_matches(name, list(found), n=1)
            hint = f"Did you mean {close[0]}?" if close else "Run `sector plugins ls` to see them"
            raise NotFoundError(f"no {kind_name} plugin named {name!r}", hint)
        return found[name] if isinstance(kind, str) else _as_contract(found[name], kind)


def _load_entry(kind: str, entry: EntryPoint) -> type[Plugin]:
    """Import one entry point and check it against its contract; raises ValueError when bad."""
    try:
        loaded = entry.load()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a broken plugin must never break Sector, SystemExit included
        raise ValueError(f"import failed ({type(exc).__name__}: {exc})") from exc
    contract = CONTRACTS[kind]
    if not (isinstance(loaded, type) and issubclass(loaded, contract)):
        raise ValueError(_not_a(entry.value, contract))
    if getattr(loaded, "name", None) != entry.name:
        raise ValueError(f"class name attribute {getattr(loaded, 'name', None)!r} != entry point")
    problems = loaded.contract_problems()
    if problems:
        raise ValueError("; ".join(problems))
    return loaded


def load_registry(allow: list[str] | None = None) -> Registry:
    """Load every plugin of every kind that the allow-list admits; a plugin's settings
    declaration that is left out is one of the problems too."""
    registry = Registry()
    for kind in CONTRACTS:
        found = registry.plugins.setdefault(kind, {})
        for each in found_in(group(kind)):
            entry, distribution = each.entry, each.distribution
            if not each.allowed(allow):
                registry.skipped.append(f"{kind}:{entry.name} ({distribution})")
                continue
            if entry.name in found:
                reason = f"name already taken by {found[entry.name].origin}"
                registry.problems.append(LoadProblem(kind, entry.name, distribution, reason))
                continue
            try:
                plugin_class = _load_entry(kind, entry)
            except ValueError as exc:
                registry.problems.append(LoadProblem(kind, entry.name, distribution, str(exc)))
                continue
            found[entry.name] = PluginInfo(
                kind, entry.name, plugin_class, distribution, each.version, entry.value
            )
    registry.problems.extend(load_declarations(allow).problems)
    return registry
