"""Markdown: a passage per paragraph, list or block, titled by the headings above it.

Fenced code blocks stay one passage, blank lines and all; YAML (or TOML) front matter is
skipped. Passages keep their source lines, so line ranges are exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from sector_cli.plugins.loader import Loader, Passage
from sector_cli.plugins.loaders.common import HeadingPath, paragraphs, read_text

ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
LIST_OR_QUOTE = re.compile(r"^ {0,3}([-*+>]|\d+[.)])(\s|$)")
FRONT_MATTER = {"---": ("---", "..."), "+++": ("+++",)}


class MarkdownLoader(Loader):
    name: ClassVar[str] = "markdown"
    summary: ClassVar[str] = "Markdown, block by block, titled by its headings"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")
    format: ClassVar[str] = "markdown"

    def load(self, path: Path) -> Iterator[Passage]:
        yield from markdown_passages(read_text(path).split("\n"))


def markdown_passages(lines: list[str]) -> Iterator[Passage]:
    headings = HeadingPath()
    start = _after_front_matter(lines)
    paragraph = start  # first line of the paragraph being gathered
    index = start
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        atx = ATX.match(line)
        underline = SETEXT.match(line)
        if underline and _is_setext_title(lines, paragraph, index):
            yield from paragraphs(lines[paragraph : index - 1], paragraph + 1, headings.title)
            text = lines[index - 1].strip()
            headings.enter(1 if underline.group(1).startswith("=") else 2, text)
            yield Passage(text, None, index, index + 1, headings.title)
            paragraph = index = index + 1
            continue
        if not (fence or atx):
            index += 1
            continue
        yield from paragraphs(lines[paragraph:index], paragraph + 1, headings.title)
        if atx:
            text = (atx.group(2) or "").strip()
            headings.enter(len(atx.group(1)), text)
            if text:
                yield Passage(text, None, index + 1, index + 1, headings.title)
            end = index
        else:
            end = _fence_end(lines, index, fence.group(1) if fence else "")
            yield Passage(
                "\n".join(lines[index : end + 1]), None, index + 1, end + 1, headings.title
            )
        paragraph = index = end + 1
    yield from paragraphs(lines[paragraph:], paragraph + 1, headings.title)


def _after_front_matter(lines: list[str]) -> int:
    """Index of the first line after the front matter (0 when there is none)."""
    closers = FRONT_MATTER.get(lines[0].strip()) if lines else None
    if closers:
        for index in range(1, len(lines)):
            if lines[index].strip() in closers:
                return index + 1
    return 0


def _is_setext_title(lines: list[str], paragraph: int, index: int) -> bool:
    """A one-line paragraph right above an === or --- line is a heading (a lone --- is a
    thematic break, and a list item above --- is not a title)."""
    if index - paragraph < 1:
        return False
    above = lines[index - 1]
    fresh = index - 1 == paragraph or not lines[index - 2].strip()
    return fresh and bool(above.strip()) and not LIST_OR_QUOTE.match(above)


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at `start` (the last line when unclosed)."""
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for index in range(start + 1, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines) - 1
