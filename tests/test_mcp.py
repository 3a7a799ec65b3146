"""`sector mcp`: the real MCP SDK client against the real server process, over stdio and
streamable HTTP, on documents indexed by `sector context add` and by the add_documents tool."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent, TextResourceContents

SECTOR = Path(sys.executable).with_name("sector")
TOOLS = {"search_context", "list_documents", "read_document", "add_documents"}
CLOSURES = """\
# Closures

A closure captures variables from its enclosing scope.
Python closures capture variables by reference, not by value.

## Late binding

Loops that create lambdas see the last value of the loop variable.
"""
QUEUES = """\
# Queues

A queue is first in, first out: enqueue at the back, dequeue at the front.
Python's collections.deque is a fast double-ended queue.

# Stacks

A stack is last in, first out: push and pop happen at the same end.
A Python list works as a stack with append and pop.
"""
BOOK = [
    "Chapter one. A recursive function calls itself until it reaches a base case.",
    "Chapter two. Sorting puts items in order; merge sort splits and merges halves.",
    "Chapter three. A hash table maps keys to buckets with a hash function. Collisions "
    "are resolved by chaining: each bucket holds a list of entries.",
]

Scenario = Callable[[ClientSession], Awaitable[None]]


@dataclass(frozen=True)
class Library:
    home: Path  # SECTOR_HOME of the server
    docs: Path  # the documents, and the server's working folder


def _make_pdf(path: Path, pages: list[str]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))


def _environment(home: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SECTOR_")}
    return {**clean, "SECTOR_HOME": str(home), **extra}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """closures.md and book.pdf indexed by the CLI; queues.md left for the add_documents tool."""
    base = tmp_path_factory.mktemp("mcp")
    docs = base / "docs"
    docs.mkdir()
    (docs / "closures.md").write_text(CLOSURES)
    (docs / "queues.md").write_text(QUEUES)
    _make_pdf(docs / "book.pdf", BOOK)
    added = subprocess.run(
        [str(SECTOR), "context", "add", "closures.md", "book.pdf", "--json"],
        cwd=docs,
        env=_environment(base / "home"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert added.returncode == 0, added.stderr
    return Library(base / "home", docs)


def serve_stdio(library: Library, scenario: Scenario, **env: str) -> str:
    """Run `scenario` in a session with `sector mcp` over stdio and return the server's
    stderr. Fails if anything but protocol messages came on the server's stdout."""
    stray: list[Exception] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):  # a line of stdout that is not JSON-RPC
            stray.append(message)

    log = library.home.parent / f"server-{time.monotonic_ns()}.log"

    async def main() -> None:
        params = StdioServerParameters(
            command=str(SECTOR),
            args=["mcp"],
            env={"SECTOR_HOME": str(library.home), **env},
            cwd=library.docs,
        )
        with log.open("w") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write, message_handler=on_message) as session,
            ):
                await session.initialize()
                await scenario(session)

    anyio.run(main)
    stderr = log.read_text()
    assert not stray, f"stdout carried more than protocol: {stray}\n{stderr}"
    return stderr


def _text(result: CallToolResult) -> str:
    assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
    return result.content[0].text


def _structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, _text(result)
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    assert json.loads(_text(result)) == content  # the same, as text
    return content


# tools


async def _check_tool_listing(session: ClientSession) -> None:
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    search = tools["search_context"]
    assert search.input_schema["required"] == ["query"]
    assert set(search.input_schema["properties"]) == {"query", "k", "document"}
    assert search.output_schema is not None
    assert "passages" in search.output_schema["properties"]
    assert search.annotations is not None and search.annotations.read_only_hint
    read = tools["read_document"]
    assert set(read.input_schema["properties"]) == {"document", "page", "start_line", "end_line"}
    assert tools["add_documents"].input_schema["required"] == ["paths"]
    for tool in tools.values():
        assert tool.description and "\n    " not in tool.description  # dedented for models


