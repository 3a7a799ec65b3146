"""EPUB books: the chapters in reading order (META-INF/container.xml -> OPF -> spine), each
parsed as HTML. A passage's `page` is its chapter number (1-based position in the spine) and
its `title` the chapter's headings; chapters carry no line ranges."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote
from xml.etree import ElementTree

from sector_cli.plugins.loader import Loader, Passage, UnreadableDocument
from sector_cli.plugins.loaders.common import decode_text, one_line, open_zip_checked
from sector_cli.plugins.loaders.html import html_passages

CONTAINER = "META-INF/container.xml"
ENCRYPTION = "META-INF/encryption.xml"
CHAPTER_TYPES = frozenset({"application/xhtml+xml", "text/html"})
BROKEN_HINT = "Open it in an e-book editor (Calibre, Sigil) and save it again"


class EpubLoader(Loader):
    name: ClassVar[str] = "epub"
    summary: ClassVar[str] = "EPUB books, chapter by chapter, titled by their headings"
    extensions: ClassVar[tuple[str, ...]] = (".epub",)
    format: ClassVar[str] = "epub"

    def load(self, path: Path) -> Iterator[Passage]:
        with open_zip_checked(path) as book:
            chapters = _spine(path, book)
            _refuse_drm(path, book, chapters)
            for number, member in enumerate(chapters, start=1):
                if member is not None:
                    text = decode_text(_read(path, book, member), f"{path.name} ({member})")
                    yield from html_passages(text, page=number, lines=False)


def _broken(path: Path, reason: str) -> UnreadableDocument:
    return UnreadableDocument(f"{path.name} is not a readable EPUB: {reason}", BROKEN_HINT)


def _read(path: Path, book: zipfile.ZipFile, member: str) -> bytes:
    try:
        return book.read(member)
    except KeyError as exc:
        raise _broken(path, f"{member} is missing") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _broken(path, f"{member} is damaged ({one_line(exc)})") from exc


def _xml(path: Path, book: zipfile.ZipFile, member: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(_read(path, book, member))
    except ElementTree.ParseError as exc:
        raise _broken(path, f"{member} is not well-formed XML ({one_line(exc)})") from exc


def _refuse_drm(path: Path, book: zipfile.ZipFile, chapters: list[str | None]) -> None:
    """Chapters listed in encryption.xml are DRM-protected. Fonts listed there are only
    obfuscated (a common, harmless practice), so only the chapters count."""
    if ENCRYPTION not in book.namelist():
        return
    encrypted = {
        unquote(element.get("URI", ""))
        for element in _xml(path, book, ENCRYPTION).iter()
        if _local(element.tag) == "CipherReference"
    }
    if encrypted & set(chapters):
        raise UnreadableDocument(
            f"{path.name} is DRM-protected", "Only DRM-free EPUBs can be indexed"
        )


def _local(tag: str) -> str:
    """A tag without its namespace: EPUB files differ in how they spell them."""
    return tag.rsplit("}", 1)[-1]


def _spine(path: Path, book: zipfile.ZipFile) -> list[str | None]:
    """The zip members of the spine's items in reading order (None: not a text chapter)."""
    container = _xml(path, book, CONTAINER)
    rootfile = next((e for e in container.iter() if _local(e.tag) == "rootfile"), None)
    opf_path = rootfile.get("full-path") if rootfile is not None else None
    if not opf_path:
        raise _broken(path, f"{CONTAINER} names no package (OPF) file")
    package = _xml(path, book, opf_path)
    folder = posixpath.dirname(opf_path)
    manifest = {
        item.get("id"): item
        for item in package.iter()
        if _local(item.tag) == "item" and item.get("href")
    }
    chapters: list[str | None] = []
    for ref in (e for e in package.iter() if _local(e.tag) == "itemref"):
        item = manifest.get(ref.get("idref"))
        if item is None:
            raise _broken(path, f"spine item {ref.get('idref')!r} is not in the manifest")
        href = unquote(item.get("href", "").split("#")[0])
        text = item.get("media-type") in CHAPTER_TYPES
        chapters.append(posixpath.normpath(posixpath.join(folder, href)) if text else None)
    if not chapters:
        raise _broken(path, f"{opf_path} has an empty spine")
    return chapters
