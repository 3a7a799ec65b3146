"""A run's output as it streams: it follows new output only while the view is at its end,
so that scrolling back to read is not undone by the next line."""

from __future__ import annotations

import codecs
from codecs import IncrementalDecoder

from textual.widgets import Log


class RunOutput(Log):
    """The program's stdout and stderr, interleaved as they came, plus Sector's own lines."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, highlight=False, max_lines=20_000)
        self._decoders: dict[str, IncrementalDecoder] = {}

    def reset(self) -> None:
        self.clear()
        self._decoders = {}

    def append(self, text: str) -> None:
        self.write(text, scroll_end=self.is_vertical_scroll_end)

    def append_bytes(self, stream: str, data: bytes) -> None:
        """Bytes of a stream, decoded across chunk ends (a character may be split)."""
        decoder = self._decoders.get(stream)
        if decoder is None:
            decoder = self._decoders[stream] = codecs.getincrementaldecoder("utf-8")("replace")
        self.append(decoder.decode(data))

    def note(self, line: str) -> None:
        """A line of Sector's own (a header, a summary), on a line of its own."""
        self.append(("\n" if self.lines and self.lines[-1] else "") + line + "\n")
