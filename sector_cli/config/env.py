"""Every environment variable Sector reads, in one place (shown in `sector --help`)."""

from __future__ import annotations

SECTOR_HOME = "SECTOR_HOME"
SECTOR_DEBUG = "SECTOR_DEBUG"
SECTOR_DATABASE_URL = "SECTOR_DATABASE_URL"
SECTOR_PROJECT = "SECTOR_PROJECT"
SECTOR_FILES_MAX_SIZE = "SECTOR_FILES_MAX_SIZE"
SECTOR_LOAD_PLUGINS = "SECTOR_LOAD_PLUGINS"
SECTOR_RUNNER = "SECTOR_RUNNER"
SECTOR_RUN_TIMEOUT = "SECTOR_RUN_TIMEOUT"
SECTOR_RUN_MEMORY = "SECTOR_RUN_MEMORY"
SECTOR_DOCKER_IMAGES = "SECTOR_DOCKER_IMAGES"
SECTOR_LOCAL_SANDBOX = "SECTOR_LOCAL_SANDBOX"
SECTOR_BACKEND = "SECTOR_BACKEND"
SECTOR_MODEL = "SECTOR_MODEL"
SECTOR_TEMPERATURE = "SECTOR_TEMPERATURE"
SECTOR_MAX_TOKENS = "SECTOR_MAX_TOKENS"
SECTOR_REPEAT_PENALTY = "SECTOR_REPEAT_PENALTY"
SECTOR_CONTEXT = "SECTOR_CONTEXT"
SECTOR_LOCAL_MODEL = "SECTOR_LOCAL_MODEL"
SECTOR_LOCAL_CONTEXT = "SECTOR_LOCAL_CONTEXT"
SECTOR_EMBEDDER = "SECTOR_EMBEDDER"
SECTOR_EMBEDDER_CACHE = "SECTOR_EMBEDDER_CACHE"
SECTOR_RERANKER = "SECTOR_RERANKER"
SECTOR_CONTEXT_MAX_SIZE = "SECTOR_CONTEXT_MAX_SIZE"
SECTOR_CONTEXT_K = "SECTOR_CONTEXT_K"
SECTOR_VIZ_MAX_STEPS = "SECTOR_VIZ_MAX_STEPS"
OPENAI_BASE_URL = "OPENAI_BASE_URL"
OPENAI_API_KEY = "OPENAI_API_KEY"
NO_COLOR = "NO_COLOR"
OLLAMA_HOST = "OLLAMA_HOST"
DOCKER_HOST = "DOCKER_HOST"

DESCRIPTIONS: dict[str, str] = {
    SECTOR_HOME: "relocate every file Sector writes (config, data, cache) under this folder",
    SECTOR_DEBUG: "set to 1 to show full tracebacks instead of one-line errors",
    SECTOR_DATABASE_URL: "database URL (default: a SQLite file in the data folder)",
    SECTOR_PROJECT: "project used by commands run outside a project folder",
    SECTOR_FILES_MAX_SIZE: "largest source file `sector file add` tracks, in bytes",
    SECTOR_LOAD_PLUGINS: "comma-separated allow-list of third-party plugins to load",
    SECTOR_RUNNER: "runner for `sector run`: auto, docker or local",
    SECTOR_RUN_TIMEOUT: "time limit of a run, in seconds",
    SECTOR_RUN_MEMORY: "memory limit of a run (256M, 1G)",
    SECTOR_DOCKER_IMAGES: "Docker images per language: python=IMAGE,*=IMAGE",
    SECTOR_LOCAL_SANDBOX: "local sandbox: auto (bwrap if installed, else unshare), bwrap, unshare",
    SECTOR_BACKEND: "assistant backend: local, ollama or openai",
    SECTOR_MODEL: "model the assistant asks",
    SECTOR_TEMPERATURE: "sampling temperature of the assistant",
    SECTOR_MAX_TOKENS: "longest answer, in tokens",
    SECTOR_REPEAT_PENALTY: "how strongly answers avoid repeating themselves (1 = off)",
    SECTOR_CONTEXT: "context window of remote models, in tokens",
    SECTOR_LOCAL_MODEL: "GGUF file for the local backend",
    SECTOR_LOCAL_CONTEXT: "context window of the local model, in tokens",
    SECTOR_EMBEDDER: "embedder plugin for the context index (default minilm-onnx)",
    SECTOR_EMBEDDER_CACHE: "folder of the embedder's ONNX export (default: in the cache folder)",
    SECTOR_RERANKER: "reranker plugin that orders search results (default rrf)",
    SECTOR_CONTEXT_MAX_SIZE: "largest document `sector context add` indexes",
    SECTOR_CONTEXT_K: "how many passages @context retrieves",
    SECTOR_VIZ_MAX_STEPS: "steps an execution trace records before it only counts",
    OPENAI_BASE_URL: "base URL of an OpenAI-compatible API",
    OPENAI_API_KEY: "API key of the OpenAI-compatible API",
    NO_COLOR: "disable colour in all output",
    OLLAMA_HOST: "address of the Ollama server",
    DOCKER_HOST: "address of the Docker engine",
}


def help_text() -> str:
    """The environment variables, for `--help`."""
    lines = [f"{name}: {text}" for name, text in DESCRIPTIONS.items()]
    return "\n\n".join(["Environment variables:", *lines])


def is_true(value: str | None) -> bool:
    """Read a boolean environment variable the way most tools do."""
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}
