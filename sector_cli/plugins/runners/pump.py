"""The step pump both runners drive a started program with: its output within the output
budget, its input, the wall deadline, the kill when a limit is reached or the run is
cancelled, and its exit. What differs per runner (pipes or Docker's attach stream, a signal or
the engine's kill) sits behind the small `Program` contract."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from sector_cli.plugins.runner import Limits, Output
from sector_cli.plugins.runners.common import Exit, StepResult, from_status


class Program(Protocol):
    """One started step, as a runner gives it to the pump."""

    @property
    def stdin(self) -> asyncio.StreamWriter | None:
        """Where the program's input goes."""

    async def read(self) -> tuple[str, bytes] | None:
        """The next chunk of output with its stream's name; None once the output has ended."""

    async def kill(self) -> None:
        """Stop the program now: it is over a limit, or the run was cancelled."""

    async def wait(self, timeout: float | None) -> int:
        """The shell-style exit status; TimeoutError when it runs `timeout` seconds more."""

    async def finish(self, ended: Ended) -> StepResult:
        """The step's result: how it ended, with what only the runner measures (memory, CPU)."""


@dataclass
class OutputBudget:
    """Counts the bytes a program writes and says when it went over its limit."""

    limit: int
    used: int = 0

    def take(self, data: bytes) -> bytes:
        """The part of `data` within the budget (all of it while under the limit)."""
        room = max(self.limit - self.used, 0)
        self.used += len(data)
        return data[:room]

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit


@dataclass(frozen=True)
class Ended:
    """How the pump saw a step end; the runner adds what only it can measure."""

    exit_code: int | None  # None when it died by a signal
    signal: int | None
    wall: float
    timed_out: bool
    output_exceeded: bool

    def exit(self, oom_killed: bool, cpu: float | None) -> Exit:
        return Exit(
            self.exit_code,
            self.signal,
            timed_out=self.timed_out,
            output_exceeded=self.output_exceeded,
            oom_killed=oom_killed,
            cpu=cpu,
        )


async def feed(
    writer: asyncio.StreamWriter | None, data: bytes, live: AsyncIterator[bytes] | None
) -> None:
    """The program's input: the live stream when there is one, else `data`; then end of file."""
    assert writer is not None
    with contextlib.suppress(OSError, RuntimeError):  # the program may exit without reading
        if live is not None:
            async for chunk in live:
                writer.write(chunk)
                await writer.drain()
        elif data:
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # a socket (Docker's attach) stays open for the output
        else:
            writer.close()  # a pipe


async def pump(
    program: Program,
    limits: Limits,
    stdin: bytes,
    live: AsyncIterator[bytes] | None,
    begin: float,
    started: float,
) -> AsyncGenerator[Output | StepResult, None]:
    """Yields the program's output (times from `started`), then its StepResult.

    The wall deadline counts from `begin`, when the program started. Past it, or over the
    output budget, the program is killed; so it is when the pump is closed before the end.
    """
    feeder = asyncio.create_task(feed(program.stdin, stdin, live))
    budget = OutputBudget(limits.output_bytes)
    deadline = begin + limits.wall_seconds
    timed_out = finished = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            try:
                chunk = await asyncio.wait_for(program.read(), remaining)
            except TimeoutError:
                timed_out = True
                break
            if chunk is None:
                break
            stream, data = chunk
            kept = budget.take(data)
            if kept:
                yield Output(stream, kept, time.monotonic() - started)
            if budget.exceeded:
                break
        if timed_out or budget.exceeded:
            feeder.cancel()
            await program.kill()
        try:
            # a program may close its output and go on: the deadline still holds
            status = await program.wait(max(deadline - time.monotonic(), 0.1))
        except TimeoutError:
            timed_out = True
            await program.kill()
            status = await program.wait(None)
        wall = time.monotonic() - begin
        finished = True
        exit_code, signal_number = from_status(status)
        yield await program.finish(
            Ended(exit_code, signal_number, wall, timed_out, budget.exceeded)
        )
    finally:
        feeder.cancel()
        if not finished:
            await program.kill()
