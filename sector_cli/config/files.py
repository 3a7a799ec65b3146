"""Reading and writing Sector's TOML config files.

A config file is a TOML document whose tables are key sections (`[database] url = ...`).
In `pyproject.toml` the same tables live under `[tool.sector]`. Writes go through tomlkit so
that the user's comments and layout survive, and land atomically.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sector_cli.config.keys import KeyTable, Value
from sector_cli.errors import ConfigError, os_error

PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "sector")


@dataclass(frozen=True)
class ConfigFile:
    """A file that holds settings, and where inside it they live."""

    path: Path
    table: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.path} [{'.'.join(self.table)}]" if self.table else str(self.path)


def read_document(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a missing file is empty, a broken one is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        words = os_error(exc)  # "X is a folder, not a file", not "[Errno 21] ..."
        raise ConfigError(words.message, "It is Sector's config file: fix or remove it") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"config file {path} is not UTF-8 text", "Save it as UTF-8, or remove it"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML ({exc})",
            "Fix the file, or move it aside and run the command again",
        ) from None


def _table(document: dict[str, Any], table: tuple[str, ...]) -> dict[str, Any]:
    for name in table:
        inner = document.get(name, {})
        document = inner if isinstance(inner, dict) else {}
    return document


def read_values(config: ConfigFile, keys: KeyTable) -> dict[str, Value]:
    """The settings in a file, by dotted key name, validated; unknown keys are refused."""
    values: dict[str, Value] = {}
    for section, fields in _table(read_document(config.path), config.table).items():
        if not isinstance(fields, dict):
            keys.lookup(section)  # a bare `key = value` at top level: unknown key, suggested
            raise ConfigError(f"{section!r} in {config.label} must be a table")
        for field, raw in fields.items():
            name = f"{section}.{field}"
            try:
                key = keys.lookup(name)
            except ConfigError as exc:
                raise ConfigError(f"{exc.message} in {config.label}", exc.hint) from None
            values[name] = key.convert(raw, config.label)
    return values


def raw_value(config: ConfigFile, name: str) -> object | None:
    """One key's value in a file, unchecked; None when it is unset or the file is broken
    (reading the file's settings reports that)."""
    try:
        document = read_document(config.path)
    except ConfigError:
        return None
    section, field = name.split(".", 1)
    fields = _table(document, config.table).get(section)
    return fields.get(field) if isinstance(fields, dict) else None


def has_table(path: Path, table: tuple[str, ...]) -> bool:
    """Whether the TOML file at `path` contains the table (used to spot `[tool.sector]`)."""
    document: Any = read_document(path)
    for name in table:
        if not isinstance(document, dict) or name not in document:
            return False
        document = document[name]
    return isinstance(document, dict)


def write_value(config: ConfigFile, name: str, value: Value) -> None:
    """Set (or, with value None, remove) one key in the file, keeping everything else."""
    import tomlkit  # deferred: only writes need it

    read_document(config.path)  # refuse to rewrite a file that does not parse
    text = config.path.read_text(encoding="utf-8") if config.path.exists() else ""
    document = tomlkit.parse(text)
    container: Any = document
    for part in config.table:
        container = container.setdefault(part, tomlkit.table())
    section, field = name.split(".", 1)
    if value is None:
        table = container.get(section)
        if table is not None and field in table:
            del table[field]
            if not table:
                del container[section]
    else:
        container.setdefault(section, tomlkit.table())[field] = value
    _write_atomically(config.path, tomlkit.dumps(document))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