async def _check_add_documents(session: ClientSession, docs: Path) -> None:
    reports: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total))

    path = str(docs / "queues.md")
    result = await session.call_tool(
        "add_documents", {"paths": [path, "ghost.md"]}, progress_callback=on_progress
    )
    added = _structured(result)
    files = {entry["path"]: entry for entry in added["files"]}
    assert files[path]["status"] == "added" and files[path]["chunks"] == 2
    skipped = files[str(docs / "ghost.md")]
    assert skipped["status"] == "skipped" and skipped["reason"] == "does not exist"
    assert added["summary"]["skipped"] == 1
    assert reports and reports[-1] == (2, 2)  # files done, of all


async def _check_search(session: ClientSession, docs: Path) -> None:
    query = {"query": "last in, first out: push and pop", "k": 3}
    found = _structured(await session.call_tool("search_context", query))
    top = found["passages"][0]
    assert top["path"] == str(docs / "queues.md")
    assert (top["line_start"], top["line_end"]) == (6, 9)
    assert top["label"] == "queues.md:6-9" and top["rank"] == 1
    assert top["text"].startswith("Stacks") and "append and pop" in top["text"]
    assert set(top["retrievers"]) <= {"vector", "bm25"} and top["similarity"] > 0.3

    scoped = await session.call_tool(
        "search_context", {"query": "variables", "document": "closures.md"}
    )
    paths = {p["path"] for p in _structured(scoped)["passages"]}
    assert paths == {str(docs / "closures.md")}

    pdf = _structured(await session.call_tool("search_context", {"query": "hash collisions"}))
    assert pdf["passages"][0]["label"] == "book.pdf, p. 3"


async def _check_list_and_read(session: ClientSession, docs: Path) -> None:
    listed = _structured(await session.call_tool("list_documents", {}))["documents"]
    by_name = {d["name"]: d for d in listed}
    assert {"closures.md", "book.pdf", "queues.md"} <= set(by_name)
    assert by_name["book.pdf"]["pages"] == 3 and by_name["book.pdf"]["format"] == "pdf"
    assert by_name["closures.md"]["uri"] == f"sector://documents/{by_name['closures.md']['id']}"

    lines = {"document": "queues.md", "start_line": 3, "end_line": 4}
    read = _structured(await session.call_tool("read_document", lines))
    assert read["text"] == "\n".join(QUEUES.splitlines()[2:4])
    assert read["path"] == str(docs / "queues.md")

    by_id = {"document": str(by_name["book.pdf"]["id"]), "page": 2}
    page = _structured(await session.call_tool("read_document", by_id))
    assert "merge sort" in page["text"] and "hash" not in page["text"]


async def _check_tool_errors(session: ClientSession) -> None:
    missing = await session.call_tool("read_document", {"document": "ghost.md"})
    assert missing.is_error
    text = _text(missing)
    assert text.startswith("no document 'ghost.md' in the context index. ")
    assert "\n" not in text and "Traceback" not in text

    backwards = {"document": "queues.md", "start_line": 5, "end_line": 2}
    reversed_range = await session.call_tool("read_document", backwards)
    assert reversed_range.is_error
    assert _text(reversed_range).startswith("lines 5-2 are not a range. ")

    invalid = await session.call_tool("search_context", {"query": "x", "k": 0})
    assert invalid.is_error and "\n" not in _text(invalid)
    assert _text(invalid).startswith("invalid arguments: k: ")


# resources and the prompt


