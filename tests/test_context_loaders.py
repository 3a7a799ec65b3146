"""Document loaders on real files made here: PDFs from fpdf2 (and pypdf for encryption), DOCX
from python-docx, EPUBs and zip bombs from zipfile, text in several encodings, and source code
parsed by the real tree-sitter grammars."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from sector_cli.plugins.loader import Loader, Passage, UnreadableDocument
from sector_cli.plugins.loaders import common
from sector_cli.plugins.loaders.code import CodeLoader
from sector_cli.plugins.loaders.docx import DocxLoader
from sector_cli.plugins.loaders.epub import EpubLoader
from sector_cli.plugins.loaders.html import HtmlLoader, html_passages
from sector_cli.plugins.loaders.markdown import MarkdownLoader
from sector_cli.plugins.loaders.pdf import PdfLoader
from sector_cli.plugins.loaders.rst import RstLoader
from sector_cli.plugins.loaders.text import TextLoader
from sector_cli.plugins.registry import load_registry

LOADERS = {"text", "markdown", "rst", "html", "pdf", "docx", "epub", "code"}
MB = 1024 * 1024


def load(loader: Loader, path: Path) -> list[Passage]:
    return list(loader.load(path))


def refused(loader: Loader, path: Path) -> UnreadableDocument:
    """The UnreadableDocument a loader raises; its message and hint fit on one line."""
    with pytest.raises(UnreadableDocument) as caught:
        load(loader, path)
    error = caught.value
    assert "\n" not in error.one_line() and error.message and error.hint
    return error


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def source_lines(path: Path, passage: Passage) -> str:
    """The source lines a passage claims to come from."""
    assert passage.line_start is not None and passage.line_end is not None
    lines = path.read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[passage.line_start - 1 : passage.line_end])


def titled(passages: Iterable[Passage]) -> dict[str | None, list[Passage]]:
    found: dict[str | None, list[Passage]] = {}
    for passage in passages:
        found.setdefault(passage.title, []).append(passage)
    return found


# Registration and import cost


def test_every_loader_is_registered_through_entry_points() -> None:
    loaders = load_registry().of_kind("loaders")
    assert {info.name for info in loaders} >= LOADERS
    builtin = [info for info in loaders if info.name in LOADERS]
    assert all(info.builtin for info in builtin)
    classes = [info.plugin_class for info in builtin]
    extensions = [e for cls in classes if issubclass(cls, Loader) for e in cls.extensions]
    assert len(extensions) == len(set(extensions)), "two loaders claim one extension"
    assert {".pdf", ".md", ".rst", ".html", ".docx", ".epub", ".txt", ".py", ".rs"} <= set(
        extensions
    )


def test_loader_modules_import_no_parsing_library() -> None:
    names = sorted(LOADERS | {"common", "grammars"})
    modules = ", ".join(f"sector_cli.plugins.loaders.{name}" for name in names)
    code = f"import sys, {modules}; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert not loaded & {"pypdf", "docx", "tree_sitter", "tree_sitter_python", "lxml"}


# Plain text and encodings


def test_text_paragraphs_keep_their_line_ranges(tmp_path: Path) -> None:
    path = write(
        tmp_path / "notes.txt",
        """
        First paragraph,
        on two lines.


        Second one.
        """,
    )
    passages = load(TextLoader(), path)
    assert [(p.line_start, p.line_end) for p in passages] == [(1, 2), (5, 5)]
    assert all(p.text == source_lines(path, p) for p in passages)


def test_utf8_bom_utf16_and_crlf_are_read(tmp_path: Path) -> None:
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffcafé au lait\r\n\r\nsecond".encode())
    assert [(p.text, p.line_start) for p in load(TextLoader(), bom)] == [
        ("café au lait", 1),
        ("second", 3),
    ]
    wide = tmp_path / "wide.txt"
    wide.write_text("naïve\n\n日本語\n", encoding="utf-16")
    assert [p.text for p in load(TextLoader(), wide)] == ["naïve", "日本語"]


def test_latin1_text_is_refused_naming_the_offset_and_iconv(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("plain start, then café".encode("latin-1"))
    error = refused(TextLoader(), path)
    assert "not UTF-8" in error.message and "offset 21, line 1" in error.message
    assert "iconv -t UTF-8" in error.one_line()


def test_binary_junk_named_txt_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(os.urandom(4096) + b"\x00")
    assert "binary data, not text" in refused(TextLoader(), junk).message
    controls = tmp_path / "controls.txt"  # no NUL, but mostly control characters
    controls.write_bytes(bytes(range(1, 9)) * 200)
    assert "binary data" in refused(TextLoader(), controls).message


def test_unreadable_files_give_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"  # works as root too, unlike chmod 000
    folder.mkdir()
    assert "cannot be read" in refused(TextLoader(), folder).message
    assert "cannot be read" in refused(CodeLoader(), tmp_path / "gone.py").message


def test_file_without_read_permission(tmp_path: Path, monkeypatch) -> None:
    """What the OS says to an ordinary user (root reads files whatever their mode)."""
    path = write(tmp_path / "secret.md", "# Secret\n")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    message = refused(MarkdownLoader(), path).one_line()
    assert "Permission denied" in message and "\n" not in message


# Markdown, reStructuredText, HTML


MARKDOWN = """
---
title: Front matter is skipped
---
# Intro

