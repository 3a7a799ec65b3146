"""The settings Sector knows: name, type, default, environment variable and meaning.

Each setting is a typed `Key`: `settings.get(keys.RUNS_TIMEOUT)` is a float, with no cast.
This module holds the core's keys; a plugin declares its own (see `sector_cli.plugins.declared`),
and `KeyTable` is the merged table that `sector config show` lists and files are checked against.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sector_cli.config import env
from sector_cli.config.parse import (
    parse_choice,
    parse_list,
    parse_mapping,
    parse_number,
    parse_seconds,
    parse_size,
    parse_text,
    parse_whole_number,
)
from sector_cli.errors import ConfigError

# What a layer holds for a key, whatever its type (a typed read goes through a Key).
Value = str | int | float | bool | list[str] | dict[str, str] | None
T = TypeVar("T")


@dataclass(frozen=True)
class Key(Generic[T]):
    """One setting, whose value is a T. `parse` turns a TOML value or a command-line/env
    string into a T (raising ValueError when it cannot); `default` applies when nothing sets it."""

    name: str  # section.field, as in `sector config get section.field` and `[section] field`
    help: str
    env: str
    parse: Callable[[object], T]
    default: T
    example: str = ""
    allow_empty: bool = False  # an empty value means something (an empty list), not "unset"

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.name.split(".", 1)[1]

    def convert(self, raw: object, origin: str) -> T:
        """Validate a raw value, naming where it came from when it is wrong."""
        try:
            return self.parse(raw)
        except ValueError as exc:
            example = f" (example: {self.example})" if self.example else ""
            raise ConfigError(
                f"invalid value for {self.name} in {origin}: {exc}",
                f"Set a valid value with `sector config set {self.name} VALUE`{example}",
            ) from None


@dataclass(frozen=True)
class KeyTable:
    """Every known key by name, in the order `sector config show` lists them."""

    by_name: Mapping[str, Key[Any]]

    @classmethod
    def of(cls, keys: Iterable[Key[Any]]) -> KeyTable:
        return cls({key.name: key for key in keys})

    def __iter__(self) -> Iterator[Key[Any]]:
        return iter(self.by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def names(self) -> list[str]:
        return list(self.by_name)

    def lookup(self, name: str) -> Key[Any]:
        """The key called `name`, or a ConfigError that suggests the closest known keys."""
        key = self.by_name.get(name)
        if key is not None:
            return key
        # A known section narrows the guess: `files.max_sise` means a files key.
        section = name.split(".", 1)[0]
        same_section = [k for k in self.by_name if k.startswith(section + ".")]
        close = difflib.get_close_matches(name, same_section, n=2, cutoff=0.5)
        close = close or difflib.get_close_matches(name, list(self.by_name), n=2, cutoff=0.5)
        hint = (
            f"Did you mean {' or '.join(close)}?"
            if close
            else "Run `sector config show` to list the known keys"
        )
        raise ConfigError(f"unknown config key {name!r}", hint)


PROJECT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DATABASE_URL_PATTERN = re.compile(r"^(sqlite|postgres|postgresql)(\+\w+)?://", re.IGNORECASE)


def _parse_database_url(raw: object) -> str:
    value = parse_text(raw)
    if not DATABASE_URL_PATTERN.match(value):
        raise ValueError("expected sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE")
    return value


def _parse_project_name(raw: object) -> str:
    value = parse_text(raw)
    if not PROJECT_NAME_PATTERN.match(value):
        raise ValueError("a project name has letters, digits, '.', '_' and '-'")
    return value


def _parse_run_memory(raw: object) -> int:
    value = parse_size(raw)
    if value < 16 * 1024 * 1024:
        raise ValueError("a run needs at least 16M of memory")
    return value


DATABASE_URL: Key[str | None] = Key(
    "database.url",
    "Database URL: sqlite:///PATH or postgresql://USER@HOST/DB "
    "(default: a SQLite file in the data folder).",
    env.SECTOR_DATABASE_URL,
    _parse_database_url,
    default=None,
    example="postgresql://sector@localhost/sector",
)
PROJECT_DEFAULT: Key[str | None] = Key(
    "project.default",
    "Project used by commands run outside a project folder (set by `sector project use`).",
    env.SECTOR_PROJECT,
    _parse_project_name,
    default=None,
    example="my-course",
)
FILES_MAX_SIZE: Key[int] = Key(
    "files.max_size",
    "Largest source file that `sector file add` tracks, in bytes (512k, 2M also work).",
    env.SECTOR_FILES_MAX_SIZE,
    parse_size,
    default=2 * 1024 * 1024,
    example="4M",
)
RUNS_RUNNER: Key[str] = Key(
    "runs.runner",
    "Runner for `sector run`: auto (Docker when an engine answers, else local), docker or local.",
    env.SECTOR_RUNNER,
    parse_choice("auto", "docker", "local"),
    default="auto",
    example="local",
)
RUNS_TIMEOUT: Key[float] = Key(
    "runs.timeout",
    "Wall-clock and CPU limit of a run, in seconds.",
    env.SECTOR_RUN_TIMEOUT,
    parse_seconds,
    default=10.0,
    example="30",
)
RUNS_MEMORY: Key[int] = Key(
    "runs.memory",
    "Memory limit of a run (bytes, or 256M, 1G; at least 16M).",
    env.SECTOR_RUN_MEMORY,
    _parse_run_memory,
    default=256 * 1024 * 1024,
    example="512M",
)
DOCKER_IMAGES: Key[dict[str, str] | None] = Key(
    "docker.images",
    "Docker image per language for the docker runner, `*` for every other language "
    "(default: each language's official image, such as python:3.12-slim).",
    env.SECTOR_DOCKER_IMAGES,
    parse_mapping,
    default=None,
    example="python=python:3.12-slim,*=sector-sandbox:bookworm",
)
ASSISTANT_BACKEND: Key[str] = Key(
    "assistant.backend",
    "Backend that answers: local (the bundled model), ollama, openai, or a plugin's.",
    env.SECTOR_BACKEND,
    parse_text,
    default="local",
    example="ollama",
)
ASSISTANT_MODEL: Key[str | None] = Key(
    "assistant.model",
    "Model to ask (default: the backend's own default).",
    env.SECTOR_MODEL,
    parse_text,
    default=None,
    example="llama3.2",
)
ASSISTANT_TEMPERATURE: Key[float] = Key(
    "assistant.temperature",
    "Sampling temperature (0 is the most repeatable).",
    env.SECTOR_TEMPERATURE,
    parse_number(0, 2),
    default=0.2,
    example="0",
)
ASSISTANT_MAX_TOKENS: Key[int] = Key(
    "assistant.max_tokens",
    "Longest answer, in tokens.",
    env.SECTOR_MAX_TOKENS,
    parse_whole_number(1, 32768),
    default=512,
    example="1024",
)
ASSISTANT_REPEAT_PENALTY: Key[float] = Key(
    "assistant.repeat_penalty",
    "How strongly answers avoid repeating themselves (1 is off; small models loop "
    "without it): llama.cpp's and Ollama's repeat_penalty, OpenAI's frequency_penalty.",
    env.SECTOR_REPEAT_PENALTY,
    parse_number(1, 2),
    default=1.15,
    example="1.3",
)
ASSISTANT_CONTEXT: Key[int] = Key(
    "assistant.context",
    "Context window of remote models (ollama, openai), in tokens: prompts are planned "
    "to fit it, and Ollama is asked to use it.",
    env.SECTOR_CONTEXT,
    parse_whole_number(256, 2_000_000),
    default=4096,
    example="32768",
)
CONTEXT_EMBEDDER: Key[str] = Key(
    "context.embedder",
    "Embedder plugin of the context index; changing it needs `sector context reindex`.",
    env.SECTOR_EMBEDDER,
    parse_text,
    default="minilm-onnx",
    example="minilm",
)
CONTEXT_RERANKER: Key[str] = Key(
    "context.reranker",
    "Reranker plugin that fuses and orders search results.",
    env.SECTOR_RERANKER,
    parse_text,
    default="rrf",
    example="rrf",
)
CONTEXT_MAX_SIZE: Key[int] = Key(
    "context.max_size",
    "Largest document that `sector context add` indexes, in bytes (512k, 2M also work).",
    env.SECTOR_CONTEXT_MAX_SIZE,
    parse_size,
    default=200 * 1024 * 1024,
    example="1G",
)
CONTEXT_K: Key[int] = Key(
    "context.k",
    "How many passages `@context` retrieves for an answer.",
    env.SECTOR_CONTEXT_K,
    parse_whole_number(1, 50),
    default=5,
    example="8",
)
VIZ_MAX_STEPS: Key[int] = Key(
    "viz.max_steps",
    "Steps an execution trace records; past them the tracer counts line executions "
    "and calls instead (the run goes on).",
    env.SECTOR_VIZ_MAX_STEPS,
    parse_whole_number(1, 100_000_000),
    default=1_000_000,
    example="5000000",
)
PLUGINS_LOAD: Key[list[str] | None] = Key(
    "plugins.load",
    "Allow-list of third-party plugins to load (distribution or plugin names); "
    "built-in plugins always load. Unset: load all; empty: load none.",
    env.SECTOR_LOAD_PLUGINS,
    parse_list,
    default=None,
    allow_empty=True,
    example="sector-ruby,sector-gemini",
)

# The core's keys; plugins' keys follow them in the merged table.
CORE_KEYS = KeyTable.of(
    (
        DATABASE_URL,
        PROJECT_DEFAULT,
        FILES_MAX_SIZE,
        RUNS_RUNNER,
        RUNS_TIMEOUT,
        RUNS_MEMORY,
        DOCKER_IMAGES,
        ASSISTANT_BACKEND,
        ASSISTANT_MODEL,
        ASSISTANT_TEMPERATURE,
        ASSISTANT_MAX_TOKENS,
        ASSISTANT_REPEAT_PENALTY,
        ASSISTANT_CONTEXT,
        CONTEXT_EMBEDDER,
        CONTEXT_RERANKER,
        CONTEXT_MAX_SIZE,
        CONTEXT_K,
        VIZ_MAX_STEPS,
        PLUGINS_LOAD,
    )
)
