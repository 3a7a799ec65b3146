"""The settings of the built-in backends, declared as any plugin declares its own
(`sector.settings` entry points in pyproject.toml; see `sector_cli.plugins.declared`).

A module of its own, importing nothing heavy: the key table is read by every command, and the
backends themselves load llama.cpp's thread and asyncio.
"""

from __future__ import annotations

from typing import Any

from sector_cli.config import env
from sector_cli.config.keys import Key
from sector_cli.config.parse import parse_text, parse_url, parse_whole_number

LOCAL_MODEL_PATH: Key[str | None] = Key(
    "local.model_path",
    "GGUF model file for the local backend (default: the bundled SmolLM2-135M).",
    env.SECTOR_LOCAL_MODEL,
    parse_text,
    default=None,
    example="~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf",
)
LOCAL_CONTEXT: Key[int] = Key(
    "local.context",
    "Context window of the local model, in tokens.",
    env.SECTOR_LOCAL_CONTEXT,
    parse_whole_number(256, 131072),
    default=4096,
    example="8192",
)
OLLAMA_HOST: Key[str] = Key(
    "ollama.host",
    "Address of the Ollama server.",
    env.OLLAMA_HOST,
    parse_url,
    default="http://127.0.0.1:11434",
    example="http://gpu-box:11434",
)
OPENAI_BASE_URL: Key[str] = Key(
    "openai.base_url",
    "Base URL of an OpenAI-compatible API (ending in /v1).",
    env.OPENAI_BASE_URL,
    parse_url,
    default="https://api.openai.com/v1",
    example="http://127.0.0.1:8000/v1",
)
OPENAI_API_KEY: Key[str | None] = Key(
    "openai.api_key",
    "API key for openai.base_url (better: OPENAI_API_KEY, or the keyring entry sector/openai).",
    env.OPENAI_API_KEY,
    parse_text,
    default=None,
    example="sk-...",
)

# One declaration per backend, named in pyproject.toml after the backend it configures.
LOCAL: tuple[Key[Any], ...] = (LOCAL_MODEL_PATH, LOCAL_CONTEXT)
OLLAMA: tuple[Key[Any], ...] = (OLLAMA_HOST,)
OPENAI: tuple[Key[Any], ...] = (OPENAI_BASE_URL, OPENAI_API_KEY)
