"""The MCP server over the local context index: tools, document resources and a prompt, each
a thin call into the context service.

The service is synchronous and CPU-heavy (embedding), so every call runs in a worker thread,
one at a time, and the index is opened on the first call: the server answers `initialize` at
once. A `SectorError` from the service reaches the client as a tool error (or a protocol error
for resources and prompts) holding its one-line message and hint, never a traceback.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context as RequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolResult,
    InputRequiredResult,
    Resource,
    TextContent,
    ToolAnnotations,
)
from pydantic import Field, ValidationError

from sector_cli import __version__
from sector_cli.assistant.mentions import Section
from sector_cli.context.ingest import AddEvent, Progress
from sector_cli.context.mention import sections_for, sources
from sector_cli.context.service import Context
from sector_cli.errors import NotFoundError, SectorError, UsageError
from sector_cli.mcp.results import (
    DOCUMENT_URI,
    AddResult,
    DocumentList,
    ReadResult,
    SearchResult,
    add_result,
    document_info,
    document_uri,
    search_result,
)
from sector_cli.store.models import Document

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Sector's local context index: documents and source code the user indexed on this "
    "machine. search_context finds passages with their provenance (path, page or lines) to "
    "cite; read_document reads around them; list_documents shows what is indexed; "
    "add_documents indexes more files. Each document is also a resource, "
    "sector://documents/{id}."
)
CITING = (
    "Answer the question below from the numbered sources, passages of the user's own "
    "documents. After each sentence, cite the source that supports it by its number in "
    "brackets, like [1]. If the sources do not answer the question, say that they do not."
)
NOTHING_RELEVANT = (
    "Sector searched {scope} and found no passage relevant to the question below. Tell the "
    "user that their documents do not cover it; do not guess.\n\nQuestion: {question}"
)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
Ref = Annotated[str, Field(description="A document: its id (3), path, or file name (book.pdf)")]


class LazyContext:
    """The context index, opened on the first call; calls run in a worker thread, one at a
    time (the index is not shared between threads)."""

    def __init__(self, factory: Callable[[], Context]) -> None:
        self._factory = factory
        self._context: Context | None = None
        self._lock = threading.Lock()

    async def call(self, work: Callable[[Context], T]) -> T:
        return await anyio.to_thread.run_sync(self._run, work)

    def _run(self, work: Callable[[Context], T]) -> T:
        with self._lock:
            if self._context is None:
                self._context = self._factory()
            return work(self._context)


def invalid_arguments(error: ValidationError) -> str:
    """Arguments that do not fit the input schema, on one line."""
    problems = [
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    ]
    return f"invalid arguments: {'; '.join(problems)}. See the tool's input schema"


def one_line(error: BaseException) -> str | None:
    """The text a client gets for an anticipated failure; None for a crash."""
    if isinstance(error, SectorError):
        return error.one_line()
    if isinstance(error, OSError):  # disk full, permissions: as the CLI reports them
        return str(error)
    return None


class SectorServer(MCPServer[Any]):
    """MCPServer that lists the indexed documents as resources and turns service errors into
    one-line tool errors."""

    def __init__(self, context: LazyContext) -> None:
        super().__init__(
            "sector",
            title="Sector context index",
            instructions=INSTRUCTIONS,
            version=__version__,
            log_level="DEBUG" if _debug() else "WARNING",
        )
        self.context = context

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any],
        context: RequestContext[Any, Any] | None = None,
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            text = one_line(error.__cause__) if error.__cause__ else None
            if isinstance(error.__cause__, ValidationError):
                text = invalid_arguments(error.__cause__)
            if text is None:
                raise
            logger.info("tool %s: %s", name, text)
            return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)

    async def list_resources(self) -> list[Resource]:
        documents = await _protocol_errors(self.context.call(lambda c: c.documents()))
        return [*await super().list_resources(), *map(_resource, documents)]

    async def run_stdio(self, stdout: anyio.AsyncFile[str]) -> None:
        """Serve over stdin and the given protocol stream (see `sector_cli.mcp.stdio`)."""
        server = self._lowlevel_server
        async with stdio_server(stdout=stdout) as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())


def _debug() -> bool:
    import os

    from sector_cli.config import env

    return env.is_true(os.environ.get(env.SECTOR_DEBUG))


async def _protocol_errors(work: Awaitable[T]) -> T:
    """Await `work`; a service error becomes a protocol error with its one-line text."""
    try:
        return await work
    except (SectorError, OSError) as error:
        code = INVALID_PARAMS if isinstance(error, UsageError) else INTERNAL_ERROR
        raise MCPError(code, one_line(error) or str(error)) from None


def _resource(document: Document) -> Resource:
    pages = f", {_count(document.pages, 'page')}" if document.pages else ""
    passages = _count(document.chunks, "passage")
    return Resource(
        uri=document_uri(document.id),
        name=document.path.rsplit("/", 1)[-1],
        title=document.path,
        description=f"{document.format}{pages}, {passages} (#{document.id})",
        mime_type="text/plain",
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def described(function: F) -> F:
    """The function, its docstring dedented: tool and prompt descriptions are read by models."""
    function.__doc__ = inspect.cleandoc(function.__doc__ or "")
    return function


def build_server(context_factory: Callable[[], Context]) -> SectorServer:
    """The MCP server; `context_factory` opens the context index on the first call."""
    server = SectorServer(LazyContext(context_factory))
    _add_search_tools(server)
    _add_index_tools(server)
    _add_resources(server)
    _add_prompt(server)
    return server


def _add_search_tools(server: SectorServer) -> None:
    lazy = server.context

    @server.tool(title="Search the context index", annotations=READ_ONLY)
    @described
    async def search_context(
        query: Annotated[str, Field(description="A question or topic, in plain words")],
        k: Annotated[int, Field(ge=1, le=50, description="How many passages")] = 5,
        document: Annotated[
            str | None, Field(description="Only search this document (id, path or file name)")
        ] = None,
    ) -> SearchResult:
        """Search the user's local documents and code (indexed with Sector) for the passages
        most relevant to a question or topic, by meaning and by keywords. Returns up to k
        passages, best first, each with its text and provenance: the file's path, the page
        or line range, a label to cite (`book.pdf, p. 212`, `notes/closures.md:40-58`) and
        scores (a similarity of 0.3 and up means on topic). Read around a passage with
        read_document."""

        def work(context: Context) -> SearchResult:
            scope = [context.document(document).id or 0] if document else None
            return search_result(query, context.search(query, k, scope))

        return await lazy.call(work)

    @server.tool(title="List indexed documents", annotations=READ_ONLY)
    @described
    async def list_documents() -> DocumentList:
        """List the documents in the user's local context index: id, path, format, pages,
        number of passages, size and when each was indexed. An id, path or file name names a
        document for search_context and read_document; `uri` is its resource."""
        documents = await lazy.call(lambda context: context.documents())
        return DocumentList(documents=[document_info(d) for d in documents])

    @server.tool(title="Read a document", annotations=READ_ONLY)
    @described
    async def read_document(
        document: Ref,
        page: Annotated[int | None, Field(ge=1, description="Only this page (PDF, EPUB)")] = None,
        start_line: Annotated[int | None, Field(ge=1, description="First line to read")] = None,
        end_line: Annotated[int | None, Field(ge=1, description="Last line to read")] = None,
    ) -> ReadResult:
        """Read a document of the context index: its whole indexed text, one page (PDF,
        EPUB), or a range of lines (text, Markdown, code: exactly those lines of the file,
        numbered from 1 as search_context reports them). Give start_line alone to read to
        the end, end_line alone to read from the start. Returns the text with the document's
        id and path."""
        lines = line_range(start_line, end_line)

        def work(context: Context) -> ReadResult:
            found = context.document(document)
            text = context.read(found, page, lines)
            return ReadResult(
                document_id=found.id or 0,
                path=found.path,
                page=page,
                start_line=lines[0] if lines else None,
                end_line=end_line,
                text=text,
            )

        return await lazy.call(work)


def line_range(start: int | None, end: int | None) -> tuple[int, int] | None:
    """Lines `start`-`end` (either may be left open); None for the whole document."""
    if start is None and end is None:
        return None
    first = 1 if start is None else start
    last = sys.maxsize if end is None else end
    if first < 1 or last < first:
        raise UsageError(f"lines {start}-{end} are not a range", "Give 1 <= start_line <= end_line")
    return first, last


def _add_index_tools(server: SectorServer) -> None:
    lazy = server.context

    @server.tool(
        title="Index documents",
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )
    @described
    async def add_documents(
        paths: Annotated[
            list[str],
            Field(min_length=1, description="Files, folders or globs, best absolute"),
        ],
        ctx: RequestContext[Any, Any],
    ) -> AddResult:
        """Index files, folders and glob patterns (`~/notes/**/*.md`) into the user's local
        context index, so that search_context finds them: PDF, Markdown, reStructuredText,
        text, HTML, DOCX, EPUB and source code. Folders are walked with their .gitignore;
        unchanged files are left as they are, changed ones re-indexed. Relative paths are
        taken from the server's working folder, so give absolute ones. Embedding takes a
        while for large folders (progress is reported). Returns each file's result (added,
        updated, unchanged, or skipped with the reason) and a summary."""

        async def report(event: Progress) -> None:
            message = f"{event.files_done}/{event.files_total} files, {event.chunks} passages"
            await ctx.report_progress(event.files_done, event.files_total or None, message)

        def work(context: Context) -> AddResult:
            events: list[AddEvent] = []
            for event in context.add(paths):
                if isinstance(event, Progress):
                    anyio.from_thread.run(report, event)
                else:
                    events.append(event)
            return add_result(events)

        return await lazy.call(work)


def _add_resources(server: SectorServer) -> None:
    lazy = server.context

    @server.resource(
        DOCUMENT_URI,
        name="document",
        title="Indexed document",
        description="The indexed text of a document of the context index, by id",
        mime_type="text/plain",
    )
    async def document_text(document_id: str) -> str:
        def work(context: Context) -> str:
            found = context.documents([int(document_id)]) if document_id.isdigit() else []
            if not found:
                raise NotFoundError(
                    f"no document #{document_id} in the context index",
                    "List them with the list_documents tool or resources/list",
                )
            return context.read(found[0])

        try:
            return await lazy.call(work)
        except NotFoundError as error:
            raise ResourceNotFoundError(error.one_line()) from None
        except (SectorError, OSError) as error:
            raise ResourceError(one_line(error) or str(error)) from None


def _add_prompt(server: SectorServer) -> None:
    lazy = server.context

    @server.prompt(title="Ask with context")
    @described
    async def ask_with_context(
        question: Annotated[str, Field(description="The question to answer")],
        k: Annotated[int, Field(ge=1, le=20, description="How many passages to send")] = 5,
    ) -> str:
        """A question with the most relevant passages of the user's indexed documents as
        numbered sources (labelled like `book.pdf, p. 3`), and the instruction to answer
        from them citing [n]."""

        def work(context: Context) -> str:
            if not context.documents():
                raise NotFoundError(
                    "the context index is empty",
                    "Index documents with the add_documents tool or `sector context add PATH`",
                )
            hits, scope = sources(context, question, [], k)
            return context_prompt(question, sections_for(hits, scope), scope)

        return await _protocol_errors(lazy.call(work))


def context_prompt(question: str, sections: list[Section], scope: str) -> str:
    """The user message: the instruction, the numbered sources, then the question."""
    cited = [s.citation for s in sections if s.citation is not None]
    if not cited:
        return NOTHING_RELEVANT.format(scope=scope, question=question)
    blocks = [f"[{c.number}] {c.label}\n{c.text.strip()}" for c in cited]
    return "\n\n".join([CITING, "Sources:", *blocks, f"Question: {question}"])
