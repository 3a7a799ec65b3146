"""Contract for `sector.runners` plugins: execute a prepared job in a sandbox.

A runner turns a `RunJob` into an async stream of typed run events and must kill everything it
started when the stream ends, is closed, or is cancelled.
"""

from __future__ import annotations

import base64
import json
from abc import abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from sector_cli.plugins.base import Plugin
from sector_cli.wire import WireEvent, bytes_wire

WORK_DIR = "/work"  # where the job's files are, inside every sandbox


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
    INTERRUPTED = "interrupted"  # stopped from outside (Ctrl-C, SIGTERM); never a runner's


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: float = 10.0
    memory_bytes: int = 256 * 1024 * 1024
    processes: int = 64
    output_bytes: int = 1024 * 1024
    disk_bytes: int = 64 * 1024 * 1024
    open_files: int = 256
    network: bool = False


COMPILE_LIMITS = Limits(
    wall_seconds=60, cpu_seconds=60, memory_bytes=1024**3, output_bytes=256 * 1024
)


@dataclass(frozen=True)
class RunJob:
    """Everything a runner needs: files for the work folder, commands, input, limits.

    Commands run with the work folder (`/work`) as their current directory.
    `read_only` maps a sandbox path to a host folder shown there read-only (a toolchain
    outside /usr, such as a virtual environment's site-packages); only runners whose
    `read_only_mounts` is true honour it, so callers check that before giving one.
    """

    language: str
    files: dict[str, bytes]
    run: list[str]
    compile: list[str] | None = None
    stdin: bytes = b""
    limits: Limits = field(default_factory=Limits)
    compile_limits: Limits = COMPILE_LIMITS
    image: str = ""  # for container runners: an image with the language's toolchain
    read_only: dict[str, str] = field(default_factory=dict)  # sandbox path -> host folder

    def to_json(self) -> bytes:
        data = asdict(self)
        data["files"] = {k: base64.b64encode(v).decode() for k, v in self.files.items()}
        data["stdin"] = base64.b64encode(self.stdin).decode()
        return json.dumps(data).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> RunJob:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            language=data["language"],
            files={k: base64.b64decode(v) for k, v in data["files"].items()},
            run=data["run"],
            compile=data["compile"],
            stdin=base64.b64decode(data["stdin"]),
            limits=Limits(**data["limits"]),
            compile_limits=Limits(**data["compile_limits"]),
            image=data.get("image", ""),
            read_only=data.get("read_only", {}),
        )


@dataclass(frozen=True)
class RunStarted(WireEvent):
    wire_name: ClassVar[str] = "started"

    runner: str
    t: float = 0.0


@dataclass(frozen=True)
class Output(WireEvent):
    wire_name: ClassVar[str] = "output"

    stream: str  # "stdout" | "stderr" | "compile"
    data: bytes
    t: float

    def to_wire(self) -> dict[str, Any]:
        """The bytes as text (and base64 when they are not UTF-8), the time to the µs."""
        return {
            "event": self.wire_name,
            "stream": self.stream,
            **bytes_wire(self.data),
            "t": round(self.t, 6),
        }


@dataclass(frozen=True)
class RunFinished(WireEvent):
    wire_name: ClassVar[str] = "finished"

    verdict: Verdict
    exit_code: int | None
    wall: float
    cpu: float | None
    peak_memory: int | None
    t: float
    detail: str = ""  # why, in a few words, when it is not plain
    signal: int | None = None  # the signal that ended the program, if one did


RunEvent = RunStarted | Output | RunFinished


class Runner(Plugin):
    """Executes untrusted code with limits."""

    kind: ClassVar[str] = "runners"
    isolation: ClassVar[str] = ""  # a few words on what isolates the program
    read_only_mounts: ClassVar[bool] = False  # whether it can honour RunJob.read_only

    @abstractmethod
    def run(
        self, job: RunJob, stdin: AsyncIterator[bytes] | None = None
    ) -> AsyncGenerator[RunEvent, None]:
        """Stream the job's events: RunStarted, Output..., then exactly one RunFinished.

        `stdin`, when given, is forwarded live (an interactive terminal) instead of `job.stdin`.
        Raises PluginError when the sandbox cannot start at all (engine gone, image missing).
        """

    def describe(self) -> dict[str, object]:
        """Extra facts for `sector runner ls` (images present, isolation used, ...)."""
        return {}

    @classmethod
    def contract_problems(cls) -> list[str]:
        problems = super().contract_problems()
        if not cls.isolation:
            problems.append("isolation must say what isolates the program")
        return problems
