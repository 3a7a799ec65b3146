"""What the loaders share: reading text safely, opening zips without inflating a bomb, and
cutting text into paragraph passages with their line ranges."""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from sector_cli.plugins.loader import Passage, UnreadableDocument

# Zip limits, read at call time so that tests (and callers) can lower them.
MAX_INFLATED = 512 * 1024 * 1024  # declared uncompressed bytes of all entries together
MAX_RATIO = 200.0  # declared uncompressed / compressed size of one entry (deflate tops at ~1030)
RATIO_FLOOR = 1024 * 1024  # entries smaller than this may compress as well as they like
MAX_ENTRIES = 10_000

# Text that is more than this share of control characters is binary, whatever it decodes to.
MAX_CONTROL_SHARE = 0.3
SNIFF_BYTES = 8192
TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b")
ICONV_HINT = "Convert it to UTF-8 (iconv -t UTF-8) and add it again"
BINARY_HINT = "Add text files only, or give the file the extension of its real format"
# Byte order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def one_line(text: object) -> str:
    """A library's message squeezed onto one line (they often span several)."""
    return " ".join(str(text).split()) or "no detail"


def unreadable_os_error(path: Path, exc: OSError) -> UnreadableDocument:
    """A permission or I/O error as a one-line UnreadableDocument."""
    reason = one_line(exc.strerror or exc)
    return UnreadableDocument(
        f"{path.name} cannot be read ({reason})", "Check that the file exists and is readable"
    )


def read_text(path: Path) -> str:
    """The file's text with "\\n" line ends: UTF-8 (with or without BOM), or UTF-16/32 with a
    BOM. Raises UnreadableDocument for binary data, other encodings and OS errors."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise unreadable_os_error(path, exc) from exc
    return decode_text(data, path.name)


def decode_text(data: bytes, name: str) -> str:
    """`read_text` for bytes already in memory (`name` is what messages call them)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _normalize_newlines(_decode(data, encoding, name))
    if _looks_binary(data):
        raise UnreadableDocument(f"{name} looks like binary data, not text", BINARY_HINT)
    return _normalize_newlines(_decode(data, "utf-8", name))


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        byte, line = exc.object[exc.start], exc.object.count(b"\n", 0, exc.start) + 1
        shown = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        raise UnreadableDocument(
            f"{name} is not {shown} text (byte 0x{byte:02x} at offset {exc.start}, line {line})",
            ICONV_HINT,
        ) from exc


def _looks_binary(data: bytes) -> bool:
    sample = data[:SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    controls = sum(
        1 for byte in sample if (byte < 0x20 or byte == 0x7F) and byte not in TEXT_CONTROLS
    )
    return bool(sample) and controls / len(sample) > MAX_CONTROL_SHARE


def _normalize_newlines(text: str) -> str:
    # Line numbers count "\n" only: str.splitlines would also split at \f, \x1c or U+2028.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def open_zip_checked(
    path: Path, *, max_inflated: int | None = None, max_ratio: float | None = None
) -> zipfile.ZipFile:
    """Open a zip whose declared sizes are safe to inflate; the caller closes it.

    The sizes come from the central directory, before anything is inflated; zipfile then reads
    no more than an entry declares (a lying entry fails its CRC check). Raises UnreadableDocument
    for a zip bomb, a corrupt zip and OS errors. Limits default to the module constants.
    """
    limit = MAX_INFLATED if max_inflated is None else max_inflated
    ratio = MAX_RATIO if max_ratio is None else max_ratio
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument(
            f"{path.name} is not a valid zip file ({one_line(exc)})",
            "The file is corrupt or truncated: save or download it again",
        ) from exc
    except OSError as exc:
        raise unreadable_os_error(path, exc) from exc
    try:
        _check_sizes(path, archive.infolist(), limit, ratio)
    except UnreadableDocument:
        archive.close()
        raise
    return archive


def _check_sizes(path: Path, entries: list[zipfile.ZipInfo], limit: int, ratio: float) -> None:
    hint = "It inflates to far more than it holds (a zip bomb?); it was not opened"
    if len(entries) > MAX_ENTRIES:
        raise UnreadableDocument(f"{path.name} has {len(entries)} zip entries", hint)
    total = sum(entry.file_size for entry in entries)
    if total > limit:
        raise UnreadableDocument(
            f"{path.name} would inflate to {_megabytes(total)}, over the {_megabytes(limit)} limit",
            hint,
        )
    for entry in entries:
        packed = max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR and entry.file_size / packed > ratio:
            raise UnreadableDocument(
                f"{path.name} has an entry compressed {entry.file_size // packed}:1 "
                f"({entry.filename}), over the {ratio:g}:1 limit",
                hint,
            )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def paragraphs(
    lines: Sequence[str],
    first_line: int = 1,
    title: str | None = None,
    page: int | None = None,
    *,
    numbered: bool = True,
) -> Iterator[Passage]:
    """Passages of the runs of non-blank lines, with 1-based line ranges (lines[0] is
    `first_line`) unless `numbered` is false. The text keeps the source lines as they are, so
    ranges stay exact."""
    start: int | None = None
    for index, line in enumerate([*lines, ""]):
        if line.strip() and start is None:
            start = index
        elif not line.strip() and start is not None:
            first, last = (first_line + start, first_line + index - 1) if numbered else (None, None)
            yield Passage("\n".join(lines[start:index]), page, first, last, title)
            start = None


class HeadingPath:
    """The headings above the current point, as a title: "Intro > Closures > Cells"."""

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []  # (level, text), outermost first

    def enter(self, level: int, text: str) -> None:
        """A heading of `level` (smaller is outer) closes those at its level and below."""
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        self._open.append((level, " ".join(text.split())))

    @property
    def title(self) -> str | None:
        return " > ".join(text for _, text in self._open if text) or None
