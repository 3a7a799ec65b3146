"""Finding plugins through entry points, built-in and third-party alike.

Each kind has an entry point group `sector.<kind>` whose entries name a class implementing the
kind's contract. A plugin that fails to import or breaks its contract becomes a `LoadProblem`
(shown as a warning), never an exception. `plugins.load` (`SECTOR_LOAD_PLUGINS`) is an allow-list
of third-party plugins, by entry point or distribution name.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from sector_cli.errors import NotFoundError
from sector_cli.plugins.backend import Backend
from sector_cli.plugins.base import Plugin
from sector_cli.plugins.embedder import Embedder
from sector_cli.plugins.exporter import Exporter
from sector_cli.plugins.language import Language
from sector_cli.plugins.loader import Loader
from sector_cli.plugins.reranker import Reranker
from sector_cli.plugins.runner import Runner

BUILTIN_DISTRIBUTION = "sector"
CONTRACTS: dict[str, type[Plugin]] = {
    contract.kind: contract
    for contract in (Backend, Runner, Language, Loader, Exporter, Embedder, Reranker)
}


def group(kind: str) -> str:
    return f"sector.{kind}"


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class PluginInfo:
    kind: str
    name: str
    plugin_class: type[Plugin]
    distribution: str
    version: str
    entry_point: str

    @property
    def builtin(self) -> bool:
        return _normalize(self.distribution) == BUILTIN_DISTRIBUTION

    @property
    def origin(self) -> str:
        return "built-in" if self.builtin else f"{self.distribution} {self.version}"


@dataclass(frozen=True)
class LoadProblem:
    kind: str
    name: str
    distribution: str
    reason: str

    def one_line(self) -> str:
        return (
            f"plugin {self.name!r} ({self.kind}, from {self.distribution}) was not loaded: "
            f"{self.reason}. Reinstall or remove {self.distribution}"
        )


@dataclass
class Registry:
    plugins: dict[str, dict[str, PluginInfo]] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # third-party names left out by the allow-list

    def of_kind(self, kind: str) -> list[PluginInfo]:
        return sorted(self.plugins.get(kind, {}).values(), key=lambda info: info.name)

    def get(self, kind: str, name: str) -> PluginInfo:
        found = self.plugins.get(kind, {})
        if name in found:
            return found[name]
        close = difflib.get_close_matches(name, list(found), n=1)
        hint = f"Did you mean {close[0]}?" if close else "Run `sector plugins ls` to see them"
        raise NotFoundError(f"no {kind} plugin named {name!r}", hint)


def _allowed(entry: EntryPoint, distribution: str, allow: list[str] | None) -> bool:
    if allow is None or _normalize(distribution) == BUILTIN_DISTRIBUTION:
        return True
    wanted = {_normalize(name) for name in allow}
    return _normalize(entry.name) in wanted or _normalize(distribution) in wanted


def _load_entry(kind: str, entry: EntryPoint, distribution: str) -> type[Plugin]:
    """Import one entry point and check it against its contract; raises ValueError when bad."""
    try:
        loaded = entry.load()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a broken plugin must never break Sector, SystemExit included
        raise ValueError(f"import failed ({type(exc).__name__}: {exc})") from exc
    contract = CONTRACTS[kind]
    if not (isinstance(loaded, type) and issubclass(loaded, contract)):
        raise ValueError(f"{entry.value} is not a subclass of {contract.__name__}")
    if getattr(loaded, "name", None) != entry.name:
        raise ValueError(f"class name attribute {getattr(loaded, 'name', None)!r} != entry point")
    problems = loaded.contract_problems()
    if problems:
        raise ValueError("; ".join(problems))
    return loaded


def _builtins_first(entries: list[EntryPoint] | tuple[EntryPoint, ...]) -> list[EntryPoint]:
    """Built-ins claim their names first, so a third-party plugin cannot shadow one."""

    def is_third_party(entry: EntryPoint) -> bool:
        return not entry.dist or _normalize(entry.dist.name) != BUILTIN_DISTRIBUTION

    return sorted(entries, key=lambda entry: (is_third_party(entry), entry.name))


def load_registry(allow: list[str] | None = None) -> Registry:
    """Load every plugin of every kind that the allow-list admits."""
    registry = Registry()
    for kind in CONTRACTS:
        found = registry.plugins.setdefault(kind, {})
        for entry in _builtins_first(entry_points(group=group(kind))):
            distribution = entry.dist.name if entry.dist else "unknown"
            version = entry.dist.version if entry.dist else ""
            if not _allowed(entry, distribution, allow):
                registry.skipped.append(f"{kind}:{entry.name} ({distribution})")
                continue
            if entry.name in found:
                reason = f"name already taken by {found[entry.name].origin}"
                registry.problems.append(LoadProblem(kind, entry.name, distribution, reason))
                continue
            try:
                plugin_class = _load_entry(kind, entry, distribution)
            except ValueError as exc:
                registry.problems.append(LoadProblem(kind, entry.name, distribution, str(exc)))
                continue
            found[entry.name] = PluginInfo(
                kind, entry.name, plugin_class, distribution, version, entry.value
            )
    return registry