Closures are functions.

## Closures

A closure keeps its cells.
Second line of it.

```python
def outer():

    return 1
```

Setext title
------------

- item one
- item two

# Next
"""


def test_markdown_titles_fences_and_line_ranges(tmp_path: Path) -> None:
    path = write(tmp_path / "guide.md", MARKDOWN)
    passages = load(MarkdownLoader(), path)
    assert "Front matter" not in " ".join(p.text for p in passages)
    by_text = {p.text: p for p in passages}
    cells = by_text["A closure keeps its cells.\nSecond line of it."]
    assert (cells.title, cells.line_start, cells.line_end) == ("Intro > Closures", 10, 11)
    fence = next(p for p in passages if p.text.startswith("```"))
    assert (fence.line_start, fence.line_end, fence.title) == (13, 17, "Intro > Closures")
    assert "\n\n    return 1" in fence.text  # one passage, blank line and all
    items = by_text["- item one\n- item two"]
    assert items.title == "Intro > Setext title" and items.line_start == 22
    assert by_text["Next"].title == "Next"
    for passage in passages:
        if passage.text not in {"Intro", "Closures", "Setext title", "Next"}:
            assert passage.text == source_lines(path, passage)


RST = """
=========
 Manual
=========

Preface text.

Install
-------

Run this::

    pip install sector

    sector --help

Upgrade
~~~~~~~

.. code-block:: python

   import sector

   sector.main()

Usage
-----

Last words.
"""


def test_rst_sections_levels_and_literal_blocks(tmp_path: Path) -> None:
    path = write(tmp_path / "manual.rst", RST)
    passages = titled(load(RstLoader(), path))
    preface = passages["Manual"][-1]
    assert (preface.text, preface.line_start) == ("Preface text.", 5)
    install = passages["Manual > Install"]
    literal = next(p for p in install if "pip install" in p.text)
    assert (literal.line_start, literal.line_end) == (12, 14)
    directive = next(p for p in passages["Manual > Install > Upgrade"] if "code-block" in p.text)
    assert (directive.line_start, directive.line_end) == (19, 23)
    assert directive.text == source_lines(path, directive)
    assert passages["Manual > Usage"][-1].text == "Last words."


SPHINX_PAGE = """
<!DOCTYPE html>
<html>
<head><title>Closures</title><script>var tracking = 1;</script>
<style>p { color: red }</style></head>
<body>
<div class="related" role="navigation"><a href="index.html">previous page</a></div>
<div class="body">
<h1>Closures<a class="headerlink" href="#c">¶</a></h1>
<p>A closure &amp; its <em>free</em>
   variables &lt;cells&gt; &#8212; kept.</p>
<h2>Cells</h2>
<pre>def outer():
    x = 1
    return x</pre>
