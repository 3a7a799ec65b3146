"""Markdown (an answer, a note) as the document model's blocks, with markdown-it-py.

Model output is arbitrary, so nothing in it is lost: headings, paragraphs with bold, italic,
code and links, lists, fenced code with its language, tables and block quotes become their
blocks; raw HTML and whatever else is kept as plain text (never interpreted), and a part
nested deeper than the parser follows is kept as its source text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from sector_cli.export.model import (
    Block,
    BulletList,
    Code,
    Heading,
    Inline,
    Note,
    Paragraph,
    Span,
    Table,
)

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# Deeper than this (quotes in quotes in lists...) markdown-it drops the content: such a part
# is kept as its source text instead.
MAX_NESTING = 60
# GitHub's alerts: a quote that starts `[!WARNING]` is a note with that tone.
ALERTS = {"[!NOTE]": "info", "[!TIP]": "info", "[!IMPORTANT]": "info",
          "[!WARNING]": "warning", "[!CAUTION]": "warning"}  # fmt: skip
NESTED = "\u2003"  # an em space: indents a nested item in every format (HTML keeps it)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # "commonmark" leaves raw HTML as html tokens, which are kept as text below.
    return MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable(["table", "strikethrough"])


def blocks_of(markdown: str) -> list[Block]:
    """The blocks of `markdown`; its headings become levels 3 to 6 (inside a section)."""
    lines = markdown.split("\n")
    try:
        tokens = _parser().parse(markdown)
    except RecursionError:  # nested past Python's own limit: the text as it is
        return _as_text(lines)
    return _top_level(tokens, lines)


def _top_level(tokens: Sequence[Token], lines: list[str]) -> list[Block]:
    """Each top-level group of tokens as blocks, or as its source lines if it was cut."""
    blocks: list[Block] = []
    index = 0
    while index < len(tokens):
        end = _close(tokens, index)
        group = tokens[index : end + 1]
        where = tokens[index].map
        if where and _too_deep(group):
            blocks.extend(_as_text(lines[where[0] : where[1]]))
        else:
            blocks.extend(_blocks(group))
        index = end + 1
    return blocks


def _too_deep(group: Sequence[Token]) -> bool:
    return any(t.level + max(t.nesting, 0) >= MAX_NESTING - 1 for t in group)


def _as_text(lines: list[str]) -> list[Block]:
    """Source lines as paragraphs, split at blank lines."""
    text = "\n".join(lines).strip("\n")
    return [Paragraph.of(part.strip("\n")) for part in text.split("\n\n") if part.strip()]


def _close(tokens: Sequence[Token], index: int) -> int:
    """The index of the token that closes the one at `index` (itself when it opens nothing)."""
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth <= 0:
            return position
    return len(tokens) - 1


def _blocks(tokens: Sequence[Token]) -> list[Block]:
    """The blocks of a run of sibling token groups."""
    blocks: list[Block] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = _close(tokens, index)
        inner = tokens[index + 1 : end]
        blocks.extend(_block(token, inner))
        index = end + 1
    return blocks


def _block(token: Token, inner: Sequence[Token]) -> list[Block]:
    kind = token.type
    if kind == "heading_open":
        level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
        return [Heading(_plain(inner), min(level + 2, 6))]
    if kind == "paragraph_open":
        return [Paragraph(_inline_of(inner))]
    if kind in ("fence", "code_block"):
        return [_code(token)]
    if kind in ("bullet_list_open", "ordered_list_open"):
        return _list(token, inner)
    if kind == "table_open":
        return [_table(inner)]
    if kind == "blockquote_open":
        return _quote(_blocks(inner))
    if kind == "hr":
        return []
    # html_block, inline, and whatever a later markdown-it adds: its text, as text.
    text = token.content.strip("\n") or _plain(inner)
    return [Paragraph.of(text)] if text.strip() else []


def _code(token: Token) -> Code:
    info = token.info.strip().split()
    language = info[0].strip("{}.").lower() if info else ""
    return Code(token.content.removesuffix("\n"), language)


# inline


def _inline_of(tokens: Sequence[Token]) -> Inline:
    """The spans of the inline tokens among `tokens`."""
    spans: list[Span] = []
    for token in tokens:
        if token.type == "inline":
            spans.extend(_spans(token.children or []))
    return _merged(spans)


def _spans(children: Sequence[Token]) -> list[Span]:
    bold = italic = 0
    links: list[str | None] = []
    spans: list[Span] = []

    def add(text: str, code: bool = False) -> None:
        link = links[-1] if links else None
        spans.append(Span(text, bold > 0, italic > 0, code, link))

    for child in children:
        kind = child.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            href = child.attrs.get("href")
            links.append(str(href) if href is not None else None)
        elif kind == "link_close":
            links.pop() if links else None
        elif kind == "code_inline":
            add(child.content, code=True)
        elif kind == "softbreak":
            add(" ")
        elif kind == "hardbreak":
            add("\n")
        elif kind == "image":
            # A picture is not fetched (an export stays offline): its words and address.
            source = child.attrs.get("src")
            alt = child.content or "image"
            spans.append(Span(f"[{alt}]", link=str(source) if source else None))
        elif child.content:  # text, html_inline (as text), s_open's none
            add(child.content)
    return spans


def _merged(spans: list[Span]) -> Inline:
    """Neighbouring spans of one style as one."""
    merged: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        last = merged[-1] if merged else None
        if last is not None and (last.bold, last.italic, last.code, last.link) == (
            span.bold, span.italic, span.code, span.link,
        ):  # fmt: skip
            merged[-1] = Span(last.text + span.text, span.bold, span.italic, span.code, span.link)
        else:
            merged.append(span)
    return tuple(merged)


def _plain(tokens: Sequence[Token]) -> str:
    return "".join(span.text for span in _inline_of(tokens))


# lists


def _list(token: Token, inner: Sequence[Token]) -> list[Block]:
    """A list as BulletList blocks; a code block or a table in an item ends the list there,
    comes next, and the list goes on after it (its numbers too)."""
    ordered = token.type == "ordered_list_open"
    start = int(token.attrs.get("start", 1) or 1) if ordered else 1
    out: list[Block] = []
    items: list[Inline] = []

    def flush() -> None:
        nonlocal start
        if items:
            out.append(BulletList(tuple(items), ordered, start))
            start += len(items)
            items.clear()

    for item, depth in _items(inner, ordered, start, 0):
        if isinstance(item, tuple):
            items.append(item)
        else:
            flush()
            if depth and isinstance(item, Paragraph):  # a nested item cut loose from its list
                item = Paragraph((Span(NESTED * depth), *item.spans))
            out.append(item)
    flush()
    return out


def _items(
    tokens: Sequence[Token], ordered: bool, start: int, depth: int
) -> list[tuple[Inline | Block, int]]:
    """Each item's text (and the blocks inside it that a list item cannot hold), with its
    depth; nested items are indented and marked as their list marks them."""
    found: list[tuple[Inline | Block, int]] = []
    number = start
    index = 0
    while index < len(tokens):
        end = _close(tokens, index)
        if tokens[index].type == "list_item_open":
            found.extend(_item(tokens[index + 1 : end], ordered, number, depth))
            number += 1
        index = end + 1
    return found


def _item(
    tokens: Sequence[Token], ordered: bool, number: int, depth: int
) -> list[tuple[Inline | Block, int]]:
    marker = (f"{number}. " if ordered else "\u25e6 ") if depth else ""
    lead = (Span(NESTED * depth + marker),) if depth else ()
    text: list[Span] = []
    after: list[tuple[Inline | Block, int]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = _close(tokens, index)
        inner = tokens[index + 1 : end]
        if token.type in ("bullet_list_open", "ordered_list_open"):
            nested_ordered = token.type == "ordered_list_open"
            first = int(token.attrs.get("start", 1) or 1) if nested_ordered else 1
            after.extend(_items(inner, nested_ordered, first, depth + 1))
        elif token.type == "paragraph_open" and not after:
            text.extend([Span(" ")] if text else [])
            text.extend(_inline_of(inner))
        else:
            after.extend((block, depth) for block in _block(token, inner))
        index = end + 1
    line = _merged([*lead, *text]) if text or lead else ()
    return [(line, depth), *after] if line else after


# tables and quotes


def _table(tokens: Sequence[Token]) -> Table:
    rows: list[tuple[str, ...]] = []
    code_only: list[list[bool]] = []
    row: list[str] = []
    row_code: list[bool] = []
    for index, token in enumerate(tokens):
        if token.type == "tr_open":
            row, row_code = [], []
        elif token.type in ("th_open", "td_open"):
            spans = _inline_of(tokens[index + 1 : index + 2])
            row.append("".join(s.text for s in spans))
            row_code.append(bool(spans) and all(s.code for s in spans))
        elif token.type == "tr_close":
            rows.append(tuple(row))
            code_only.append(row_code)
    header, body = (rows[0], rows[1:]) if rows else ((), [])
    width = max([len(header), *(len(r) for r in body)])
    padded = [tuple(r) + ("",) * (width - len(r)) for r in body]
    monospace = frozenset(
        column
        for column in range(width)
        if body and all(len(c) > column and c[column] for c in code_only[1:])
    )
    return Table(tuple(header) + ("",) * (width - len(header)), tuple(padded), monospace=monospace)


def _quote(blocks: list[Block]) -> list[Block]:
    """A block quote: an alert (`> [!WARNING] ...`) is a note; else its paragraphs in
    italics, its other blocks as they are."""
    first = blocks[0] if blocks else None
    if isinstance(first, Paragraph):
        marker = first.text.split(maxsplit=1)[0] if first.text.strip() else ""
        tone = ALERTS.get(marker.upper())
        if tone is not None:
            rest = [first.text.removeprefix(marker).strip()]
            rest += [_text_of(b) for b in blocks[1:]]
            return [Note("\n".join(part for part in rest if part), tone)]  # type: ignore[arg-type]
    return [
        Paragraph(tuple(Span(s.text, s.bold, True, s.code, s.link) for s in b.spans))
        if isinstance(b, Paragraph)
        else b
        for b in blocks
    ]


def _text_of(block: Block) -> str:
    if isinstance(block, Paragraph | Code | Note | Heading):
        return block.text
    if isinstance(block, BulletList):
        return "\n".join("".join(s.text for s in item) for item in block.items)
    if isinstance(block, Table):
        return "\n".join(" | ".join(row) for row in (block.header, *block.rows))
    return ""
