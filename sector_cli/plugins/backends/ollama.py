"""A local or remote Ollama server, through the official `ollama` client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sector_cli.config import keys
from sector_cli.errors import PluginError
from sector_cli.plugins.backend import (
    Backend,
    BackendEvent,
    Done,
    GenerateOptions,
    Message,
    Token,
    Usage,
)
from sector_cli.plugins.backends.settings import OLLAMA_HOST
from sector_cli.plugins.base import Availability

if TYPE_CHECKING:
    from sector_cli.config.settings import Settings

FALLBACK_MODEL = "llama3.2"


class OllamaBackend(Backend):
    name = "ollama"
    summary = "An Ollama server (ollama serve), local or remote"

    def __init__(self) -> None:
        self.host = "http://127.0.0.1:11434"
        self.model: str | None = None
        self.context = 4096

    def configure(self, settings: Settings) -> None:
        self.host = settings.get(OLLAMA_HOST)
        self.model = settings.get(keys.ASSISTANT_MODEL)
        self.context = settings.get(keys.ASSISTANT_CONTEXT)

    def context_window(self, model: str) -> int:
        return self.context

    def _unreachable(self) -> PluginError:
        return PluginError(
            f"cannot reach Ollama at {self.host}",
            "Start it with `ollama serve`, or set ollama.host (OLLAMA_HOST)",
        )

    def _missing_model(self, model: str) -> PluginError:
        return PluginError(
            f"Ollama at {self.host} has no model {model!r}", f"Pull it: `ollama pull {model}`"
        )

    def availability(self) -> Availability:
        try:
            count = len(self.models())
        except PluginError as exc:
            return Availability(False, exc.message, exc.hint or "")
        return Availability(True, f"{self.host} ({count} models)")

    def models(self) -> list[str]:
        from ollama import Client

        try:
            listed = Client(host=self.host, timeout=5).list()
        except ConnectionError:
            raise self._unreachable() from None
        except Exception as exc:  # httpx errors, bad answers: still one clear line
            raise PluginError(f"Ollama at {self.host} failed: {exc}") from None
        return sorted(str(model.model) for model in listed.models)

    def default_model(self) -> str:
        if self.model:
            return self.model
        installed = self.models()
        return installed[0] if installed else FALLBACK_MODEL

    async def stream(
        self, messages: list[Message], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        import httpx
        from ollama import AsyncClient, ResponseError

        model = options.model or self.default_model()
        settings: dict[str, Any] = {
            "temperature": options.temperature,
            "num_predict": options.max_tokens,
            "repeat_penalty": options.repeat_penalty,
            "num_ctx": self.context,  # the window Sector planned the prompt for
        }
        if options.seed is not None:
            settings["seed"] = options.seed
        client = AsyncClient(host=self.host)
        try:
            parts = await client.chat(
                model=model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                options=settings,
            )
            async for part in parts:
                text = part.message.content if part.message else None
                if text:
                    yield Token(text)
                if part.done:
                    yield Usage(part.prompt_eval_count or 0, part.eval_count or 0)
                    yield Done(part.done_reason or "stop")
                    return
        except (ConnectionError, httpx.ConnectError):
            raise self._unreachable() from None
        except httpx.HTTPError as exc:
            raise PluginError(f"the connection to Ollama at {self.host} failed: {exc}") from None
        except ResponseError as exc:
            if exc.status_code == 404:
                raise self._missing_model(model) from None
            raise PluginError(f"Ollama failed (HTTP {exc.status_code}): {exc.error}") from None
        raise PluginError(f"Ollama at {self.host} ended the answer without saying it was done")
