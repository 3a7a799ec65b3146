"""Markdown (CommonMark with GitHub's tables): code fenced with its language, pictures as SVG
files in a folder next to the document (`notes_files/figure-1.svg`)."""

from __future__ import annotations

from typing import ClassVar

from sector_cli.export.model import (
    Block,
    BulletList,
    Code,
    Document,
    Figure,
    Heading,
    Inline,
    Paragraph,
    Table,
    safe_link,
)
from sector_cli.plugins.exporter import Exporter, ExportOptions, Target, Written


class MarkdownExporter(Exporter):
    name: ClassVar[str] = "md"
    summary: ClassVar[str] = "Markdown, with its pictures as SVG files next to it"
    extension: ClassVar[str] = ".md"
    other_extensions: ClassVar[tuple[str, ...]] = (".markdown",)
    media_type: ClassVar[str] = "text/markdown"
    binary: ClassVar[bool] = False

    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        writer = _Writer(target)
        text = writer.document(document)
        target.path.write_text(text, encoding="utf-8")
        return Written(assets=writer.pictures)


class _Writer:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.pictures = 0

    def document(self, document: Document) -> str:
        parts = [f"# {_line(document.title)}", f"*{_escape(document.meta.line())}*"]
        parts += [self.block(note) for note in document.notes]
        for section in document.sections:
            parts.append(f"## {_line(section.heading)}")
            parts += [self.block(block) for block in section.blocks]
        return "\n\n".join(parts) + "\n"

    def block(self, block: Block) -> str:
        if isinstance(block, Paragraph):
            return inline(block.spans)
        if isinstance(block, Heading):
            return f"{'#' * min(max(block.level, 3), 6)} {_line(block.text)}"
        if isinstance(block, BulletList):
            return "\n".join(
                f"{f'{block.start + n}.' if block.ordered else '-'} {inline(item)}"
                for n, item in enumerate(block.items)
            )
        if isinstance(block, Code):
            return fenced(block)
        if isinstance(block, Table):
            return table(block)
        if isinstance(block, Figure):
            return self.figure(block)
        prefix = "**Note:** " if block.tone == "info" else "**Warning:** "
        return "> " + prefix + _escape(block.text).replace("\n", "\n> ")

    def figure(self, figure: Figure) -> str:
        self.pictures += 1
        name = f"figure-{self.pictures}.svg"
        (self.target.assets() / name).write_text(figure.svg, encoding="utf-8")
        link = f"{self.target.assets_link}/{name}".replace(" ", "%20")
        picture = f"![{_escape(figure.description)}]({link})"
        return picture + (f"\n\n*{_escape(figure.caption)}*" if figure.caption else "")


def fenced(code: Code) -> str:
    """A fence longer than any run of backticks inside (output may hold some)."""
    ticks = "`" * max(3, _longest_backticks(code.text) + 1)
    caption = f"\n\n*{_escape(code.caption)}*" if code.caption else ""
    return f"{ticks}{code.language}\n{code.text}\n{ticks}{caption}"


def _longest_backticks(text: str) -> int:
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest


def table(table: Table) -> str:
    header = table.header or tuple("" for _ in (table.rows[0] if table.rows else ()))
    lines = ["| " + " | ".join(_cell(c, False) for c in header) + " |",
             "| " + " | ".join("---" for _ in header) + " |"]  # fmt: skip
    lines += [
        "| " + " | ".join(_cell(c, i in table.monospace) for i, c in enumerate(row)) + " |"
        for row in table.rows
    ]
    caption = f"\n\n*{_escape(table.caption)}*" if table.caption else ""
    return "\n".join(lines) + caption


def _cell(text: str, mono: bool) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    if mono and text:
        ticks = "`" * (_longest_backticks(text) + 1)
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{ticks}{pad}{text}{pad}{ticks}"
    return _escape(text)


def inline(spans: Inline) -> str:
    parts = []
    for span in spans:
        if span.code:
            ticks = "`" * (_longest_backticks(span.text) + 1)
            text = f"{ticks}{span.text}{ticks}"
        else:
            text = _escape(span.text)
        if span.bold:
            text = f"**{text}**"
        if span.italic:
            text = f"*{text}*"
        link = safe_link(span)
        if link and not any(c in link for c in "<>\n"):
            text = f"[{text}](<{link}>)"
        parts.append(text)
    return "".join(parts)


MARKDOWN_SPECIAL = "\\`*_[]<>#|"


def _escape(text: str) -> str:
    """Text that Markdown shows as written (no emphasis, links or HTML made of it)."""
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text)


def _line(text: str) -> str:
    return _escape(" ".join(text.split()))
