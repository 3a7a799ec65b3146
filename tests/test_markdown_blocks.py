"""Markdown as document blocks (markdown-it-py): what a model writes keeps its structure, and
whatever it writes, nothing of it is lost or interpreted (raw HTML stays text)."""

from __future__ import annotations

import re

from sector_cli.export.markdown_blocks import blocks_of
from sector_cli.export.model import (
    Block,
    BulletList,
    Code,
    Heading,
    Note,
    Paragraph,
    Span,
    Table,
)


def text_of(blocks: list[Block]) -> str:
    """Every word the blocks hold, whatever their kind."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading | Code | Note):
            parts.append(block.text)
        elif isinstance(block, BulletList):
            parts += ["".join(span.text for span in item) for item in block.items]
        elif isinstance(block, Table):
            parts += [" ".join(row) for row in (block.header, *block.rows)]
    return "\n".join(parts)


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


def test_paragraph_spans_keep_bold_italic_code_and_links() -> None:
    (paragraph,) = blocks_of(
        "Use **sorted()** for a *new* list, `list.sort()` [in place](https://docs.python.org)."
    )
    assert isinstance(paragraph, Paragraph)
    styled = {span.text: span for span in paragraph.spans}
    assert styled["sorted()"].bold and not styled["sorted()"].italic
    assert styled["new"].italic
    assert styled["list.sort()"].code
    assert styled["in place"].link == "https://docs.python.org"
    assert paragraph.text == "Use sorted() for a new list, list.sort() in place."


def test_headings_go_under_the_section_and_code_keeps_its_language() -> None:
    blocks = blocks_of(
        "# One\n## Two\n#### Four\n\n```Python\nprint('hi')\n```\n\n    indented = 1\n"
    )
    assert [b for b in blocks if isinstance(b, Heading)] == [
        Heading("One", 3), Heading("Two", 4), Heading("Four", 6),
    ]  # fmt: skip
    codes = [b for b in blocks if isinstance(b, Code)]
    assert codes == [Code("print('hi')", "python"), Code("indented = 1", "")]


def test_lists_ordered_nested_and_interrupted_by_code() -> None:
    blocks = blocks_of(
        "3. first\n4. second:\n\n   ```c\n   int x;\n   ```\n\n5. third\n   - inner *one*\n"
        "   - inner two\n\n- a\n- b\n"
    )
    first, code, rest, bullets = blocks
    assert first == BulletList(((Span("first"),), (Span("second:"),)), ordered=True, start=3)
    assert code == Code("int x;", "c")
    assert isinstance(rest, BulletList) and rest.ordered and rest.start == 5  # numbering goes on
    texts = ["".join(s.text for s in item) for item in rest.items]
    assert texts[0] == "third" and texts[1].endswith("inner one") and texts[2].endswith("inner two")
    assert texts[1].startswith("\u2003")  # nested items are indented
    assert any(s.italic and s.text == "one" for s in rest.items[1])
    assert bullets == BulletList(((Span("a"),), (Span("b"),)))


def test_tables_with_code_columns_and_ragged_rows() -> None:
    (table,) = blocks_of("| name | value |\n|---|---|\n| `x` | 1 |\n| `y` |\n")
    assert isinstance(table, Table)
    assert table.header == ("name", "value")
    assert table.rows == (("x", "1"), ("y", ""))
    assert table.monospace == frozenset({0})


def test_quotes_are_italic_paragraphs_and_alerts_are_notes() -> None:
    quote, alert = blocks_of("> plain **quote**\n\n> [!WARNING]\n> mind the gap\n")
    assert isinstance(quote, Paragraph) and all(span.italic for span in quote.spans)
    assert quote.text == "plain quote"
    assert alert == Note("mind the gap", "warning")


def test_raw_html_is_kept_as_text_not_markup() -> None:
    blocks = blocks_of('<script>alert("x")</script>\n\nInline <b>bold</b> tag.\n')
    assert "<script>" in text_of(blocks) and "<b>bold</b>" in text_of(blocks)
    assert all(isinstance(b, Paragraph) for b in blocks)


def test_an_unclosed_fence_runs_to_the_end() -> None:
    blocks = blocks_of("Here:\n\n```python\ndef f():\n    return 1\n")
    assert blocks[-1] == Code("def f():\n    return 1", "python")


def test_nesting_deeper_than_the_parser_follows_is_kept_as_text() -> None:
    deep = ">" * 200 + " the deepest words\n\nafter"
    blocks = blocks_of(deep)
    assert "the deepest words" in text_of(blocks) and blocks[-1] == Paragraph.of("after")
    listed = blocks_of("- " * 150 + "listed deep\n\nafter")
    assert "listed deep" in text_of(listed)


def test_huge_lines_and_odd_input_lose_no_words() -> None:
    huge = "word " * 200_000
    (paragraph,) = blocks_of(huge)
    assert isinstance(paragraph, Paragraph) and len(words(paragraph.text)) == 200_000
    odd = (
        "*unclosed emphasis and **bold\n\n[link](\n\n| not | a table\n\n"
        "![a picture](http://example.com/x.png)\n\n\x00\x1b[31m\ufffd text\n\n---\n\n"
        "***\n\n1) paren list\n\n<!-- a comment -->\n"
    )
    kept = text_of(blocks_of(odd))
    for word in ("unclosed", "emphasis", "bold", "link", "not", "table", "a picture",
                 "text", "paren", "list", "a comment"):  # fmt: skip
        assert word in kept, word


def test_pictures_are_not_fetched_but_named() -> None:
    (paragraph,) = blocks_of("See ![the diagram](https://example.com/d.png).")
    assert isinstance(paragraph, Paragraph)
    picture = next(span for span in paragraph.spans if span.link)
    assert picture == Span("[the diagram]", link="https://example.com/d.png")


def test_empty_and_blank() -> None:
    assert blocks_of("") == [] and blocks_of("\n\n   \n") == []
