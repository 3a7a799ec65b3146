"""Drawing compiler phases: rich panels for the terminal, four columns in an SVG, and an HTML
page where clicking a line or an item lights up what starts on the same line in every phase.

Each phase becomes a `Column` of `Row`s, and every row carries the source lines it comes from:
that is all the linking the drawings need.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sector_cli.viz.drawing import FONT, PAGE_STYLE, Svg, esc, text_width, write_output, write_page
from sector_cli.viz.phases.model import (
    CodeObject,
    NativePhases,
    Phases,
    PythonPhases,
    Selection,
    SourceError,
    Token,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

OVERVIEW_ROWS = 24  # per panel in the terminal overview
SELECTED_ROWS = 300  # per panel with --line or --node
SVG_ROWS = 60
HTML_ROWS = 5000
ROW_CHARS = 64  # of a row in the SVG
LAYOUT = {"NEWLINE": "⏎", "NL": "↵", "INDENT": "→", "DEDENT": "←", "ENDMARKER": "∎"}


@dataclass(frozen=True)
class Row:
    text: str
    lines: tuple[int, ...]  # the source lines it comes from: what links it
    depth: int = 0
    kind: str = ""  # head (a scope, a code object), muted, error


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    rows: list[Row]
    summary: str


def columns(view: Phases, detailed: bool = False) -> list[Column]:
    """The four phases as columns; `detailed` gives a row per token instead of per line."""
    if isinstance(view, PythonPhases):
        return [
            _tokens(view.tokens, "Tokens (tokenize)", detailed),
            _tree(view, "Syntax tree (ast)"),
            _symbols(view),
            _bytecode(view),
        ]
    return [
        _tokens(view.tokens, "Tokens (tree-sitter)", detailed),
        _tree(view, "Syntax tree (tree-sitter)"),
        _preprocessed(view),
        _assembly(view),
    ]


def _count(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _token_text(token: Token) -> str:
    if token.type in LAYOUT:
        return LAYOUT[token.type]
    text = token.text.replace("\n", "⏎")
    return text if len(text) <= 30 else text[:29] + "…"


def _tokens(tokens: tuple[Token, ...], title: str, detailed: bool) -> Column:
    rows: list[Row] = []
    if detailed:
        for token in tokens:
            kind = token.exact if token.exact != token.type else token.type
            text = f"{token.span.label():<11} {kind:<12} {_token_text(token)!r}"
            rows.append(Row(text, (token.span.line,)))
    else:
        by_line: dict[int, list[str]] = {}
        for token in tokens:
            by_line.setdefault(token.span.line, []).append(_token_text(token))
        rows = [Row(f"{line:>4}  " + " ".join(words), (line,)) for line, words in by_line.items()]
    return Column("tokens", title, rows, _count(len(tokens), "token"))


def _tree(view: Phases, title: str) -> Column:
    nodes = view.nodes
    top = min((n.depth for n in nodes), default=0)
    rows = []
    for node in nodes:
        field = f"{node.field}: " if node.field else ""
        where = f"  {node.span.label()}" if node.span else ""
        lines = (node.span.line,) if node.span else ()
        rows.append(Row(f"#{node.index} {field}{node.label}{where}", lines, node.depth - top))
    return Column("ast", title, rows, _count(len(nodes), "node"))


def _symbols(view: PythonPhases) -> Column:
    rows: list[Row] = []
    count = 0
    top = min((s.depth for s in view.scopes), default=0)
    for scope in view.scopes:
        depth = scope.depth - top
        where = f" (line {scope.line})" if scope.line else ""
        rows.append(Row(f"{scope.type} {scope.name}{where}", (), depth, "head"))
        for symbol in scope.symbols:
            count += 1
            where = ", ".join(map(str, symbol.lines)) or "-"
            text = f"{symbol.name}: {', '.join(symbol.flags)} · lines {where}"
            rows.append(Row(text, tuple(symbol.lines), depth + 1))
    summary = f"{_count(len(view.scopes), 'scope')}, {_count(count, 'symbol')}"
    return Column("symbols", "Symbol tables (symtable)", rows, summary)


def _bytecode(view: PythonPhases) -> Column:
    rows: list[Row] = []
    count = 0
    for obj in view.code:
        rows.append(Row(f"<code {obj.qualname}> line {obj.line}", (), 0, "head"))
        rows += list(_instructions(obj))
        count += len(obj.instructions)
    summary = f"{_count(len(view.code), 'code object')}, {_count(count, 'instruction')}"
    return Column("bytecode", "Bytecode (dis)", rows, summary)


def _instructions(obj: CodeObject) -> Iterator[Row]:
    for ins in obj.instructions:
        line = ins.span.line if ins.span else None
        mark = ">>" if ins.jump_target else "  "
        arg = f"{ins.arg:>3}" if ins.arg is not None else "   "
        if ins.argrepr:
            arg += f" ({ins.argrepr})"
        text = f"{line or '':>4} {mark}{ins.offset:>4} {ins.opname:<20} {arg}".rstrip()
        yield Row(text, (line,) if line else (), 1)


def _problem_rows(view: NativePhases) -> list[Row]:
    return [Row(view.problem, (), 0, "error")] if view.problem else []


def _preprocessed(view: NativePhases) -> Column:
    rows = _problem_rows(view)
    for pre in view.preprocessed:
        where = f"{pre.line:>4}" if pre.line else "    "
        kind = "muted" if pre.count else ""
        rows.append(Row(f"{where}  {pre.text}", (pre.line,) if pre.line else (), 0, kind))
    own = sum(1 for p in view.preprocessed if not p.count)
    from_headers = sum(p.count for p in view.preprocessed)
    summary = f"{_count(own, 'line')} of the file, {from_headers:,} from headers"
    command = " ".join(view.commands.get("preprocess", ["gcc", "-E"])[:2])
    return Column("preprocessed", f"Preprocessed ({command} -E)", rows, summary)


def _assembly(view: NativePhases) -> Column:
    rows = _problem_rows(view)
    for asm in view.assembly:
        where = f"{asm.line:>4}" if asm.line else "    "
        indent = "" if asm.kind == "label" else "    "
        kind = "head" if asm.kind == "label" else ""
        rows.append(Row(f"{where}  {indent}{asm.text}", (asm.line,) if asm.line else (), 0, kind))
    count = sum(1 for a in view.assembly if a.kind == "instruction")
    compiler = view.commands.get("assemble", ["gcc"])[0]
    title = f"Assembly ({compiler} -S -O{view.opt})"
    return Column("assembly", title, rows, _count(count, "instruction"))


def title(view: Phases, selection: Selection | None) -> str:
    name = {"python": "Python", "c": "C", "cpp": "C++"}[view.language]
    where = f", {selection.what}" if selection else ""
    return f"{name} compiler phases of {view.file}{where}"


def error_lines(error: SourceError, file: str) -> list[str]:
    """The error, the source line and a caret under the column."""
    number = f"{error.line:>4} | "
    return [
        f"{error.phase} error: {error.one_line(file)}",
        number + error.text,
        " " * (len(number) + error.col) + "^",
    ]


def selected_source(view: Phases, selection: Selection) -> list[tuple[int, str]]:
    span = selection.span
    last = span.end_line - (1 if span.end_col == 0 else 0)
    numbers = range(span.line, min(last, len(view.lines)) + 1)
    return [(n, view.lines[n - 1]) for n in list(numbers)[:12]]


# Terminal ------------------------------------------------------------------------------------


STYLES = {"head": "bold", "muted": "dim", "error": "bold red", "": ""}


def terminal(view: Phases, selection: Selection | None = None) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    shown = view.restrict(selection)
    parts: list[RenderableType] = [Text(title(view, selection), style="bold")]
    if selection is not None:
        source = Text(no_wrap=True, overflow="ellipsis")
        for number, line in selected_source(view, selection):
            source.append(f"{number:>4} | ", style="dim")
            source.append(line + "\n")
        source.rstrip()
        parts.append(Panel(source, title="Source", title_align="left"))
    if view.error is not None:
        lines = error_lines(view.error, view.file)
        body = Text("\n".join(lines[1:]), no_wrap=True)
        parts.append(Panel(body, title=lines[0], title_align="left", border_style="red"))
    limit = SELECTED_ROWS if selection else OVERVIEW_ROWS
    for column in columns(shown, detailed=selection is not None):
        text = Text(no_wrap=True, overflow="ellipsis")
        for row in column.rows[:limit]:
            text.append("  " * row.depth + row.text + "\n", style=STYLES[row.kind])
        more = len(column.rows) - limit
        if more > 0:
            hint = "use --line N, --json or --out FILE.html" if not selection else "use --json"
            text.append(f"… {more:,} more rows: {hint}\n", style="dim italic")
        if not column.rows:
            text.append("nothing here" + (" for this selection" if selection else ""), "dim")
        text.rstrip()
        parts.append(
            Panel(
                text,
                title=column.title,
                title_align="left",
                subtitle=column.summary,
                subtitle_align="right",
            )
        )
    return Group(*parts)


# SVG -----------------------------------------------------------------------------------------

SIZE = 11
ROW_H = 15
GAP = 18
MARGIN = 16


def drawing(view: Phases, selection: Selection | None = None) -> Svg:
    """Four columns side by side; with a selection, only what it links to."""
    cols = columns(view.restrict(selection), detailed=selection is not None)
    header = [title(view, selection)]
    if selection is not None:
        header += [f"{n:>4} | {text}" for n, text in selected_source(view, selection)]
    if view.error is not None:
        header += error_lines(view.error, view.file)
    top = MARGIN + ROW_H * (len(header) + 1)
    widths = []
    for column in cols:
        texts = [column.title, column.summary]
        texts += [_cut("  " * r.depth + r.text) for r in column.rows[:SVG_ROWS]]
        widths.append(max(text_width(t, SIZE) for t in texts) + 2 * 8)
    longest = max((min(len(c.rows), SVG_ROWS + 1) for c in cols), default=0)
    width = max(sum(widths) + GAP * (len(cols) - 1) + 2 * MARGIN, *_widths(header))
    height = top + ROW_H * (longest + 3) + MARGIN
    svg = Svg(width, height, title(view, selection))
    for index, line in enumerate(header):
        cls = "" if index == 0 else "muted"
        if view.error is not None and index >= len(header) - 3:
            cls = "error"
        svg.text(MARGIN, MARGIN + ROW_H * (index + 0.7), line, SIZE + (index == 0), cls=cls)
    svg.parts.append("<style>.error { fill: #cf222e; }</style>")
    x: float = MARGIN
    for column, column_width in zip(cols, widths, strict=True):
        _column(svg, column, x, top, column_width, longest)
        x += column_width + GAP
    return svg


def _widths(lines: list[str]) -> list[float]:
    return [text_width(line, SIZE + 1) + 2 * MARGIN for line in lines] or [0]


def _cut(text: str) -> str:
    return text if len(text) <= ROW_CHARS else text[: ROW_CHARS - 1] + "…"


def _column(svg: Svg, column: Column, x: float, top: float, width: float, longest: int) -> None:
    svg.rect(x, top, width, ROW_H * (longest + 2.5), cls="box")
    svg.text(x + 8, top + ROW_H, column.title, SIZE, bold=True)
    svg.text(x + 8, top + ROW_H * 2, column.summary, SIZE - 1, cls="muted")
    y = top + ROW_H * 3
    for row in column.rows[:SVG_ROWS]:
        cls = {"head": "", "muted": "muted", "error": "error"}.get(row.kind, "")
        svg.text(
            x + 8, y, _cut("  " * row.depth + row.text), SIZE, cls=cls, bold=row.kind == "head"
        )
        y += ROW_H
    more = len(column.rows) - SVG_ROWS
    if more > 0:
        svg.text(x + 8, y, f"… {more:,} more rows", SIZE, cls="muted")


# HTML ----------------------------------------------------------------------------------------

PHASES_STYLE = (
    "main { display: grid; grid-template-columns: repeat(5, minmax(16rem, 1fr)); gap: .75rem; "
    "overflow-x: auto; } section { border: 1px solid #d0d7de; border-radius: 6px; "
    "min-width: 0; } h2 { font-size: .95rem; margin: 0; padding: .4rem .6rem; "
    "background: #f6f8fa; border-bottom: 1px solid #d0d7de; } h2 small { color: #656d76; "
    "font-weight: normal; } .rows { font-family: " + FONT + "; font-size: 12px; "
    "max-height: 75vh; overflow: auto; padding: .3rem 0; } .row { white-space: pre; "
    "padding: 0 .6rem; cursor: pointer; } .row:hover { background: #f6f8fa; } "
    ".row.on { background: #fff8c5; } .head { font-weight: bold; } .muted { color: #656d76; } "
    ".error { color: #cf222e; white-space: pre; font-family: " + FONT + "; } "
    ".ln { color: #8c959f; user-select: none; }"
)
PHASES_SCRIPT = """<script>
const where = document.getElementById('where');
function pick(lines) {
  document.querySelectorAll('.row.on').forEach(e => e.classList.remove('on'));
  const found = new Set();
  for (const line of lines)
    document.querySelectorAll('[data-lines~="' + line + '"]').forEach(e => found.add(e));
  found.forEach(e => e.classList.add('on'));
  document.querySelectorAll('section').forEach(s => {
    const first = s.querySelector('.row.on');
    if (first) first.scrollIntoView({block: 'nearest'});
  });
  where.textContent = lines.length ? 'line ' + lines.join(', ') + ': ' + found.size +
                      ' linked items' : '';
}
document.addEventListener('click', e => {
  const row = e.target.closest('[data-lines]');
  if (row && row.dataset.lines) pick(row.dataset.lines.split(' '));
});
const start = document.body.dataset.line;
if (start) pick(start.split(' '));
</script>
"""


def page(view: Phases, selection: Selection | None = None) -> str:
    """The source and the four phases side by side; every row is clickable."""
    source = Column(
        "source",
        "Source",
        [Row(f"{n:>4}  {text}", (n,)) for n, text in enumerate(view.lines, start=1)],
        f"{len(view.lines):,} lines",
    )
    sections = "\n".join(_section(c) for c in [source, *columns(view)])
    start = ""
    if selection is not None:
        span = selection.span
        last = span.end_line - (1 if span.end_col == 0 else 0)
        start = " ".join(str(n) for n in range(span.line, last + 1))
    error = ""
    if view.error is not None:
        error = f'<pre class="error">{esc(chr(10).join(error_lines(view.error, view.file)))}</pre>'
    if view.problem:
        error += f'<p class="error">{esc(view.problem)}</p>'
    heading = title(view, None)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(heading)}</title><style>{PAGE_STYLE} {PHASES_STYLE}</style></head>\n"
        f'<body data-line="{start}">\n<h1>{esc(heading)}</h1>\n'
        "<p>Click a source line or any item: what starts on the same line lights up in "
        'every phase. <span id="where" class="muted"></span></p>\n'
        f"{error}\n<main>\n{sections}\n</main>\n{PHASES_SCRIPT}</body></html>\n"
    )


def _section(column: Column) -> str:
    rows = []
    for row in column.rows[:HTML_ROWS]:
        klass = f"row {row.kind}".strip()
        lines = " ".join(map(str, row.lines))
        rows.append(
            f'<div class="{klass}" data-lines="{lines}">{esc("  " * row.depth + row.text)}</div>'
        )
    more = len(column.rows) - HTML_ROWS
    if more > 0:
        rows.append(f'<div class="row muted">… {more:,} more rows (see --json)</div>')
    return (
        f'<section data-phase="{column.key}"><h2>{esc(column.title)} '
        f"<small>{esc(column.summary)}</small></h2>"
        f'<div class="rows">{"".join(rows)}</div></section>'
    )


def write(path: Path, view: Phases, selection: Selection | None = None) -> str:
    """Write .svg (the four columns, restricted to the selection) or .html (all of it,
    linked, the selection lit)."""
    if path.suffix.lower() in (".html", ".htm"):
        text = page(view, selection)
        write_page(path, text)
        return text
    return write_output(path, title(view, selection), [drawing(view, selection)])
