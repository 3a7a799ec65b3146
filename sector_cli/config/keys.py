"""The settings Sector knows: name, type, default, environment variable and meaning.

Later features add their keys here, so `sector config show` and the reference in docs/ list
every setting in one place.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from sector_cli.config import env
from sector_cli.errors import ConfigError

Value = str | int | float | bool | list[str] | dict[str, str] | None


def _parse_str(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("expected a non-empty string")
    return raw.strip()


def _parse_size(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError("expected a size in bytes")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        value = _size_from_text(raw)
    else:
        raise ValueError("expected a size in bytes")
    if value <= 0:
        raise ValueError("expected a positive size")
    return value


_SIZE_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}


def _size_from_text(text: str) -> int:
    """Parse '2000000', '512k', '2M' or '1G' (binary units)."""
    cleaned = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = _SIZE_UNITS.get(cleaned[-1:], 1)
    number = cleaned[:-1] if unit > 1 else cleaned
    try:
        return int(float(number) * unit)
    except (ValueError, OverflowError):  # OverflowError: "1e400", "inf"
        raise ValueError(f"expected a size such as 2000000, 512k or 2M, got {text!r}") from None


PROJECT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DATABASE_URL_PATTERN = re.compile(r"^(sqlite|postgres|postgresql)(\+\w+)?://", re.IGNORECASE)


def _parse_database_url(raw: object) -> str:
    value = _parse_str(raw)
    if not DATABASE_URL_PATTERN.match(value):
        raise ValueError("expected sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE")
    return value


def _parse_project_name(raw: object) -> str:
    value = _parse_str(raw)
    if not PROJECT_NAME_PATTERN.match(value):
        raise ValueError("a project name has letters, digits, '.', '_' and '-'")
    return value


def _parse_seconds(raw: object) -> float:
    try:
        value = float(str(raw).strip().removesuffix("s")) if not isinstance(raw, bool) else -1
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {raw!r}") from None
    if not 0 < value <= 24 * 3600:
        # the lower bound is exclusive: say so ("between 0 and" read as if 0 were allowed)
        raise ValueError(f"expected seconds above 0 and at most 86400, got {raw!r}")
    return value


def _parse_number(low: float, high: float, integer: bool = False) -> Callable[[object], Value]:
    def parse(raw: object) -> float | int:
        try:
            value = float(str(raw).strip()) if not isinstance(raw, bool) else math.nan
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
        if not low <= value <= high or (integer and value != int(value)):
            kind = "a whole number" if integer else "a number"
            raise ValueError(f"expected {kind} from {low:g} to {high:g}, got {raw!r}")
        return int(value) if integer else value

    return parse


def _parse_url(raw: object) -> str:
    value = _parse_str(raw).rstrip("/")
    if "://" not in value:
        value = f"http://{value}"  # OLLAMA_HOST is often given as host:port
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// address")
    return value


def _parse_choice(*choices: str) -> Callable[[object], Value]:
    def parse(raw: object) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def _parse_mapping(raw: object) -> dict[str, str]:
    """`python=img,*=img` (environment, command line) or a TOML table of strings."""
    if isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        return {str(k): v for k, v in raw.items()}
    if isinstance(raw, str):
        pairs = [item.split("=", 1) for item in raw.split(",") if item.strip()]
        if all(len(pair) == 2 and pair[0].strip() and pair[1].strip() for pair in pairs):
            return {k.strip(): v.strip() for k, v in pairs}
    raise ValueError("expected NAME=VALUE pairs separated by commas")


def _parse_run_memory(raw: object) -> int:
    value = _parse_size(raw)
    if value < 16 * 1024 * 1024:
        raise ValueError("a run needs at least 16M of memory")
    return value


def _parse_list(raw: object) -> list[str]:
    if isinstance(raw, str):
        return [item.strip() for item in raw.split(",") if item.strip()]
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return [item.strip() for item in raw if item.strip()]
    raise ValueError("expected a comma-separated list of names")


@dataclass(frozen=True)
class Key:
    """One setting. `parse` turns a TOML value or a command-line/env string into its type."""

    name: str
    help: str
    env: str
    parse: Callable[[object], Value]
    default: Value = None
    example: str = ""
    allow_empty: bool = False  # an empty value means something (an empty list), not "unset"

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.name.split(".", 1)[1]

    def convert(self, raw: object, origin: str) -> Value:
        """Validate a raw value, naming where it came from when it is wrong."""
        try:
            return self.parse(raw)
        except ValueError as exc:
            example = f" (example: {self.example})" if self.example else ""
            raise ConfigError(
                f"invalid value for {self.name} in {origin}: {exc}",
                f"Set a valid value with `sector config set {self.name} VALUE`{example}",
            ) from None


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key(
            "database.url",
            "Database URL: sqlite:///PATH or postgresql://USER@HOST/DB "
            "(default: a SQLite file in the data folder).",
            env.SECTOR_DATABASE_URL,
            _parse_database_url,
            example="postgresql://sector@localhost/sector",
        ),
        Key(
            "project.default",
            "Project used by commands run outside a project folder (set by `sector project use`).",
            env.SECTOR_PROJECT,
            _parse_project_name,
            example="my-course",
        ),
        Key(
            "files.max_size",
            "Largest source file that `sector file add` tracks, in bytes (512k, 2M also work).",
            env.SECTOR_FILES_MAX_SIZE,
            _parse_size,
            default=2 * 1024 * 1024,
            example="4M",
        ),
        Key(
            "runs.runner",
            "Runner for `sector run`: auto (Docker when an engine answers, else local), "
            "docker or local.",
            env.SECTOR_RUNNER,
            _parse_choice("auto", "docker", "local"),
            default="auto",
            example="local",
        ),
        Key(
            "runs.timeout",
            "Wall-clock and CPU limit of a run, in seconds.",
            env.SECTOR_RUN_TIMEOUT,
            _parse_seconds,
            default=10.0,
            example="30",
        ),
        Key(
            "runs.memory",
            "Memory limit of a run (bytes, or 256M, 1G; at least 16M).",
            env.SECTOR_RUN_MEMORY,
            _parse_run_memory,
            default=256 * 1024 * 1024,
            example="512M",
        ),
        Key(
            "docker.images",
            "Docker image per language for the docker runner, `*` for every other language "
            "(default: each language's official image, such as python:3.12-slim).",
            env.SECTOR_DOCKER_IMAGES,
            _parse_mapping,
            example="python=python:3.12-slim,*=sector-sandbox:bookworm",
        ),
        Key(
            "assistant.backend",
            "Backend that answers: local (the bundled model), ollama, openai, or a plugin's.",
            env.SECTOR_BACKEND,
            _parse_str,
            default="local",
            example="ollama",
        ),
        Key(
            "assistant.model",
            "Model to ask (default: the backend's own default).",
            env.SECTOR_MODEL,
            _parse_str,
            example="llama3.2",
        ),
        Key(
            "assistant.temperature",
            "Sampling temperature (0 is the most repeatable).",
            env.SECTOR_TEMPERATURE,
            _parse_number(0, 2),
            default=0.2,
            example="0",
        ),
        Key(
            "assistant.max_tokens",
            "Longest answer, in tokens.",
            env.SECTOR_MAX_TOKENS,
            _parse_number(1, 32768, integer=True),
            default=512,
            example="1024",
        ),
        Key(
            "assistant.repeat_penalty",
            "How strongly answers avoid repeating themselves (1 is off; small models loop "
            "without it): llama.cpp's and Ollama's repeat_penalty, OpenAI's frequency_penalty.",
            env.SECTOR_REPEAT_PENALTY,
            _parse_number(1, 2),
            default=1.15,
            example="1.3",
        ),
        Key(
            "assistant.context",
            "Context window of remote models (ollama, openai), in tokens: prompts are planned "
            "to fit it, and Ollama is asked to use it.",
            env.SECTOR_CONTEXT,
            _parse_number(256, 2_000_000, integer=True),
            default=4096,
            example="32768",
        ),
        Key(
            "local.model_path",
            "GGUF model file for the local backend (default: the bundled SmolLM2-135M).",
            env.SECTOR_LOCAL_MODEL,
            _parse_str,
            example="~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        ),
        Key(
            "local.context",
            "Context window of the local model, in tokens.",
            env.SECTOR_LOCAL_CONTEXT,
            _parse_number(256, 131072, integer=True),
            default=4096,
            example="8192",
        ),
        Key(
            "context.embedder",
            "Embedder plugin of the context index; changing it needs `sector context reindex`.",
            env.SECTOR_EMBEDDER,
            _parse_str,
            default="minilm",
            example="minilm",
        ),
        Key(
            "context.reranker",
            "Reranker plugin that fuses and orders search results.",
            env.SECTOR_RERANKER,
            _parse_str,
            default="rrf",
            example="rrf",
        ),
        Key(
            "context.max_size",
            "Largest document that `sector context add` indexes, in bytes (512k, 2M also work).",
            env.SECTOR_CONTEXT_MAX_SIZE,
            _parse_size,
            default=200 * 1024 * 1024,
            example="1G",
        ),
        Key(
            "context.k",
            "How many passages `@context` retrieves for an answer.",
            env.SECTOR_CONTEXT_K,
            _parse_number(1, 50, integer=True),
            default=5,
            example="8",
        ),
        Key(
            "ollama.host",
            "Address of the Ollama server.",
            env.OLLAMA_HOST,
            _parse_url,
            default="http://127.0.0.1:11434",
            example="http://gpu-box:11434",
        ),
        Key(
            "openai.base_url",
            "Base URL of an OpenAI-compatible API (ending in /v1).",
            env.OPENAI_BASE_URL,
            _parse_url,
            default="https://api.openai.com/v1",
            example="http://127.0.0.1:8000/v1",
        ),
        Key(
            "openai.api_key",
            "API key for openai.base_url (better: OPENAI_API_KEY, or the keyring entry "
            "sector/openai).",
            env.OPENAI_API_KEY,
            _parse_str,
            example="sk-...",
        ),
        Key(
            "viz.max_steps",
            "Steps an execution trace records; past them the tracer counts line executions "
            "and calls instead (the run goes on).",
            env.SECTOR_VIZ_MAX_STEPS,
            _parse_number(1, 100_000_000, integer=True),
            default=1_000_000,
            example="5000000",
        ),
        Key(
            "plugins.load",
            "Allow-list of third-party plugins to load (distribution or plugin names); "
            "built-in plugins always load. Unset: load all; empty: load none.",
            env.SECTOR_LOAD_PLUGINS,
            _parse_list,
            allow_empty=True,
            example="sector-ruby,sector-gemini",
        ),
    )
}


def lookup(name: str) -> Key:
    """The key called `name`, or a ConfigError that suggests the closest known keys."""
    key = KEYS.get(name)
    if key is not None:
        return key
    # A known section narrows the guess: `files.max_sise` means a files key.
    section = name.split(".", 1)[0]
    same_section = [k for k in KEYS if k.startswith(section + ".")]
    close = difflib.get_close_matches(name, same_section, n=2, cutoff=0.5)
    close = close or difflib.get_close_matches(name, list(KEYS), n=2, cutoff=0.5)
    hint = (
        f"Did you mean {' or '.join(close)}?"
        if close
        else "Run `sector config show` to list the known keys"
    )
    raise ConfigError(f"unknown config key {name!r}", hint)