<ul><li>first item</li><li>second item</li></ul>
<table><tr><td>cell text</td></tr></table>
</div>
<div class="sphinxsidebar"><div><p>Search the sidebar</p></div></div>
<div class="footer">&copy; Copyright footer</div><button>Toggle theme</button>
<noscript>enable javascript</noscript>
</body>
</html>
"""


def test_html_blocks_titles_and_lines_without_chrome(tmp_path: Path) -> None:
    path = write(tmp_path / "closures.html", SPHINX_PAGE)
    passages = load(HtmlLoader(), path)
    everything = " ".join(p.text for p in passages)
    dropped = (
        "tracking",
        "color",
        "previous page",
        "sidebar",
        "footer",
        "javascript",
        "¶",
        "Toggle",
    )
    for chrome in dropped:
        assert chrome not in everything
    by_text = {p.text: p for p in passages}
    assert by_text["Closures"].title == "Closures"
    para = by_text["A closure & its free variables <cells> — kept."]
    assert (para.title, para.line_start, para.line_end) == ("Closures", 9, 10)
    pre = by_text["def outer():\n    x = 1\n    return x"]
    assert (pre.title, pre.line_start, pre.line_end) == ("Closures > Cells", 12, 14)
    assert by_text["second item"].title == "Closures > Cells"
    assert by_text["cell text"].line_start == 16


def test_html_passages_take_a_page_and_can_drop_lines() -> None:
    passages = html_passages("<h1>T</h1>\n<p>x</p>", page=3, lines=False)
    assert [(p.text, p.page, p.line_start, p.title) for p in passages] == [
        ("T", 3, None, "T"),
        ("x", 3, None, "T"),
    ]


# PDF


def make_pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
    pdf.output(str(path))
    return path


def test_pdf_text_lands_on_its_page_and_empty_pages_are_skipped(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "book.pdf", ["Alpha on page one.", "", "Gamma on page three."])
    passages = load(PdfLoader(), path)
    assert [(p.page, p.text) for p in passages] == [
        (1, "Alpha on page one."),
        (3, "Gamma on page three."),
    ]


def test_encrypted_pdf_is_refused_unless_the_password_is_empty(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", ["Secret words."])
    locked, open_ = tmp_path / "locked.pdf", tmp_path / "open.pdf"
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="secret", owner_password="owner")
    writer.write(locked)
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    writer.write(open_)
    error = refused(PdfLoader(), locked)
    assert error.message == "locked.pdf is encrypted" and "qpdf --decrypt" in error.one_line()
    assert [p.text for p in load(PdfLoader(), open_)] == ["Secret words."]


def test_truncated_and_random_pdfs_are_refused_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    data = make_pdf(tmp_path / "whole.pdf", ["Some text."]).read_bytes()
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(data[: len(data) // 2])
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(os.urandom(3000))
    for path in (truncated, noise):
        assert "is not a readable PDF" in refused(PdfLoader(), path).message
    assert capfd.readouterr().err == ""  # pypdf's repair warnings stay off the terminal


# DOCX and EPUB, zip bombs


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("User Guide", 0)
    document.add_paragraph("Opening words.")
    document.add_heading("Install", 1)
    document.add_paragraph("Run the installer.")
    document.add_heading("Options", 2)
    table = document.add_table(rows=2, cols=2)
    for row, (key, value) in enumerate([("Name", "Meaning"), ("--quiet", "less output")]):
        table.cell(row, 0).text, table.cell(row, 1).text = key, value
    document.add_heading("Usage", 1)
    document.add_paragraph("Call it.")
    document.save(str(path))
    return path


def test_docx_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    passages = load(DocxLoader(), make_docx(tmp_path / "guide.docx"))
    found = [(p.text, p.title, p.line_start, p.line_end) for p in passages]
    assert found == [
        ("User Guide", "User Guide", 1, 1),
        ("Opening words.", "User Guide", 2, 2),
        ("Install", "User Guide > Install", 3, 3),
        ("Run the installer.", "User Guide > Install", 4, 4),
        ("Options", "User Guide > Install > Options", 5, 5),
        ("Name | Meaning", "User Guide > Install > Options", 6, 7),  # one paragraph per cell
        ("--quiet | less output", "User Guide > Install > Options", 8, 9),
        ("Usage", "User Guide > Usage", 10, 10),
        ("Call it.", "User Guide > Usage", 11, 11),
    ]


def add_entry(path: Path, name: str, size: int) -> Path:
    """Append an entry of `size` zero bytes: it deflates about a thousand times."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, bytes(size))
    return path


