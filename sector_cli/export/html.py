"""A document as one standalone HTML page: styles inline, pictures as data URIs, no request
to anywhere. The HTML exporter writes it for screens; the PDF exporter gives WeasyPrint its
print form (pages numbered, a frame per page). Frames step with buttons and arrow keys on
screen, as the visualizations' own pages do."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC
from typing import Literal

from sector_cli.export.highlight import Line, coloured_lines
from sector_cli.export.model import (
    Block,
    BulletList,
    Code,
    Document,
    Figure,
    Heading,
    Inline,
    Note,
    Paragraph,
    Section,
    Table,
    safe_link,
)
from sector_cli.viz.drawing import FONT, esc
from sector_cli.viz.drawing.svg import CONTROLS, SCRIPT

Medium = Literal["screen", "print"]

BASE_STYLE = f"""
body {{ font-family: "DejaVu Sans", system-ui, sans-serif; color: #1f2328; line-height: 1.45;
  margin: 0 auto; max-width: 60rem; padding: 1.5rem; }}
h1 {{ font-size: 1.6rem; margin: 0 0 .2rem; }}
h2 {{ font-size: 1.25rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem;
  margin-top: 1.6rem; }}
h3, h4, h5, h6 {{ font-size: 1.05rem; margin-top: 1.2rem; }}
.meta {{ color: #656d76; margin: 0 0 1rem; }}
code, pre, .mono {{ font-family: "DejaVu Sans Mono", {FONT}; font-size: .86em; }}
p code, li code {{ background: #eff1f3; border-radius: 3px; padding: 0 .2em; }}
pre {{ background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem;
  white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.35; }}
pre .ln {{ color: #8c959f; user-select: none; display: inline-block; min-width: 2.5em; }}
pre .mark {{ background: #fff8c5; display: inline-block; width: 100%; }}
.caption, figcaption {{ color: #656d76; font-size: .9em; margin: .3rem 0 .8rem; }}
table {{ border-collapse: collapse; margin: .6rem 0; font-size: .92em; }}
th, td {{ border: 1px solid #d0d7de; padding: .25rem .55rem; text-align: left;
  vertical-align: top; }}
th {{ background: #f6f8fa; }}
figure {{ margin: .8rem 0; }}
figure img {{ max-width: 100%; height: auto; }}
.note {{ border-left: 4px solid #54aeff; background: #ddf4ff; padding: .4rem .8rem;
  margin: .6rem 0; }}
.note.warning {{ border-color: #d4a72c; background: #fff8c5; }}
nav {{ display: flex; gap: .5rem; align-items: center; margin: 1rem 0; }}
"""
PRINT_STYLE = """
@page { size: A4; margin: 16mm 15mm 18mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages);
    font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #656d76; }
  @top-right { content: string(title); font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt;
    color: #8c959f; } }
@page :first { @top-right { content: none; } }
body { max-width: none; padding: 0; font-size: 10.5pt; }
h1 { string-set: title content(); }
h2, h3, h4 { break-after: avoid; }
figure, tr, .note { break-inside: avoid; }
section.frame + section.frame { break-before: page; }
pre code { font-size: 1em; }  /* a block's code at its 9pt, not .86 of it */
pre { orphans: 3; widows: 3; }
caption { color: #656d76; font-size: .9em; text-align: left; padding-bottom: .2rem; }
/* paper cannot be clicked: a link's address follows it */
a[href]::after { content: " <" attr(href) ">"; color: #656d76; font-size: .85em;
  overflow-wrap: anywhere; }
"""


def render_html(document: Document, medium: Medium = "screen") -> str:
    """The page: title, what it is, the notes, then the sections."""
    stepping = medium == "screen" and document.frames and len(document.sections) > 1
    style = BASE_STYLE + (PRINT_STYLE if medium == "print" else "")
    sections = "\n".join(
        _section(section, index, document.frames, stepping)
        for index, section in enumerate(document.sections)
    )
    controls = CONTROLS.replace("{last}", str(len(document.sections) - 1)) if stepping else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"{_properties(document)}<title>{esc(document.title)}</title>"
        f"<style>{style}</style></head>\n<body>\n"
        f'<header><h1>{esc(document.title)}</h1><p class="meta">{esc(document.meta.line())}'
        f"</p></header>\n{''.join(_note(note) for note in document.notes)}{controls}\n"
        f"<main>{sections}</main>\n{SCRIPT if stepping else ''}</body></html>\n"
    )


def _properties(document: Document) -> str:
    """The page's properties, which WeasyPrint also writes into a PDF's: author, subject
    (the kind), keywords, date."""
    meta = document.meta
    created = meta.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    keywords = ", ".join(["Sector", meta.kind, *([meta.project] if meta.project else [])])
    return "".join(
        f'<meta name="{name}" content="{esc(content)}">'
        for name, content in (
            ("generator", f"Sector {meta.version}"),
            ("author", "Sector"),
            ("description", meta.kind),
            ("keywords", keywords),
            ("dcterms.created", created),
        )
    )


def _section(section: Section, index: int, frames: bool, stepping: bool) -> str:
    attributes = ' class="frame"' if frames else ""
    if stepping:
        attributes += f' data-frame="{index}"{" hidden" if index else ""}'
    body = "\n".join(block_html(block) for block in section.blocks)
    return f"<section{attributes}><h2>{esc(section.heading)}</h2>\n{body}</section>"


def block_html(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{inline_html(block.spans)}</p>"
    if isinstance(block, Heading):
        level = min(max(block.level, 3), 6)
        return f"<h{level}>{esc(block.text)}</h{level}>"
    if isinstance(block, BulletList):
        tag = "ol" if block.ordered else "ul"
        start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
        items = "".join(f"<li>{inline_html(item)}</li>" for item in block.items)
        return f"<{tag}{start}>{items}</{tag}>"
    if isinstance(block, Code):
        return _code(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block)
    return _note(block)


def inline_html(spans: Inline) -> str:
    parts = []
    for span in spans:
        text = esc(span.text)
        if span.code:
            text = f"<code>{text}</code>"
        if span.bold:
            text = f"<strong>{text}</strong>"
        if span.italic:
            text = f"<em>{text}</em>"
        link = safe_link(span)
        if link:
            text = f'<a href="{esc(link)}">{text}</a>'  # followed only when clicked
        parts.append(text)
    return "".join(parts)


def _code(code: Code) -> str:
    width = len(str(code.first_line + len(code.lines()) - 1))
    rows = []
    for offset, line in enumerate(coloured_lines(code)):
        number = code.first_line + offset
        shown = _pieces(line)
        if code.numbered:
            shown = f'<span class="ln">{number:>{width}}</span>{shown}'
        if number in code.marked:
            shown = f'<span class="mark">{shown}</span>'
        rows.append(shown)
    caption = f'<p class="caption">{esc(code.caption)}</p>' if code.caption else ""
    language = f' data-language="{esc(code.language)}"' if code.language else ""
    return f"<pre{language}><code>{chr(10).join(rows)}</code></pre>{caption}"


def _pieces(line: Line) -> str:
    return "".join(
        f'<span style="color:#{p.colour}{";font-weight:bold" if p.bold else ""}'
        f'{";font-style:italic" if p.italic else ""}">{esc(p.text)}</span>'
        for p in line
    )


def _table(table: Table) -> str:
    def cells(row: tuple[str, ...], tag: str) -> Iterator[str]:
        for index, cell in enumerate(row):
            mono = ' class="mono"' if index in table.monospace else ""
            yield f"<{tag}{mono}>{esc(cell)}</{tag}>"

    head = f"<thead><tr>{''.join(cells(table.header, 'th'))}</tr></thead>" if table.header else ""
    body = "".join(f"<tr>{''.join(cells(row, 'td'))}</tr>" for row in table.rows)
    caption = f"<caption>{esc(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}{head}<tbody>{body}</tbody></table>"


def figure_source(figure: Figure) -> str:
    """The picture as a data URI: no file next to the page, and its styles kept to itself."""
    encoded = base64.b64encode(figure.svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _figure(figure: Figure) -> str:
    caption = f"<figcaption>{esc(figure.caption)}</figcaption>" if figure.caption else ""
    return (
        f'<figure><img src="{figure_source(figure)}" width="{figure.width:.0f}" '
        f'height="{figure.height:.0f}" alt="{esc(figure.description)}">{caption}</figure>'
    )


def _note(note: Note) -> str:
    return f'<div class="note {note.tone}">{esc(note.text)}</div>'
