"""Contract for `sector.backends` plugins: stream a model's answer as typed events."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar, Literal

from sector_cli.plugins.base import Plugin


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerateOptions:
    model: str | None = None
    temperature: float = 0.2
    max_tokens: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Done:
    finish_reason: str = "stop"


BackendEvent = Token | Usage | Done


class Backend(Plugin):
    """A source of model completions."""

    kind: ClassVar[str] = "backends"
    needs_key: ClassVar[bool] = False
    context_window: ClassVar[int | None] = None

    @abstractmethod
    def stream(
        self, messages: list[Message], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        """Yield tokens as the model produces them, then Usage (when known) and Done.

        Raises PluginError when the server or model is missing, naming the fix.
        """

    def models(self) -> list[str]:
        """Models this backend offers; empty when it cannot tell."""
        return []
