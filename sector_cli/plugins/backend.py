"""Contract for `sector.backends` plugins: stream a model's answer as typed events."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from sector_cli.plugins.base import Plugin
from sector_cli.wire import WireEvent

if TYPE_CHECKING:
    from sector_cli.config.settings import Settings

CHARS_PER_TOKEN = 4  # a common estimate for English text and code, when no tokenizer is at hand


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerateOptions:
    model: str | None = None
    temperature: float = 0.2
    max_tokens: int = 512
    seed: int | None = None
    # Above 1 discourages repeating recent tokens: small models loop without it. Each backend
    # maps it onto its own control (llama.cpp and Ollama: repeat_penalty; OpenAI: frequency).
    repeat_penalty: float = 1.15


@dataclass(frozen=True)
class Token(WireEvent):
    wire_name: ClassVar[str] = "token"

    text: str


@dataclass(frozen=True)
class Usage(WireEvent):
    wire_name: ClassVar[str] = "usage"

    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Done(WireEvent):
    wire_name: ClassVar[str] = "done"

    finish_reason: str = "stop"  # stop | length | interrupted


BackendEvent = Token | Usage | Done


class Backend(Plugin):
    """A source of model completions."""

    kind: ClassVar[str] = "backends"
    needs_key: ClassVar[bool] = False

    def configure(self, settings: Settings) -> None:
        """Read what the backend needs from settings (hosts, keys, paths). Optional."""

    @abstractmethod
    def stream(
        self, messages: list[Message], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        """Yield tokens as the model produces them, then Usage (when known) and Done.

        Raises PluginError when the server or model is missing, naming the fix; raises it
        before the first token for anything a retry could mend.
        """

    @abstractmethod
    def default_model(self) -> str:
        """The model used when none is asked for."""

    def models(self) -> list[str]:
        """Models this backend offers. Raises PluginError when it cannot be asked."""
        return [self.default_model()]

    def advice(self, model: str) -> str | None:
        """A warning to show with every answer `model` gives (a model too small to be
        trusted), naming how to get a better one; None when there is nothing to say."""
        return None

    def context_window(self, model: str) -> int:
        """How many tokens a prompt and its answer may take together."""
        return 4096

    def count_tokens(self, text: str, model: str) -> int:
        """Tokens `text` takes; an estimate unless the backend has the model's tokenizer."""
        return math.ceil(len(text) / CHARS_PER_TOKEN)
