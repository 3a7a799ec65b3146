"""`sector viz phases FILE`: tokens, syntax tree, symbols and bytecode (Python) or tokens,
syntax tree, preprocessed source and assembly (C, C++), linked by source line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sector_cli.cli.options import Json, Out


def phases(
    file: Annotated[
        Path, typer.Argument(help="A Python, C or C++ source file.", show_default=False)
    ],
    line: Annotated[
        int | None,
        typer.Option(
            "--line",
            "-n",
            help="Show what line N becomes in every phase.",
            show_default=False,
        ),
    ] = None,
    node: Annotated[
        int | None,
        typer.Option(
            "--node",
            help="Show what syntax-tree node #I (numbered in the overview and --json) "
            "becomes in every phase.",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", "-l", help="python, c or cpp (default: from the extension)."),
    ] = None,
    opt: Annotated[
        int,
        typer.Option(
            "--opt", "-O", min=0, max=3, help="C/C++: optimisation level of the assembly."
        ),
    ] = 0,
    runner: Annotated[
        str | None,
        typer.Option("--runner", "-r", help="C/C++: the sandbox that compiles (docker, local)."),
    ] = None,
    as_json: Json = False,
    out: Out = None,
) -> None:
    """Show a file's compiler phases side by side, linked by source position.

    Python: tokens (tokenize), syntax tree (ast), symbol tables (symtable) and bytecode (dis).
    C and C++: tokens and syntax tree (tree-sitter), the preprocessed source (gcc -E) and the
    assembly (gcc -S), compiled in the sandbox. The code is never run. Exit code 2 when the
    file has a syntax error (shown with a caret), 1 when no sandbox could compile it.
    """
    import asyncio

    from sector_cli.cli.output import Output, console
    from sector_cli.errors import SectorError, UsageError
    from sector_cli.viz import phases as service
    from sector_cli.viz.phases import terminal, write

    output = Output(as_json)
    language = service.language_of(file, lang)
    view: service.Phases
    if language == "python":
        view = service.python_phases(file)
    else:
        from sector_cli.services import open_services

        tools = service.toolchain(open_services(), language, runner)
        view = asyncio.run(service.native_phases(file, tools, opt))
    selection = service.select(view, line, node)
    if out is not None:
        write(out, view, selection)
    if as_json:
        shown = view.restrict(selection)
        extra = {"selection": selection.what if selection else None}
        output.json({**shown.to_json(), **extra, **({"out": str(out)} if out else {})})
    else:
        console().print(terminal(view, selection))
        if out is not None:
            console(stderr=True).print(f"wrote {out}", markup=False)
    if view.error is not None:
        raise UsageError(f"{view.error.one_line(str(file))} ({view.error.phase} error)")
    if view.problem:
        raise SectorError(view.problem)
