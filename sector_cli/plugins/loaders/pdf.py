"""PDF, with pypdf: the text of each page, paragraph by paragraph, with its page number.

Pages without text (scans, figures) give nothing; OCR is out of scope. pypdf is imported on the
first load, never when the plugin is listed.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sector_cli.plugins.loader import Loader, Passage, UnreadableDocument
from sector_cli.plugins.loaders.common import one_line, paragraphs, unreadable_os_error

if TYPE_CHECKING:
    from pypdf import PdfReader

CORRUPT_HINT = "The file is damaged or truncated: save or download it again"


class PdfLoader(Loader):
    name: ClassVar[str] = "pdf"
    summary: ClassVar[str] = "PDF text, page by page (pypdf); no OCR"
    extensions: ClassVar[tuple[str, ...]] = (".pdf",)
    format: ClassVar[str] = "pdf"

    def load(self, path: Path) -> Iterator[Passage]:
        with _quiet_pypdf():
            reader = _open(path)
        for number in range(1, len(reader.pages) + 1):
            with _quiet_pypdf():  # not around the yield: the caller may stop half-way
                text = _page_text(path, reader, number)
            yield from paragraphs(text.split("\n"), page=number, numbered=False)


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs (and warns) about every oddity it repairs; the index reports what matters."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _corrupt(path: Path, exc: BaseException, where: str = "") -> UnreadableDocument:
    detail = f"{where}{type(exc).__name__}: {one_line(exc)}"
    return UnreadableDocument(f"{path.name} is not a readable PDF ({detail})", CORRUPT_HINT)


def _open(path: Path) -> PdfReader:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        encrypted = reader.is_encrypted and not _decrypts_without_password(reader)
        if not encrypted:
            len(reader.pages)  # walks the page tree: a broken one fails here
    except OSError as exc:
        raise unreadable_os_error(path, exc) from exc
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise _corrupt(path, exc) from exc
    if encrypted:
        raise UnreadableDocument(
            f"{path.name} is encrypted", "Remove the password (qpdf --decrypt) and add it again"
        )
    return reader


def _decrypts_without_password(reader: PdfReader) -> bool:
    """Many PDFs are encrypted with an empty user password (only to restrict printing)."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except DependencyError:  # AES without the `cryptography` package: treat as locked
        return False


def _page_text(path: Path, reader: PdfReader, number: int) -> str:
    try:
        text = reader.pages[number - 1].extract_text()
    except Exception as exc:  # a damaged content stream, font or image
        raise _corrupt(path, exc, f"page {number}: ") from exc
    return str(text or "")
