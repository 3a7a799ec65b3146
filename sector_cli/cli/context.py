"""`sector context ...`: index local documents, search them with provenance, scope sessions."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sector_cli.cli.options import Json, Yes, confirm_removal
from sector_cli.cli.output import Output, console, warn

if TYPE_CHECKING:
    from sector_cli.context.ingest import AddEvent, Summary
    from sector_cli.context.service import Context
    from sector_cli.context.sessions import Sessions
    from sector_cli.store.models import Document

app = typer.Typer(
    help="Index documents and code locally, and search them with provenance (@context).",
    no_args_is_help=True,
)
session_app = typer.Typer(help="Limit @context to a set of documents.", no_args_is_help=True)
app.add_typer(session_app, name="session")

DocRef = Annotated[str, typer.Argument(help="Document: its number, path, or file name.")]
LINES = re.compile(r"^(\d+)(?:-(\d+))?$")


def _context() -> Context:
    from sector_cli.services import open_services

    return open_services().context


def _sessions() -> Sessions:
    from sector_cli.context.sessions import Sessions

    return Sessions(_context())


def _document_row(document: Document) -> dict[str, Any]:
    from sector_cli.context.targets import display_path

    return {
        "id": document.id,
        "path": document.path,
        "name": display_path(document.path),
        "format": document.format,
        "pages": document.pages,
        "chunks": document.chunks,
        "size": document.size,
        "sha256": document.sha256,
        "embedder": document.embedder,
        "indexed_at": document.indexed_at,
    }


# adding


@app.command("add")
def add(
    paths: Annotated[list[str], typer.Argument(help="Files, folders or globs ('notes/**/*.md').")],
    prune: Annotated[
        bool, typer.Option("--prune", help="Forget documents under these folders that are gone.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Index documents: PDF, Markdown, reStructuredText, text, HTML, DOCX, EPUB and source code.

    Folders are walked with .gitignore and .sectorignore; unchanged files are skipped, changed
    ones replaced. Exit code 1 when some files were skipped (each is named with its reason),
    2 when nothing given could be indexed.
    """
    summary = _drive(_context().add(paths, prune), as_json, "indexed")
    if summary is not None and summary.exit_code:
        raise typer.Exit(summary.exit_code)


@app.command("reindex")
def reindex(as_json: Json = False) -> None:
    """Re-embed every document with the configured embedder and rebuild the indexes."""
    _drive(_context().reindex(), as_json, "re-embedded")


def _drive(events: Iterator[AddEvent], as_json: bool, verb: str) -> Summary | None:
    """Show an add/reindex as it goes: a progress bar, or NDJSON events."""
    from sector_cli.context.ingest import Summary

    if as_json:
        return _drive_json(events)
    summary = None
    with _Bar() as bar:
        for event in events:
            bar.show(event)
            if isinstance(event, Summary):
                summary = event
    if summary is not None:
        console().print(_summary_line(summary, verb), markup=False)
    return summary


def _drive_json(events: Iterator[AddEvent]) -> Summary | None:
    from sector_cli.context.ingest import Progress, Summary

    summary = None
    for event in events:
        if isinstance(event, Progress):  # a bar's, not a script's
            continue
        if isinstance(event, Summary):
            summary = event
        Output(True).json(event.to_wire())
        sys.stdout.flush()
    return summary


def _summary_line(summary: Summary, verb: str) -> str:
    parts = [
        f"{summary.added} added" if summary.added else "",
        f"{summary.updated} updated" if summary.updated else "",
        f"{summary.unchanged} unchanged" if summary.unchanged else "",
        f"{summary.skipped} skipped" if summary.skipped else "",
        f"{summary.pruned} pruned" if summary.pruned else "",
    ]
    files = ", ".join(p for p in parts if p) or "nothing to do"
    rate = f" ({summary.chunks_per_second:,.0f} chunks/s" if summary.chunks else ""
    if rate:
        loading = f", model loaded in {summary.load_seconds:.1f}s" if summary.load_seconds else ""
        rate += f"{loading})"
    return f"{files}; {summary.chunks:,} chunks {verb} in {summary.seconds:.1f}s{rate}"


class _Bar:
    """A progress bar on stderr: files done, chunks embedded, chunks per second."""

    def __enter__(self) -> _Bar:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("[bold]indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[chunks]:,} chunks · {task.fields[rate]}"),
            console=console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("index", total=None, chunks=0, rate="- chunks/s")
        self.progress.start()
        return self

    def show(self, event: AddEvent) -> None:
        from sector_cli.context.ingest import Progress, Pruned, Skipped

        if isinstance(event, Progress):
            rate = f"{event.chunks / event.seconds:,.0f} chunks/s" if event.seconds else "-"
            self.progress.update(
                self.task,
                total=event.files_total,
                completed=event.files_done,
                chunks=event.chunks,
                rate=rate,
            )
        elif isinstance(event, Skipped):  # one line each, whatever the terminal's width
            self._say(f"skipped {event.path}: {event.reason}")
        elif isinstance(event, Pruned):
            self._say(f"pruned {event.path}: the file is gone")

    def _say(self, line: str) -> None:
        self.progress.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def __exit__(self, *_: object) -> None:
        self.progress.stop()


# managing


@app.command("ls")
def ls(as_json: Json = False) -> None:
    """List the indexed documents."""
    rows = [_document_row(d) for d in _context().documents()]
    Output(as_json).table(
        rows,
        [
            ("id", "#"),
            ("name", "document"),
            ("format", "format"),
            ("pages", "pages"),
            ("chunks", "chunks"),
            ("indexed_at", "indexed"),
        ],
        "The context index is empty: add documents with `sector context add PATH`.",
    )


