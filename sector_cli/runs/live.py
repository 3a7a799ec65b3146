"""A running program's standard input, fed as it arrives: lines typed in a terminal or in a
TUI panel. Every front end that forwards live input to a run hands the runner one of these."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator


class LiveInput:
    """An async stream of input chunks; `close()` is the end of input (Ctrl-D)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.closed = False

    def feed(self, data: bytes) -> None:
        """Send `data` to the program (from the event loop's thread). Empty data is ignored:
        the end of input is `close()`."""
        if data and not self.closed:
            self._queue.put_nowait(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(b"")

    def feed_threadsafe(self, loop: asyncio.AbstractEventLoop, data: bytes) -> None:
        """`feed`, or `close` for empty data, from another thread (a blocking reader)."""
        if data:
            loop.call_soon_threadsafe(self.feed, data)
        else:
            loop.call_soon_threadsafe(self.close)

    async def stream(self) -> AsyncIterator[bytes]:
        """The chunks, in order, until `close()`: what a runner is given as live stdin."""
        while chunk := await self._queue.get():
            yield chunk
