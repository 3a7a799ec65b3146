"""Settings that plugins declare, merged after the core's keys into one key table.

A plugin's distribution registers a tuple of `Key`s under the entry point group
`sector.settings`, named after the plugin, and each key is named `<plugin name>.<field>`:

    [project.entry-points."sector.settings"]
    gemini = "sector_gemini.settings:SETTINGS"

The tuple lives in a module that imports nothing heavy: every command that loads settings
reads the table, and only these modules are imported for it (never the plugins themselves).
The allow-list (`plugins.load`) admits declarations as it admits plugins. A declaration that
fails to import, is not a tuple of keys, or names a key outside its section or one already
known is left out; `sector plugins ls` shows why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sector_cli.config.keys import CORE_KEYS, Key, KeyTable
from sector_cli.plugins.entrypoints import Found, LoadProblem, found_in, group

SETTINGS_KIND = "settings"


@dataclass(frozen=True)
class Declarations:
    """The key table with every admitted plugin's keys, and the declarations left out."""

    keys: KeyTable
    problems: list[LoadProblem]


def load_declarations(allow: list[str] | None = None) -> Declarations:
    known: dict[str, Key[Any]] = dict(CORE_KEYS.by_name)
    problems = []
    for found in found_in(group(SETTINGS_KIND)):
        if not found.allowed(allow):
            continue
        try:
            declared = _declared_keys(found, known)
        except ValueError as exc:
            problems.append(
                LoadProblem(SETTINGS_KIND, found.entry.name, found.distribution, str(exc))
            )
            continue
        known.update((key.name, key) for key in declared)
    return Declarations(KeyTable(known), problems)


def key_table(allow: list[str] | None = None) -> KeyTable:
    """The core's keys, then those of the plugins the allow-list admits."""
    return load_declarations(allow).keys


def _declared_keys(found: Found, known: dict[str, Key[Any]]) -> tuple[Key[Any], ...]:
    """One entry's keys, checked; raises ValueError saying what is wrong."""
    try:
        loaded = found.entry.load()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a broken plugin must never break Sector, SystemExit included
        raise ValueError(f"import failed ({type(exc).__name__}: {exc})") from exc
    if not isinstance(loaded, tuple) or not all(isinstance(key, Key) for key in loaded):
        raise ValueError(f"{found.entry.value} is not a tuple of Key")
    for key in loaded:
        if "." not in key.name or key.section != found.entry.name or not key.field:
            raise ValueError(f"key {key.name!r} is outside its section {found.entry.name!r}")
        if key.name in known:
            raise ValueError(f"key {key.name!r} is already known")
    return loaded
