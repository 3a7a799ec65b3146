"""Any OpenAI-compatible `/v1/chat/completions` API, streamed over server-sent events."""

from __future__ import annotations

import asyncio
import json
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
from sector_cli.plugins.backends.settings import OPENAI_API_KEY, OPENAI_BASE_URL
from sector_cli.plugins.base import Availability

if TYPE_CHECKING:
    import httpx

    from sector_cli.config.settings import Settings

RETRY_STATUSES = {429, 500, 502, 503, 504}
ATTEMPTS = 3
BACKOFF_S = 0.5
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
KEYRING_SERVICE = "sector"


def _key_from_keyring() -> str | None:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, "openai")
    except Exception:  # no keyring backend on this machine: the key is simply not there
        return None


class OpenAIBackend(Backend):
    name = "openai"
    summary = "Any OpenAI-compatible API (OpenAI, llama.cpp server, vLLM, LM Studio, ...)"
    needs_key = True

    def __init__(self) -> None:
        self.base_url = "https://api.openai.com/v1"
        self.api_key: str | None = None
        self.model: str | None = None
        self.timeout = 60.0
        self.context = 4096

    def configure(self, settings: Settings) -> None:
        self.base_url = settings.get(OPENAI_BASE_URL)
        self.api_key = settings.get(OPENAI_API_KEY) or _key_from_keyring()
        self.model = settings.get(keys.ASSISTANT_MODEL)
        self.context = settings.get(keys.ASSISTANT_CONTEXT)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _client(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers(), timeout=self.timeout
        )

    def availability(self) -> Availability:
        try:
            count = len(self.models())
        except PluginError as exc:
            return Availability(False, exc.message, exc.hint or "")
        return Availability(True, f"{self.base_url} ({count} models)")

    def models(self) -> list[str]:
        import httpx

        try:
            response = httpx.get(f"{self.base_url}/models", headers=self._headers(), timeout=5)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        self._raise_for_status(response.status_code, response.text)
        try:
            return sorted(item["id"] for item in response.json()["data"])
        except (ValueError, KeyError, TypeError):
            raise PluginError(f"{self.base_url}/models did not answer as the API does") from None

    def default_model(self) -> str:
        if self.model:
            return self.model
        if "api.openai.com" in self.base_url:
            return OPENAI_DEFAULT_MODEL
        offered = self.models()
        if not offered:
            raise PluginError(f"{self.base_url} offers no model", "Load a model into the server")
        return offered[0]

    def _unreachable(self, exc: Exception) -> PluginError:
        return PluginError(
            f"cannot reach {self.base_url} ({type(exc).__name__})",
            "Start the server, or check openai.base_url (`sector config get openai.base_url`)",
        )

    def _raise_for_status(self, status: int, body: str) -> None:
        if status < 400:
            return
        if status in {401, 403}:
            raise PluginError(
                f"{self.base_url} refused the API key (HTTP {status})",
                "Set OPENAI_API_KEY, or `sector config set openai.api_key KEY --user`",
            )
        detail = _error_message(body) or " ".join(body.split())[:200]
        if status == 404:
            raise PluginError(
                f"{self.base_url} says not found (HTTP 404): {detail}",
                "Check the model (`sector models ls --backend openai`) and openai.base_url",
            )
        raise PluginError(f"{self.base_url} failed (HTTP {status}): {detail}")

    async def stream(
        self, messages: list[Message], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        import httpx

        payload = self._payload(messages, options)
        streamed = False
        async with self._client() as client:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    async with client.stream("POST", "/chat/completions", json=payload) as response:
                        if response.status_code in RETRY_STATUSES and attempt < ATTEMPTS:
                            await asyncio.sleep(BACKOFF_S * 2 ** (attempt - 1))
                            continue  # nothing was streamed yet: safe to ask again
                        if response.status_code >= 400:
                            body = (await response.aread()).decode(errors="replace")
                            self._raise_for_status(response.status_code, body)
                        kind = response.headers.get("content-type", "")
                        if "text/event-stream" not in kind:
                            raise PluginError(
                                f"{self.base_url} answered with {kind or 'no content type'}, "
                                "not a stream of server-sent events",
                                "Check that openai.base_url is an OpenAI-compatible API (…/v1)",
                            )
                        async for event in _events(response):
                            streamed = True
                            yield event
                        return
                except httpx.TimeoutException:
                    raise PluginError(
                        f"{self.base_url} did not answer within {self.timeout:g}s",
                        "Try again, or a smaller model",
                    ) from None
                except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                    if streamed:
                        raise PluginError(
                            f"the connection to {self.base_url} broke mid-answer", "Ask again"
                        ) from None
                    raise self._unreachable(exc) from None

    def context_window(self, model: str) -> int:
        return self.context

    def _payload(self, messages: list[Message], options: GenerateOptions) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": options.model or self.default_model(),
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": options.temperature,
            "max_tokens": options.max_tokens,
        }
        if options.seed is not None:
            payload["seed"] = options.seed
        if options.repeat_penalty != 1:
            payload["frequency_penalty"] = frequency_penalty(options.repeat_penalty)
        return payload


def frequency_penalty(repeat_penalty: float) -> float:
    """OpenAI's additive penalty (-2..2) for llama.cpp's multiplicative one: 1.15 -> 0.3."""
    return round(max(-2.0, min(2.0, (repeat_penalty - 1) * 2)), 2)


def _error_message(body: str) -> str:
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(error, dict):
        return str(error.get("message", ""))
    return str(error or "")


async def _events(response: httpx.Response) -> AsyncIterator[BackendEvent]:
    """Server-sent events: `data: {chunk}` lines, ending with `data: [DONE]`."""
    finish: str | None = None
    ended = False
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        data = line[5:].strip()
        if data == "[DONE]":
            ended = True
            break
        try:
            chunk = json.loads(data)
        except ValueError:
            raise PluginError(f"the server sent a malformed stream chunk: {data[:80]!r}") from None
        if not isinstance(chunk, dict):
            raise PluginError(f"the server sent a malformed stream chunk: {data[:80]!r}")
        if "error" in chunk:
            raise PluginError(f"the server failed mid-answer: {_error_message(data) or data[:200]}")
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield Token(text)
            finish = choice.get("finish_reason") or finish
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            yield Usage(
                int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            )
    if not ended and finish is None:  # the connection closed before the answer said it was done
        raise PluginError(f"the connection to {response.url.host} broke mid-answer", "Ask again")
    yield Done(finish or "stop")
