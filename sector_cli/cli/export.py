"""`sector export KIND REF`: a run, a conversation, an answer, a trace or a visualization as
PDF, PNG, JPEG, DOCX, PPTX, HTML or Markdown. All the work is the export service's."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sector_cli.cli.options import Json

if TYPE_CHECKING:
    from sector_cli.cli.output import Output
    from sector_cli.export.service import Exports


def export(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="run, conversation, answer, trace, calltree, ds, phases, ast, nn or document.",
            show_default=False,
        ),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Argument(
            help="A run, conversation or message number; a FILE (traced now) for trace, "
            "calltree and ds; a FILE for phases, ast and nn; a question for document.",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="pdf, png, jpeg, docx, pptx, html or md (default: from --out)."
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="The file to write, a folder for the default name, or - for stdout "
            "(default: KIND-REF.FORMAT here).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a file that exists.")] = False,
    scale: Annotated[
        float,
        typer.Option("--scale", min=0.5, max=8.0, help="PNG/JPEG pixels per CSS pixel."),
    ] = 2.0,
    steps: Annotated[
        str | None,
        typer.Option(
            "--steps",
            "-s",
            help="trace, ds: the steps to export, such as 5, 3-9 or 1,4,10-12.",
            show_default=False,
        ),
    ] = None,
    var: Annotated[
        str | None, typer.Option("--var", help="ds: the variable to draw.", show_default=False)
    ] = None,
    max_nodes: Annotated[
        int, typer.Option("--max-nodes", "-n", min=1, help="calltree: calls drawn at most.")
    ] = 200,
    line: Annotated[
        int | None,
        typer.Option("--line", help="phases: what line N becomes.", show_default=False),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", "-l", help="phases, ast: the language (default: from the file)."),
    ] = None,
    input_shape: Annotated[
        str | None,
        typer.Option("--input-shape", help="nn: sample input shape, such as 1,3,32,32."),
    ] = None,
    module: Annotated[
        str | None, typer.Option("--module", "-m", help="nn: the module in a .py file.")
    ] = None,
    limit: Annotated[
        int, typer.Option("-k", min=1, max=100, help="document: how many passages.")
    ] = 10,
    runner: Annotated[
        str | None, typer.Option("--runner", "-r", help="docker or local (a FILE run now).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", "-t", help="Time limit in seconds (a FILE).")
    ] = None,
    memory: Annotated[
        str | None, typer.Option("--memory", help="Memory limit, 256M or 1G (a FILE).")
    ] = None,
    stdin: Annotated[
        Path | None, typer.Option("--stdin", help="Feed the traced FILE this input.")
    ] = None,
    list_formats: Annotated[
        bool, typer.Option("--list", help="Show every kind and the formats it exports to.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Export a run, conversation, answer, trace or visualization to a file to keep or hand in.

    The format comes from --out's extension when --format is absent. Files are written whole
    or not at all, and never replaced without --force. --json reports what was written.
    """
    from sector_cli.cli.output import Output, console
    from sector_cli.errors import UsageError
    from sector_cli.export.kinds import ExportRequest
    from sector_cli.export.service import STDOUT, Exports
    from sector_cli.plugins.exporter import ExportOptions
    from sector_cli.services import open_services

    output = Output(as_json)
    exports = Exports(open_services())
    if list_formats:
        _list(exports, output)
        return
    if kind is None or ref is None:
        raise UsageError("export needs a KIND and a REF", "See `sector export --list`")
    request = ExportRequest(
        steps, var, max_nodes, line, lang, input_shape, module, limit,
        runner, timeout, memory, stdin,
    )  # fmt: skip
    report = exports.export(
        kind, ref, format=format, out=out, request=request, force=force,
        options=ExportOptions(scale=scale),
    )  # fmt: skip
    if report.path == STDOUT and report.data is not None:
        sys.stdout.buffer.write(report.data)
        sys.stdout.flush()
    for note in report.notes:
        console(stderr=True).print(f"note: {note}", markup=False)
    if as_json and report.path == STDOUT:  # stdout holds the document: the report goes beside
        import json

        sys.stderr.write(json.dumps(report.to_wire()) + "\n")
    elif as_json:
        output.json(report.to_wire())
    else:
        console(stderr=True).print(report.one_line(), markup=False, highlight=False)


def _list(exports: Exports, output: Output) -> None:
    rows = [
        {
            **row,
            "shown": ", ".join(
                f"{name} (one step)" if name in row["one_frame_only"] else name
                for name in row["formats"]
            ),
        }
        for row in exports.listing()
    ]
    columns = [("kind", "kind"), ("reference", "REF"), ("shown", "formats"), ("summary", "what")]
    output.table(rows, columns, "no exporter is installed")