@app.command("show")
def show(
    document: DocRef,
    chunks: Annotated[bool, typer.Option("--chunks", help="List its chunks too.")] = False,
    as_json: Json = False,
) -> None:
    """Show a document's catalog entry (and its chunks with --chunks)."""
    from sector_cli.context.hits import location

    context = _context()
    found = context.document(document)
    data = _document_row(found)
    if chunks:
        data["chunks_list"] = [
            {
                "seq": row.seq,
                "title": row.title,
                "location": location(found.format, row.page, row.line_start, row.line_end),
                "text": row.body,
            }
            for row in context.chunks(found)
        ]
    out = Output(as_json)
    if as_json:
        out.json(data)
        return
    listed = data.pop("chunks_list", [])
    out.record(data, title=f"Document #{found.id}")
    for row in listed:
        head = " ".join(row["text"].split())[:70]
        console().print(f"  {row['seq']:>4}  {row['location']:<14} {head}", markup=False)


@app.command("read")
def read(
    document: DocRef,
    page: Annotated[int | None, typer.Option("--page", help="Only this page.")] = None,
    lines: Annotated[
        str | None, typer.Option("--lines", help="Only these lines: 40-58.", show_default=False)
    ] = None,
) -> None:
    """Print a document's indexed text, or one page or line range of it (what a citation
    points at)."""
    context = _context()
    sys.stdout.write(context.read(context.document(document), page, parse_lines(lines)) + "\n")


def parse_lines(text: str | None) -> tuple[int, int] | None:
    from sector_cli.errors import UsageError

    if text is None:
        return None
    match = LINES.match(text.strip())
    if not match or int(match[1]) < 1 or int(match[2] or match[1]) < int(match[1]):
        raise UsageError(f"{text!r} is not a line range", "Write it as 40-58, or 40")
    return int(match[1]), int(match[2] or match[1])


@app.command("rm")
def rm(
    documents: Annotated[list[str], typer.Argument(help="Documents.")],
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Remove documents from the index (the files are not touched)."""
    context = _context()
    chosen = [context.document(ref) for ref in documents]  # all found, or nothing removed
    listed = ", ".join(f"#{d.id} {d.path}" for d in chosen)
    confirm_removal(f"Remove {listed} from the index?", yes)
    removed = [context.remove(str(document.id)) for document in chosen]
    names = ", ".join(f"#{d.id} {d.path}" for d in removed)
    Output(as_json).done(f"removed {names}", [_document_row(d) for d in removed])


@app.command("stats")
def stats(as_json: Json = False) -> None:
    """What the index holds, its size, and whether catalog and vectors agree."""
    Output(as_json).record(_context().stats().to_wire(), title="Context index")


# searching


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 5,
    documents: Annotated[
        list[str] | None, typer.Option("--doc", "-d", help="Only in this document (repeatable).")
    ] = None,
    retriever: Annotated[
        str, typer.Option("--retriever", help="hybrid, vector or bm25.")
    ] = "hybrid",
    as_json: Json = False,
) -> None:
    """Ranked passages with provenance: path, page or lines, score, which retriever found it."""
    context = _context()
    scope = context.resolve(documents) if documents else None
    hits = context.search(query, k, scope, retriever)
    if as_json:
        Output(True).json([{"rank": n, **hit.to_json()} for n, hit in enumerate(hits, 1)])
        return
    if not hits:
        hint = (
            "try other words, or another --retriever"
            if context.documents()
            else "the index is empty: add documents with `sector context add PATH`"
        )
        warn(f"nothing found; {hint}", label="note")
        return
    for number, hit in enumerate(hits, start=1):
        found_by = "+".join(hit.retrievers)
        console().print(
            f"[bold][{number}] {hit.label}[/bold]  [dim]score {hit.score:.4f} · "
            f"similarity {hit.similarity:.2f} · {found_by}[/dim]"
        )
        if hit.title:
            console().print(f"    [italic]{hit.title}[/italic]", markup=True, highlight=False)
        text = " ".join(hit.body.split())
        console().print(f"    {text[:300]}{'…' if len(text) > 300 else ''}", markup=False)


# sessions


@session_app.command("start")
def session_start(
    name: Annotated[str, typer.Argument(help="Session name.")],
    documents: Annotated[
        list[str] | None,
        typer.Option("--docs", help="Documents @context is limited to (repeat, or list them)."),
    ] = None,
    more: Annotated[list[str] | None, typer.Argument(help="More documents.", hidden=True)] = None,
    as_json: Json = False,
) -> None:
    """Start a session: @context answers only from its documents until `session end`."""
    info, ended = _sessions().start(name, [*(documents or []), *(more or [])])
    if ended and not as_json:
        warn(f"ended the session {ended}", label="note")
    Output(as_json).done(
        f"session {info.name} started: @context uses {len(info.documents)} documents",
        info.to_json(),
    )


@session_app.command("ls")
def session_ls(as_json: Json = False) -> None:
    """List sessions; the active one is marked."""
    rows = [
        {
            **s.to_json(),
            "documents": ", ".join(f"#{i}" for i in s.documents),
            "mark": "*" if s.active else "",
        }
        for s in _sessions().list()
    ]
    if as_json:
        Output(True).json([s.to_json() for s in _sessions().list()])
        return
    Output(False).table(
        rows,
        [("mark", ""), ("name", "session"), ("documents", "documents"), ("created_at", "created")],
        "No sessions: start one with `sector context session start NAME --docs DOC...`.",
    )


@session_app.command("end")
def session_end(as_json: Json = False) -> None:
    """End the active session: @context uses every document again."""
    info = _sessions().end()
    Output(as_json).done(f"session {info.name} ended", info.to_json())
