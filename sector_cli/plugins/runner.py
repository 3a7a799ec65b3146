"""Contract for `sector.runners` plugins: execute a prepared job in a sandbox.

A runner turns a `RunJob` into an async stream of typed run events and must kill everything it
started when the stream is closed or cancelled.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from sector_cli.plugins.base import Plugin


class Verdict(StrEnum):
    """Outcome of a run, after Judge0's taxonomy."""

    ACCEPTED = "accepted"
    WRONG_EXIT = "wrong-exit"
    SIGNALED = "signaled"
    TIME_LIMIT = "time-limit"
    MEMORY_LIMIT = "memory-limit"
    OUTPUT_LIMIT = "output-limit"
    COMPILE_ERROR = "compile-error"
    INTERNAL_ERROR = "internal-error"


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: float = 10.0
    memory_bytes: int = 256 * 1024 * 1024
    processes: int = 64
    output_bytes: int = 1024 * 1024
    network: bool = False


@dataclass(frozen=True)
class RunJob:
    """Everything a runner needs: files to place in the work folder, commands, input, limits."""

    language: str
    files: dict[str, bytes]
    run: list[str]
    compile: list[str] | None = None
    stdin: bytes = b""
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class RunStarted:
    runner: str
    t: float = 0.0


@dataclass(frozen=True)
class Output:
    stream: str  # "stdout" | "stderr" | "compile"
    data: bytes
    t: float


@dataclass(frozen=True)
class RunFinished:
    verdict: Verdict
    exit_code: int | None
    wall: float
    cpu: float | None
    peak_memory: int | None
    t: float


RunEvent = RunStarted | Output | RunFinished


class Runner(Plugin):
    """Executes untrusted code with limits."""

    kind: ClassVar[str] = "runners"
    isolation: ClassVar[str] = ""  # a few words on what isolates the program

    @abstractmethod
    def run(self, job: RunJob) -> AsyncIterator[RunEvent]:
        """Stream the job's events; ends with exactly one RunFinished.

        Raises PluginError when the sandbox cannot start at all (engine gone, image missing).
        """
