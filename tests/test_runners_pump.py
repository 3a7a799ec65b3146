"""The step pump's own rules, on a scripted program: what it yields, when it kills, and what it
reports. The runner suites (test_runners_*.py) drive it through the real sandboxes."""

from __future__ import annotations

import asyncio
import contextlib
import time

from sector_cli.plugins.runner import Limits, Output
from sector_cli.plugins.runners.common import StepResult
from sector_cli.plugins.runners.pump import Ended, pump


class NoInput:
    """The program's stdin when it is given none: the pump only ends it."""

    closed = False

    def can_write_eof(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


class Scripted:
    """A program whose output is `chunks`; with `hang`, it then never ends on its own."""

    def __init__(self, chunks: list[tuple[str, bytes]], hang: bool = False) -> None:
        self.chunks = list(chunks)
        self.hang = hang
        self.killed = 0
        self.stopped = asyncio.Event()
        self.stdin = NoInput()

    async def read(self) -> tuple[str, bytes] | None:
        if self.chunks:
            return self.chunks.pop(0)
        if self.hang:
            await self.stopped.wait()
        return None

    async def kill(self) -> None:
        self.killed += 1
        self.stopped.set()

    async def wait(self, timeout: float | None) -> int:
        if self.hang:
            async with asyncio.timeout(timeout):
                await self.stopped.wait()
        return 137 if self.killed else 0

    async def finish(self, ended: Ended) -> StepResult:
        return StepResult(ended.exit(False, None), ended.wall, None)


async def _drain(program: Scripted, limits: Limits) -> list[Output | StepResult]:
    started = time.monotonic()
    items = pump(program, limits, b"", None, started, started)
    return [item async for item in items]


def _run(program: Scripted, limits: Limits) -> tuple[list[Output], StepResult]:
    items = asyncio.run(_drain(program, limits))
    *outputs, result = items
    assert all(isinstance(o, Output) for o in outputs) and isinstance(result, StepResult)
    return outputs, result  # type: ignore[return-value]


def test_output_is_yielded_in_order_and_the_exit_reported() -> None:
    program = Scripted([("stdout", b"a"), ("stderr", b"b"), ("stdout", b"c")])
    outputs, result = _run(program, Limits())
    assert [(o.stream, o.data) for o in outputs] == [
        ("stdout", b"a"),
        ("stderr", b"b"),
        ("stdout", b"c"),
    ]
    assert result.ended.exit_code == 0 and result.ended.signal is None
    assert not result.ended.timed_out and not result.ended.output_exceeded
    assert program.killed == 0 and program.stdin.closed


def test_output_over_the_budget_is_cut_and_the_program_killed() -> None:
    program = Scripted(
        [("stdout", b"12345"), ("stdout", b"67890"), ("stdout", b"never")], hang=True
    )
    outputs, result = _run(program, Limits(output_bytes=7))
    assert b"".join(o.data for o in outputs) == b"1234567"
    assert result.ended.output_exceeded and not result.ended.timed_out
    assert result.ended.signal == 9 and program.killed == 1
    assert program.chunks == [("stdout", b"never")]  # nothing read past the budget


def test_a_silent_program_past_its_deadline_is_timed_out_and_killed() -> None:
    program = Scripted([("stdout", b"up\n")], hang=True)
    outputs, result = _run(program, Limits(wall_seconds=0.2))
    assert [o.data for o in outputs] == [b"up\n"]
    assert result.ended.timed_out and program.killed == 1


def test_a_program_that_closes_its_output_and_goes_on_is_timed_out() -> None:
    class ClosesOutput(Scripted):
        async def read(self) -> tuple[str, bytes] | None:
            return self.chunks.pop(0) if self.chunks else None  # its output ends at once

    program = ClosesOutput([], hang=True)
    _, result = _run(program, Limits(wall_seconds=0.2))
    assert result.ended.timed_out and program.killed == 1


def test_closing_the_pump_early_kills_the_program() -> None:
    async def first_output_only(program: Scripted) -> Output | StepResult:
        started = time.monotonic()
        async with contextlib.aclosing(pump(program, Limits(), b"", None, started, started)) as it:
            async for item in it:
                return item
        raise AssertionError("no output")

    program = Scripted([("stdout", b"first"), ("stdout", b"second")], hang=True)
    first = asyncio.run(first_output_only(program))
    assert isinstance(first, Output) and first.data == b"first"
    assert program.killed == 1
