"""A traced run seen live (`sector run --trace`, and the replay of a traced run): the trace is
the run's stdout, and `program_events` turns the run's events into the program's own output,
decoded from the trace as it arrives, then one line saying how many steps were recorded and
where to see them. The runs service starts the run (`Runs.start(..., trace=True)`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, Iterator

from sector_cli.plugins.runner import Output, RunEvent, RunFinished

STEP_TAGS = frozenset(b"crue")


async def program_events(
    events: AsyncGenerator[RunEvent, None], run_id: int
) -> AsyncGenerator[RunEvent, None]:
    reader = _LiveReader()
    async with contextlib.aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, Output) and event.stream == "stdout":
                for name, data in reader.feed(event.data):
                    yield Output(name, data, event.t)
                continue
            if isinstance(event, RunFinished):
                note = f"trace: {reader.summary()} · `sector viz trace {run_id}`\n"
                yield Output("stderr", note.encode(), event.t)
            yield event


class _LiveReader:
    """Turns the trace's bytes, as they arrive, into the program's output."""

    def __init__(self) -> None:
        self.partial = b""
        self.steps = 0
        self.stopped = ""
        self.stop_steps = 0

    def feed(self, data: bytes) -> Iterator[tuple[str, bytes]]:
        *lines, self.partial = (self.partial + data).split(b"\n")
        for line in lines:
            if line[:1].isdigit():
                self.steps += 1
            elif line[:2] == b'["' and len(line) > 3:
                tag = line[2]
                if tag in STEP_TAGS:
                    self.steps += 1
                elif tag in b"12ST":
                    yield from self._record(line)

    def _record(self, line: bytes) -> Iterator[tuple[str, bytes]]:
        try:
            record = json.loads(line)
        except ValueError:
            return
        if record[0] in ("1", "2"):
            yield ("stdout" if record[0] == "1" else "stderr"), str(record[1]).encode()
        elif record[0] == "S":
            yield "stderr", f"{record[3]} (line {record[1]})\n".encode()
        elif record[0] == "T" and not self.stopped:
            self.stopped, self.stop_steps = str(record[1]), int(record[3])

    def summary(self) -> str:
        if self.stopped == "steps":
            return f"{self.stop_steps:,} steps, then counts"
        if self.stopped:
            return f"{self.steps:,} steps (cut: {self.stopped})"
        return f"{self.steps:,} steps"