async def _check_resources(session: ClientSession) -> None:
    resources = {r.name: r for r in (await session.list_resources()).resources}
    assert {"closures.md", "book.pdf"} <= set(resources)
    book = resources["book.pdf"]
    assert str(book.uri).startswith("sector://documents/") and book.mime_type == "text/plain"
    assert book.description and "3 pages" in book.description
    templates = (await session.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["sector://documents/{document_id}"]

    read = await session.read_resource(str(resources["closures.md"].uri))
    content = read.contents[0]
    assert isinstance(content, TextResourceContents) and content.mime_type == "text/plain"
    assert "A closure captures variables" in content.text and "Late binding" in content.text
    pdf = (await session.read_resource(str(book.uri))).contents[0]
    assert isinstance(pdf, TextResourceContents)
    assert all(page.split(".")[0] in pdf.text for page in BOOK)

    with pytest.raises(MCPError) as missing:
        await session.read_resource("sector://documents/999")
    assert missing.value.message.startswith("no document #999 in the context index. ")


async def _check_prompt(session: ClientSession) -> None:
    prompts = {p.name: p for p in (await session.list_prompts()).prompts}
    arguments = {a.name: a.required for a in prompts["ask_with_context"].arguments or []}
    assert arguments == {"question": True, "k": False}

    question = "How does a hash table resolve collisions?"
    prompt = await session.get_prompt("ask_with_context", {"question": question, "k": "2"})
    assert len(prompt.messages) == 1 and prompt.messages[0].role == "user"
    content = prompt.messages[0].content
    assert isinstance(content, TextContent)
    assert "[1] book.pdf, p. 3\nChapter three. A hash table" in content.text
    assert "like [1]" in content.text  # the instruction to cite
    assert content.text.endswith(f"Question: {question}")


def test_a_session_over_stdio(library: Library) -> None:
    """One server process (it loads the embedding model once) for tools, resources and the
    prompt; `serve_stdio` checks that its stdout carried only protocol messages."""

    async def scenario(session: ClientSession) -> None:
        await _check_tool_listing(session)
        await _check_add_documents(session, library.docs)
        await _check_search(session, library.docs)
        await _check_list_and_read(session, library.docs)
        await _check_tool_errors(session)
        await _check_resources(session)
        await _check_prompt(session)

    stderr = serve_stdio(library, scenario)
    assert "Traceback" not in stderr


def test_the_index_opens_on_first_use_and_its_errors_are_tool_errors(library: Library) -> None:
    """An embedder that does not exist: the server still starts and lists its tools; the
    failure to open the index comes back as a one-line tool error."""

    async def scenario(session: ClientSession) -> None:
        assert {tool.name for tool in (await session.list_tools()).tools} == TOOLS
        result = await session.call_tool("list_documents", {})
        assert result.is_error
        assert _text(result) == (
            "no embedders plugin named 'nosuch'. Run `sector plugins ls` to see them"
        )

    serve_stdio(library, scenario, SECTOR_EMBEDDER="nosuch")


# stdout belongs to the protocol


def test_stray_output_goes_to_stderr_and_the_protocol_fd_carries_only_protocol() -> None:
    code = textwrap.dedent(
        """
        import ctypes, os, subprocess, sys
        from sector_cli.mcp.stdio import reserve_stdout

        protocol = reserve_stdout()
        print("print noise", flush=True)
        os.write(1, b"fd noise\\n")
        libc = ctypes.CDLL(None)
        libc.puts(b"native noise")
        libc.fflush(None)
        subprocess.run(["echo", "child noise"], check=True)
        protocol.write(b'{"jsonrpc": "2.0", "method": "ping"}\\n')
        protocol.flush()
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b'{"jsonrpc": "2.0", "method": "ping"}\n'
    for noise in (b"print noise", b"fd noise", b"native noise", b"child noise"):
        assert noise in done.stderr


# streamable HTTP


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def http_server(library: Library) -> Iterator[str]:
    port = _free_port()
    log = library.home.parent / f"http-{port}.log"
    with log.open("w") as errlog:
        process = subprocess.Popen(
            [str(SECTOR), "mcp", "--http", str(port)],
            cwd=library.docs,
            env=_environment(library.home),
            stdout=errlog,
            stderr=errlog,
        )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"sector mcp --http did not listen:\n{log.read_text()}")
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(timeout=10)


def test_streamable_http(http_server: str) -> None:
    async def main() -> None:
        async with (
            streamable_http_client(http_server) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            found = await session.call_tool("search_context", {"query": "recursive base case"})
            top = _structured(found)["passages"][0]
            assert top["label"] == "book.pdf, p. 1" and top["page"] == 1

    anyio.run(main)


def test_a_taken_port_is_a_one_line_error(library: Library) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(SECTOR), "mcp", "--http", str(port)],
            env=_environment(library.home),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port} (")
    assert done.stderr.count("\n") == 1