def test_docx_zip_bombs_are_refused_before_inflating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = add_entry(make_docx(tmp_path / "bomb.docx"), "word/media/zeros.bin", 20 * MB)
    monkeypatch.setattr(common, "MAX_RATIO", 10_000.0)  # only the total limit this time
    monkeypatch.setattr(common, "MAX_INFLATED", 10 * MB)
    error = refused(DocxLoader(), bomb)
    assert "over the 10.0 MB limit" in error.message and "zip bomb" in error.one_line()
    monkeypatch.undo()
    ratio = add_entry(make_docx(tmp_path / "ratio.docx"), "word/media/zeros.bin", 5 * MB)
    assert "over the 200:1 limit" in refused(DocxLoader(), ratio).message


def test_corrupt_docx_is_refused(tmp_path: Path) -> None:
    noise = tmp_path / "noise.docx"
    noise.write_bytes(os.urandom(2000))
    assert "not a valid zip file" in refused(DocxLoader(), noise).message
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "not a document")
    assert "not a readable DOCX" in refused(DocxLoader(), other).message


CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf"
    media-type="application/oebps-package+xml"/></rootfiles>
</container>"""
OPF = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Book</dc:title></metadata>
  <manifest>
    <item id="two" href="text/chapter%202.xhtml" media-type="application/xhtml+xml"/>
    <item id="one" href="text/one.xhtml" media-type="application/xhtml+xml"/>
    <item id="css" href="style.css" media-type="text/css"/>
  </manifest>
  <spine><itemref idref="one"/><itemref idref="two"/></spine>
</package>"""
ENCRYPTION = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
  xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
  <enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData>
</enc:EncryptedData></encryption>"""
CHAPTER = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>ignored</title></head>
<body><h1>{title}</h1><p>{text}</p>{more}</body></html>"""


