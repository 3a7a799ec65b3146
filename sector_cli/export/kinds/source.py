"""The kinds drawn from a source file without running it: `phases` (tokens, syntax tree,
symbols and bytecode, or the preprocessed source and assembly of C and C++, as `sector viz
phases` shows them) and `ast` (the tree-sitter syntax tree, as `sector viz ast` draws it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sector_cli.errors import SectorError, UsageError
from sector_cli.export.kinds import ExportRequest, meta_for
from sector_cli.export.model import Block, Code, Document, Figure, Note, Paragraph, Section

if TYPE_CHECKING:
    from sector_cli.services import Services
    from sector_cli.viz.drawing import Svg
    from sector_cli.viz.phases import Phases

LANGUAGES = {"python": "Python", "c": "C", "cpp": "C++"}


def _figure(svg: Svg, caption: str, alt: str) -> Figure:
    return Figure(svg.render(), svg.width, svg.height, caption, alt)


# phases ---------------------------------------------------------------------------------------


def build_phases(ref: str, request: ExportRequest, services: Services) -> Document:
    from sector_cli.viz.phases import select
    from sector_cli.viz.phases.render import columns, drawing, title

    path = Path(ref)
    view = _phases(path, request, services)
    selection = select(view, request.line, None)
    _check(view, path)
    heading = title(view, selection)
    summaries = "; ".join(
        f"{column.title}: {column.summary}"
        for column in columns(view.restrict(selection), detailed=selection is not None)
    )
    marked = frozenset({request.line}) if request.line is not None else frozenset()
    blocks: list[Block] = [
        _figure(drawing(view, selection), "", heading),
        Paragraph.of(summaries + "."),
        Code(
            "\n".join(view.lines),
            view.language,
            numbered=True,
            marked=marked,
            caption=f"{path.name}" + (f", line {request.line} marked" if marked else ""),
        ),
    ]
    return Document(
        f"Compiler phases of {path.name}",
        meta_for("phases", str(path), services),
        (Section(heading, tuple(blocks)),),
    )


def _phases(path: Path, request: ExportRequest, services: Services) -> Phases:
    """Python's phases here; C's and C++'s compiled in the sandbox `--runner` names."""
    import asyncio

    from sector_cli.viz.phases import language_of, native_phases, python_phases, toolchain

    language = language_of(path, request.lang)
    if language == "python":
        return python_phases(path)
    tools = toolchain(services, language, request.runner)
    return asyncio.run(native_phases(path, tools))


def _check(view: Phases, path: Path) -> None:
    """What makes `viz phases` exit 2 (a syntax or compile error) or 1 (no sandbox to
    compile in) refuses the export with the same line: a half-compiled file is not handed in."""
    if view.error is not None:
        raise UsageError(
            f"{view.error.one_line(str(path))} ({view.error.phase} error)",
            f"Fix that line, or see it with `sector viz phases {path}`",
        )
    if view.problem:
        raise SectorError(view.problem)


# ast ------------------------------------------------------------------------------------------


def build_ast(ref: str, request: ExportRequest, services: Services) -> Document:
    from sector_cli.viz.syntax import parse_file
    from sector_cli.viz.syntax.render import MAX_DRAWN, drawing, summary

    path = Path(ref)
    tree = parse_file(path, request.lang)
    text = summary(tree)
    blocks: list[Block] = [
        _figure(drawing(tree), "", f"Syntax tree of {path.name}"),
        Paragraph.of(text + "."),
    ]
    cut = len(tree.nodes) - len(tree.fold(None, MAX_DRAWN).shown)  # as the drawing cuts
    if cut:
        blocks.append(
            Note(
                f"The first {MAX_DRAWN} nodes are drawn, {cut:,} more are not: "
                f"`sector viz ast {path} --json` lists them all."
            )
        )
    if tree.errors:
        blocks.append(Note(f"The file has {tree.errors} syntax errors (red nodes).", "warning"))
    name = LANGUAGES.get(tree.language, tree.language)
    return Document(
        f"Syntax tree of {path.name}",
        meta_for("ast", str(path), services),
        (Section(f"{name} syntax tree of {path.name}", tuple(blocks)),),
    )
