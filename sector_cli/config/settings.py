"""Layered settings: flags > SECTOR_* environment > project file > user file > defaults.

`settings.get(keys.RUNS_TIMEOUT)` is a float: a `Key` gives its type. A name, as a user types
it (`sector config get runs.timeout`), gives a loose `Value`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

from sector_cli.config import paths
from sector_cli.config.files import (
    PYPROJECT,
    PYPROJECT_TABLE,
    ConfigFile,
    has_table,
    raw_value,
    read_values,
)
from sector_cli.config.keys import (
    DATABASE_URL,
    PLUGINS_LOAD,
    Key,
    KeyTable,
    Value,
)
from sector_cli.errors import ConfigError
from sector_cli.plugins.declared import key_table

T = TypeVar("T")


@dataclass(frozen=True)
class Layer:
    """One source of settings, e.g. the user's config file, with the values it sets."""

    name: str  # flag | env | project | user | default
    values: Mapping[str, Value]
    file: ConfigFile | None = None

    @property
    def label(self) -> str:
        return self.file.label if self.file else self.name


@dataclass(frozen=True)
class ProjectFolder:
    """A folder marked as a Sector project (a `.sector/` folder or `[tool.sector]`)."""

    root: Path
    config: ConfigFile


@dataclass(frozen=True)
class Settings:
    """Resolved settings; the first layer that sets a key wins. `keys` is every key known
    here: the core's and those of the plugins `plugins.load` admits."""

    layers: tuple[Layer, ...]
    keys: KeyTable
    project_folder: ProjectFolder | None = None
    user_file: ConfigFile = field(default_factory=lambda: ConfigFile(paths.user_config_file()))

    @overload
    def get(self, key: Key[T]) -> T: ...

    @overload
    def get(self, key: str) -> Value: ...

    def get(self, key: Key[Any] | str) -> Any:
        known = self.keys.lookup(key if isinstance(key, str) else key.name)
        return self.layer_of(known.name).values.get(known.name, known.default)

    def layer_of(self, key: Key[Any] | str) -> Layer:
        name = self.keys.lookup(key if isinstance(key, str) else key.name).name
        for layer in self.layers:
            if name in layer.values:
                return layer
        return self.layers[-1]

    def layer_named(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        return Layer(name, {})

    def database_url(self) -> str:
        return self.get(DATABASE_URL) or paths.default_database_url()


def find_project_folder(start: Path) -> ProjectFolder | None:
    """The nearest folder at or above `start` marked as a Sector project."""
    start = start.resolve()
    for folder in (start, *start.parents):
        marker = folder / paths.PROJECT_DIR_NAME
        if marker.is_dir():
            return ProjectFolder(folder, ConfigFile(marker / paths.PROJECT_CONFIG_NAME))
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _sector_pyproject(pyproject):
            return ProjectFolder(folder, ConfigFile(pyproject, PYPROJECT_TABLE))
    return None


def _sector_pyproject(path: Path) -> bool:
    """Whether a pyproject.toml has `[tool.sector]`. One that does not parse is someone
    else's problem, unless it mentions Sector's table."""
    try:
        return has_table(path, PYPROJECT_TABLE)
    except ConfigError:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "tool.sector" in text:
            raise
        return False


def env_values(environ: Mapping[str, str], keys: KeyTable) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for key in keys:
        raw = environ.get(key.env)
        if raw is not None and (raw.strip() or key.allow_empty):
            values[key.name] = key.convert(raw, f"${key.env}")
    return values


def _default_layer(keys: KeyTable) -> Layer:
    return Layer("default", {key.name: key.default for key in keys})


def _config_files(cwd: Path | None) -> tuple[ProjectFolder | None, ConfigFile]:
    """The project folder a command run in `cwd` belongs to, and the user's config file."""
    return find_project_folder(cwd or Path.cwd()), ConfigFile(paths.user_config_file())


def _allow_list(
    flags: Mapping[str, Value | None], environ: Mapping[str, str], files: list[ConfigFile]
) -> list[str] | None:
    """`plugins.load` from the first layer that sets it, read before the other settings since
    it decides which plugins' keys exist. A bad value counts as unset here: reading that
    layer's settings reports it."""
    layers = [
        (flags.get(PLUGINS_LOAD.name), "a flag"),
        (environ.get(PLUGINS_LOAD.env), f"${PLUGINS_LOAD.env}"),
        *((raw_value(file, PLUGINS_LOAD.name), file.label) for file in files),
    ]
    for raw, origin in layers:
        if raw is not None:
            try:
                return PLUGINS_LOAD.convert(raw, origin)
            except ConfigError:
                return PLUGINS_LOAD.default
    return PLUGINS_LOAD.default


def _key_table(
    flags: Mapping[str, Value | None], environ: Mapping[str, str], files: list[ConfigFile]
) -> KeyTable:
    """The core's keys and those of the plugins the allow-list admits."""
    return key_table(_allow_list(flags, environ, files))


def known_keys(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> KeyTable:
    """The key table as a command run in `cwd` sees it, without reading any settings (so
    that completion and `config set` work while a value elsewhere is broken)."""
    environ = os.environ if environ is None else environ
    try:
        project, user_file = _config_files(cwd)
    except ConfigError:  # a broken pyproject.toml: the command itself says so
        project, user_file = None, ConfigFile(paths.user_config_file())
    files = [project.config, user_file] if project else [user_file]
    return _key_table({}, environ, files)


def load_settings(
    cwd: Path | None = None,
    flags: Mapping[str, Value | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings as a command run in `cwd` with these flags sees them."""
    environ = os.environ if environ is None else environ
    flags = flags or {}
    project, user_file = _config_files(cwd)
    files = [project.config, user_file] if project else [user_file]
    keys = _key_table(flags, environ, files)
    flag_values = {keys.lookup(name).name: value for name, value in flags.items()}
    layers = [
        Layer("flag", {name: value for name, value in flag_values.items() if value is not None}),
        Layer("env", env_values(environ, keys)),
    ]
    if project:
        layers.append(Layer("project", read_values(project.config, keys), project.config))
    layers.append(Layer("user", read_values(user_file, keys), user_file))
    layers.append(_default_layer(keys))
    return Settings(tuple(layers), keys, project, user_file)


def fallback_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings that read no config file (env, when valid, and defaults): what `doctor` and
    `config path` use when a file is broken, so that the commands that help fix it still run."""
    environ = os.environ if environ is None else environ
    keys = _key_table({}, environ, [])
    try:
        from_env = env_values(environ, keys)
    except ConfigError:
        from_env = {}
    layers = (Layer("env", from_env), _default_layer(keys))
    return Settings(layers, keys, None, ConfigFile(paths.user_config_file()))


def writable_file(scope: str | None, cwd: Path | None = None) -> ConfigFile:
    """The file `config set/unset` writes: the project's when inside one, else the user's.

    Only the target file has to parse, so a bad value elsewhere can still be fixed.
    """
    user_file = ConfigFile(paths.user_config_file())
    if scope == "user":
        return user_file
    project = find_project_folder(cwd or Path.cwd())
    if project is not None:
        return project.config
    if scope == "project":
        from sector_cli.errors import UsageError

        raise UsageError(
            "not inside a Sector project folder", "Run `sector init` first, or use --user"
        )
    return user_file


def change_setting(name: str, raw: str | None, scope: str | None) -> tuple[ConfigFile, Value]:
    """Validate and store a setting (or remove it when `raw` is None)."""
    from sector_cli.config.files import write_value

    key = known_keys().lookup(name)
    value = None if raw is None else key.convert(raw, "the command line")
    target = writable_file(scope)
    write_value(target, key.name, value)
    return target, value
