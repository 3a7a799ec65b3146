"""What finding plugins through entry points needs, whatever is found: group names, the
allow-list, built-ins first, and the problem a bad entry becomes.

Light on purpose (no contract imports): the key table uses it on every command.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, EntryPoints, entry_points
from typing import Protocol

BUILTIN_DISTRIBUTION = "sector"


def group(kind: str) -> str:
    return f"sector.{kind}"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_builtin(distribution: str) -> bool:
    return normalize(distribution) == BUILTIN_DISTRIBUTION


@dataclass(frozen=True)
class Found:
    """An entry point and the distribution that registers it."""

    entry: EntryPoint
    distribution: str
    version: str

    @property
    def builtin(self) -> bool:
        return is_builtin(self.distribution)

    def allowed(self, allow: list[str] | None) -> bool:
        """Whether the allow-list (`plugins.load`) admits it; built-ins always load."""
        if allow is None or self.builtin:
            return True
        wanted = {normalize(name) for name in allow}
        return normalize(self.entry.name) in wanted or normalize(self.distribution) in wanted


def found_in(group_name: str) -> list[Found]:
    """The entry points of a group, built-ins first (so that a third-party plugin cannot
    shadow one), each distribution's metadata read once (it is the slow part)."""
    names: dict[int, tuple[str, str]] = {}
    found = []
    for entry in _every_entry_point(tuple(sys.path)).select(group=group_name):
        if entry.dist is None:
            found.append(Found(entry, "unknown", ""))
            continue
        if id(entry.dist) not in names:
            names[id(entry.dist)] = (entry.dist.name, entry.dist.version)
        found.append(Found(entry, *names[id(entry.dist)]))
    return sorted(found, key=lambda each: (not each.builtin, each.entry.name))


class _Selectable(Protocol):
    """What entry_points() returns: SelectableGroups on Python 3.11, EntryPoints later."""

    def select(self, *, group: str) -> EntryPoints: ...


@cache
def _every_entry_point(path: tuple[str, ...]) -> _Selectable:
    """Every installed entry point, read once per search path: each read opens every
    distribution's metadata (about 12 ms here), and a command asks for up to nine groups."""
    del path  # the cache key: a new sys.path can hold other distributions
    return entry_points()


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
