"""reStructuredText: a passage per paragraph or block, titled by the section titles above it.

Section titles are a line underlined (and maybe overlined) with one punctuation character; as
in docutils, levels follow the order in which adornment styles first appear. Directives and
literal blocks (after "::") stay one passage, blank lines and all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from sector_cli.plugins.loader import Loader, Passage
from sector_cli.plugins.loaders.common import HeadingPath, paragraphs, read_text

ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")
EXPLICIT = re.compile(r"^\s*\.\.(\s|$)")


class RstLoader(Loader):
    name: ClassVar[str] = "rst"
    summary: ClassVar[str] = "reStructuredText, block by block, titled by its sections"
    extensions: ClassVar[tuple[str, ...]] = (".rst",)
    format: ClassVar[str] = "rst"

    def load(self, path: Path) -> Iterator[Passage]:
        yield from rst_passages(read_text(path).split("\n"))


def rst_passages(lines: list[str]) -> Iterator[Passage]:
    headings = HeadingPath()
    styles: list[tuple[str, bool]] = []  # (character, overlined) in order of appearance
    paragraph = index = 0
    while index < len(lines):
        title = _title_at(lines, index, paragraph)
        block_end = None if title else _block_end(lines, index)
        if title is None and block_end is None:
            index += 1
            continue
        yield from paragraphs(lines[paragraph:index], paragraph + 1, headings.title)
        if title:
            text, style, end = title
            if style not in styles:
                styles.append(style)
            headings.enter(styles.index(style) + 1, text)
            yield Passage(text, None, index + 1, end + 1, headings.title)
        else:
            end = block_end if block_end is not None else index
            yield Passage(
                "\n".join(lines[index : end + 1]), None, index + 1, end + 1, headings.title
            )
        paragraph = index = end + 1
    yield from paragraphs(lines[paragraph:], paragraph + 1, headings.title)


def _title_at(
    lines: list[str], index: int, paragraph: int
) -> tuple[str, tuple[str, bool], int] | None:
    """(text, style, last line) of a section title starting at `index`, if one does."""
    line = lines[index]
    after = lines[index + 1] if index + 1 < len(lines) else ""
    below = lines[index + 2] if index + 2 < len(lines) else ""
    over = ADORNMENT.match(line)
    if over and after.strip() and below.strip() == line.strip():
        return after.strip(), (over.group(1), True), index + 2
    fresh = index == paragraph or not lines[index - 1].strip()
    under = ADORNMENT.match(after)
    if not (fresh and under and line.strip() and not line[0].isspace()):
        return None
    if ADORNMENT.match(line) or not _long_enough(after.strip(), line.strip()):
        return None
    return line.strip(), (under.group(1), False), index + 1


def _long_enough(adornment: str, text: str) -> bool:
    # docutils accepts a short underline with a warning, but "::" alone is a literal marker.
    return len(adornment) >= min(len(text), 3)


def _block_end(lines: list[str], index: int) -> int | None:
    """Last line of a directive, comment or literal block starting at `index`, if one does."""
    line = lines[index]
    if EXPLICIT.match(line):
        base = _indent(line)
    elif line.strip() and _follows_literal_marker(lines, index):
        base = _indent(line) - 1
    else:
        return None
    end = index
    for at in range(index + 1, len(lines)):
        if lines[at].strip() and _indent(lines[at]) <= base:
            break
        if lines[at].strip():
            end = at
    return end


def _follows_literal_marker(lines: list[str], index: int) -> bool:
    """An indented line after a blank line and a paragraph ending with "::"."""
    if index < 2 or lines[index - 1].strip():
        return False
    above = next((line for line in reversed(lines[:index]) if line.strip()), "")
    return above.rstrip().endswith("::") and _indent(lines[index]) > _indent(above)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
