"""Layered settings: flags > SECTOR_* environment > project file > user file > defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sector_cli.config import paths
from sector_cli.config.files import PYPROJECT, PYPROJECT_TABLE, ConfigFile, has_table, read_values
from sector_cli.config.keys import KEYS, Value, lookup
from sector_cli.errors import ConfigError


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
    """Resolved settings; the first layer that sets a key wins."""

    layers: tuple[Layer, ...]
    project_folder: ProjectFolder | None = None
    user_file: ConfigFile = field(default_factory=lambda: ConfigFile(paths.user_config_file()))

    def get(self, name: str) -> Value:
        return self.layer_of(name).values.get(name, lookup(name).default)

    def layer_of(self, name: str) -> Layer:
        lookup(name)
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
        url = self.get("database.url")
        return str(url) if url else paths.default_database_url()

    def max_file_size(self) -> int:
        value = self.get("files.max_size")
        assert isinstance(value, int)
        return value


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


def env_values(environ: Mapping[str, str]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for key in KEYS.values():
        raw = environ.get(key.env)
        if raw is not None and (raw.strip() or key.allow_empty):
            values[key.name] = key.convert(raw, f"${key.env}")
    return values


def load_settings(
    cwd: Path | None = None,
    flags: Mapping[str, Value | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings as a command run in `cwd` with these flags sees them."""
    environ = os.environ if environ is None else environ
    project = find_project_folder(cwd or Path.cwd())
    user_file = ConfigFile(paths.user_config_file())
    flag_values = {lookup(name).name: value for name, value in (flags or {}).items()}
    layers = [
        Layer("flag", {name: value for name, value in flag_values.items() if value is not None}),
        Layer("env", env_values(environ)),
    ]
    if project:
        layers.append(Layer("project", read_values(project.config), project.config))
    layers.append(Layer("user", read_values(user_file), user_file))
    layers.append(Layer("default", {key.name: key.default for key in KEYS.values()}))
    return Settings(tuple(layers), project, user_file)


def fallback_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings that read no config file (env, when valid, and defaults): what `doctor` and
    `config path` use when a file is broken, so that the commands that help fix it still run."""
    environ = os.environ if environ is None else environ
    try:
        from_env = env_values(environ)
    except ConfigError:
        from_env = {}
    layers = (
        Layer("env", from_env),
        Layer("default", {key.name: key.default for key in KEYS.values()}),
    )
    return Settings(layers, None, ConfigFile(paths.user_config_file()))


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

    key = lookup(name)
    value = None if raw is None else key.convert(raw, "the command line")
    target = writable_file(scope)
    write_value(target, key.name, value)
    return target, value