def make_epub(path: Path, *, container: str = CONTAINER, opf: str = OPF) -> Path:
    chapters = {
        "OEBPS/text/one.xhtml": CHAPTER.format(title="Beginnings", text="First words.", more=""),
        "OEBPS/text/chapter 2.xhtml": CHAPTER.format(
            title="Middle", text="Second words.", more="<h2>Turn</h2><p>A twist.</p>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/style.css", "p { margin: 0 }")
        for name, text in chapters.items():
            archive.writestr(name, text)
    return path


def test_epub_chapters_in_spine_order(tmp_path: Path) -> None:
    passages = load(EpubLoader(), make_epub(tmp_path / "book.epub"))
    found = [(p.page, p.title, p.text) for p in passages]
    assert found == [
        (1, "Beginnings", "Beginnings"),
        (1, "Beginnings", "First words."),
        (2, "Middle", "Middle"),
        (2, "Middle", "Second words."),
        (2, "Middle > Turn", "Turn"),
        (2, "Middle > Turn", "A twist."),
    ]
    assert all(p.line_start is None for p in passages)


def test_broken_epubs_are_refused(tmp_path: Path) -> None:
    no_container = tmp_path / "bare.epub"
    with zipfile.ZipFile(no_container, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
    assert "META-INF/container.xml is missing" in refused(EpubLoader(), no_container).message
    bad_opf = make_epub(tmp_path / "bad.epub", opf="<package><manifest>")
    assert "not well-formed XML" in refused(EpubLoader(), bad_opf).message
    missing = make_epub(tmp_path / "missing.epub", opf=OPF.replace('idref="two"', 'idref="x"'))
    assert "'x' is not in the manifest" in refused(EpubLoader(), missing).message


def test_drm_protected_epub_is_refused(tmp_path: Path) -> None:
    locked = make_epub(tmp_path / "locked.epub")
    fonts_only = make_epub(tmp_path / "fonts.epub")
    for path, member in ((locked, "OEBPS/text/one.xhtml"), (fonts_only, "OEBPS/font.otf")):
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("META-INF/encryption.xml", ENCRYPTION.format(uri=member))
    assert refused(EpubLoader(), locked).message == "locked.epub is DRM-protected"
    assert len(load(EpubLoader(), fonts_only)) == 6  # an obfuscated font is no DRM


def test_epub_zip_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = add_entry(make_epub(tmp_path / "bomb.epub"), "OEBPS/zeros.bin", 20 * MB)
    with pytest.raises(UnreadableDocument, match=r"over the 10\.0 MB limit"):
        common.open_zip_checked(bomb, max_inflated=10 * MB, max_ratio=10_000)
    monkeypatch.setattr(common, "MAX_INFLATED", 10 * MB)
    assert "would inflate to 20.0 MB" in refused(EpubLoader(), bomb).message
    ratio = add_entry(make_epub(tmp_path / "ratio.epub"), "OEBPS/zeros.bin", 5 * MB)
    assert "compressed" in refused(EpubLoader(), ratio).message
    with common.open_zip_checked(ratio, max_ratio=2_000) as archive:  # a looser limit opens it
        assert "OEBPS/zeros.bin" in archive.namelist()


# Source code


def code_passages(tmp_path: Path, name: str, source: str) -> tuple[Path, list[Passage]]:
    path = write(tmp_path / name, source)
    passages = load(CodeLoader(), path)
    lines = path.read_text(encoding="utf-8").split("\n")
    covered = [n for p in passages for n in range(p.line_start or 0, (p.line_end or 0) + 1)]
    assert len(covered) == len(set(covered)), "a line is in two passages"
    blank = {n for n, line in enumerate(lines, start=1) if not line.strip()}
    assert set(covered) | blank == set(range(1, len(lines) + 1)), "a line was lost"
    assert all(p.text == source_lines(path, p) for p in passages)
    return path, passages


def spans(passages: list[Passage]) -> dict[str, tuple[int | None, int | None]]:
    return {p.title: (p.line_start, p.line_end) for p in passages if p.unit and p.title}


def test_python_definitions_with_comments_and_decorators(tmp_path: Path) -> None:
    path, passages = code_passages(
        tmp_path,
        "stack.py",
        '''
        """A stack."""
        import os

        LIMIT = 10


        # Push onto the stack.
        def push(items, x):
            items.append(x)


        @dataclass
        class Stack:
            """Holds items."""

            items: list


        print(push([], 1))
        ''',
    )
    assert spans(passages) == {"def push": (7, 9), "class Stack": (12, 16)}
    loose = [p for p in passages if not p.unit]
    assert [(p.line_start, p.line_end) for p in loose] == [(1, 2), (4, 4), (19, 19)]
    assert CodeLoader().format_of(path) == "python"


def test_a_large_class_is_split_into_its_methods(tmp_path: Path) -> None:
    filler = "\n".join(f"        total += {n}" for n in range(45))
    source = f"class Stack:\n    size = 0\n\n    def push(self):\n{filler}\n\n"
    source += f"    @property\n    def top(self):\n{filler}\n        return total\n"
    _, passages = code_passages(tmp_path, "big.py", source)
    assert spans(passages) == {
        "class Stack > def push": (4, 49),
        "class Stack > def top": (51, 98),
    }
    header = passages[0]
    assert (header.title, header.unit, header.text) == (
        "class Stack",
        False,
        "class Stack:\n    size = 0",
    )


def test_python_with_a_syntax_error_still_loads(tmp_path: Path) -> None:
    _, passages = code_passages(
        tmp_path, "broken.py", "def broken(:\n    return\n\n\ndef fine():\n    return 1\n"
    )
    assert passages and "def fine():" in "\n".join(p.text for p in passages)


def test_latin1_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.py"
    path.write_bytes("# caf\xe9\nx = 1\n".encode("latin-1"))
    assert "iconv" in refused(CodeLoader(), path).one_line()


CODE_CASES = [
    (
        "stack.js",
        "javascript",
        """
        import { x } from "./x.js";

        // Pushes.
        export function push(items, v) {
          items.push(v);
        }

        export class Stack {
          pop() { return 1; }
        }

        const peek = (items) => items[items.length - 1];
        console.log(peek([1]));
        """,
        {"function push": (3, 6), "class Stack": (8, 10), "function peek": (12, 12)},
    ),
    (
        "stack.ts",
        "typescript",
        """
        interface Shape {
          area(): number;
        }

        type Id = string;

        export class Square implements Shape {
          area(): number { return 1; }
        }
        """,
        {"interface Shape": (1, 3), "type Id": (5, 5), "class Square": (7, 9)},
    ),
    (
        "stack.c",
        "c",
        """
        #include <stdlib.h>

        /* A stack of ints. */
        struct stack {
            int *items;
        };

        static int *top(struct stack *s)
        {
            return s->items;
        }
        """,
        {"struct stack": (3, 6), "function top": (8, 11)},
    ),
    (
        "stack.cpp",
        "cpp",
        """
        #include <vector>

        namespace ds {
        template <typename T>
        class Stack {
          std::vector<T> items;
        };
        }

        int main() {
          return 0;
        }
        """,
        {"namespace ds": (3, 8), "function main": (10, 12)},
    ),
    (
        "stack.rs",
        "rust",
        """
        use std::fmt;

        /// A stack.
        #[derive(Debug)]
        pub struct Stack {
            items: Vec<i32>,
        }

        impl Stack {
            fn push(&mut self, x: i32) {
                self.items.push(x);
            }
        }
        """,
        {"struct Stack": (3, 7), "impl Stack": (9, 13)},
    ),
    (
        "stack.go",
        "go",
        """
        package stack

        // Stack holds ints.
        type Stack struct {
            items []int
        }

        func (s *Stack) Push(x int) {
            s.items = append(s.items, x)
        }
        """,
        {"type Stack": (3, 6), "func (s *Stack) Push": (8, 10)},
    ),
    (
        "Stack.java",
        "java",
        """
        package ds;

        /** A stack. */
        public class Stack {
            private int size;

            public void push(int x) {
                size++;
            }
        }
        """,
        {"class Stack": (3, 10)},
    ),
]


@pytest.mark.parametrize(
    ("name", "language", "source", "expected"), CODE_CASES, ids=[c[1] for c in CODE_CASES]
)
def test_definitions_per_language(
    tmp_path: Path,
    name: str,
    language: str,
    source: str,
    expected: dict[str, tuple[int, int]],
) -> None:
    path, passages = code_passages(tmp_path, name, source)
    assert spans(passages) == expected
    assert CodeLoader().format_of(path) == language


def test_large_rust_impl_and_java_class_split_into_members(tmp_path: Path) -> None:
    body = "\n".join(f"        let _v{n} = {n};" for n in range(85))
    rust = f"impl Stack {{\n    fn push(&mut self) {{\n{body}\n    }}\n\n    fn pop() {{}}\n}}\n"
    _, passages = code_passages(tmp_path, "big.rs", rust)
    assert spans(passages) == {"impl Stack > fn push": (2, 88), "impl Stack > fn pop": (90, 90)}
    java_body = "\n".join(f"        int v{n} = {n};" for n in range(85))
    java = f"class Big {{\n    int size;\n\n    void grow() {{\n{java_body}\n    }}\n}}\n"
    _, passages = code_passages(tmp_path, "Big.java", java)
    assert spans(passages) == {"class Big > method grow": (4, 90)}
    assert [p.line_start for p in passages if p.title == "class Big"] == [1, 91]


def test_every_code_extension_has_a_language() -> None:
    loader = CodeLoader()
    formats = {loader.format_of(Path(f"x{ext}")) for ext in loader.extensions}
    assert formats == {
        "python",
        "javascript",
        "typescript",
        "tsx",
        "c",
        "cpp",
        "rust",
        "go",
        "java",
        "bash",
    }
    assert loader.availability().ok
