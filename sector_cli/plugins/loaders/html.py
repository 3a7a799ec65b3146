"""HTML (and the XHTML chapters of an EPUB), with the standard library's html.parser.

Text blocks (paragraphs, list items, table cells, headings...) become passages titled by the
h1..h6 headings above them, with the line range they occupy in the source. Scripts, styles,
navigation and Sphinx page chrome (sidebars, related links, footers, "¶" header links) are
dropped. Whitespace is collapsed except inside <pre>.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from sector_cli.plugins.loader import Loader, Passage
from sector_cli.plugins.loaders.common import HeadingPath, read_text

HEADINGS = {f"h{level}": level for level in range(1, 7)}
# fmt: off
BLOCKS = frozenset({
    *HEADINGS, "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header",
    "hr", "html", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
})
# fmt: on
# Not text a reader reads: code, styles, navigation, and the labels of controls.
DROPPED = frozenset(
    {"script", "style", "template", "nav", "noscript", "head", "svg", "button", "select"}
)
CHROME_CLASSES = frozenset(
    {"related", "sphinxsidebar", "sphinxsidebarwrapper", "footer", "headerlink", "breadcrumbs"}
)
CHROME_ROLES = frozenset({"navigation", "search", "banner", "contentinfo", "menu", "toolbar"})
# fmt: off
VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
})
# fmt: on


class HtmlLoader(Loader):
    name: ClassVar[str] = "html"
    summary: ClassVar[str] = "HTML pages (Sphinx docs too), block by block, titled by headings"
    extensions: ClassVar[tuple[str, ...]] = (".html", ".htm", ".xhtml")
    format: ClassVar[str] = "html"

    def load(self, path: Path) -> Iterator[Passage]:
        yield from html_passages(read_text(path))


def html_passages(source: str, *, page: int | None = None, lines: bool = True) -> list[Passage]:
    """The passages of an HTML document, in order. `page` is given to each passage; with
    `lines=False` they carry no line range (an EPUB chapter's lines mean nothing to a reader)."""
    parser = _PassageParser(page, lines)
    parser.feed(source)
    parser.close()
    return parser.passages


def _is_chrome(attrs: list[tuple[str, str | None]]) -> bool:
    values = dict(attrs)
    classes = set((values.get("class") or "").split())
    return bool(classes & CHROME_CLASSES) or values.get("role") in CHROME_ROLES


class _PassageParser(HTMLParser):
    def __init__(self, page: int | None, lines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.passages: list[Passage] = []
        self._page, self._lines = page, lines
        self._headings = HeadingPath()
        self._heading: int | None = None  # level of the heading being read
        self._skip: tuple[str, int] | None = None  # (tag, nesting) of the element dropped
        self._pre = 0
        self._text: list[str] = []
        self._first = self._last = 0  # source lines of the text gathered

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag == self._skip[0] and tag not in VOID:
                self._skip = (tag, self._skip[1] + 1)
            return
        if (tag in DROPPED or _is_chrome(attrs)) and tag not in VOID:
            self._skip = (tag, 1)
            return
        if tag in HEADINGS:
            self._end_heading()
            self._flush()
            self._heading = HEADINGS[tag]
        elif tag in BLOCKS:
            self._flush()
        if tag == "pre":
            self._pre += 1
        elif tag == "br":
            self._text.append("\n" if self._pre else " ")

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[0]:
                depth = self._skip[1] - 1
                self._skip = (tag, depth) if depth else None
            return
        if tag in HEADINGS:
            self._end_heading()
        elif tag in BLOCKS:
            self._flush()
        if tag == "pre":
            self._pre = max(self._pre - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._skip or not data.strip():
            if not self._skip and self._text:
                self._text.append(data)  # the space between two inline elements
            return
        line = self.getpos()[0]
        first = line + data[: len(data) - len(data.lstrip())].count("\n")
        last = line + data[: len(data.rstrip())].count("\n")
        if not self._text or not self._first:
            self._first = first
        self._last = last
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._end_heading()
        self._flush()

    def _gathered(self) -> str:
        text = "".join(self._text)
        return text.strip("\n").rstrip() if self._pre else " ".join(text.split())

    def _end_heading(self) -> None:
        if self._heading is None:
            return
        level, self._heading = self._heading, None
        self._headings.enter(level, self._gathered())
        self._flush()

    def _flush(self) -> None:
        if self._heading is not None:
            return  # a block inside a heading is part of the heading
        text = self._gathered()
        if text:
            first, last = (self._first, self._last) if self._lines else (None, None)
            self.passages.append(Passage(text, self._page, first, last, self._headings.title))
        self._text, self._first, self._last = [], 0, 0
