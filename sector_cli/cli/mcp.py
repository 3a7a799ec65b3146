"""`sector mcp`: the context index over the Model Context Protocol, for AI clients."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sector_cli.context.service import Context

HTTP_PATH = "/mcp"


def mcp(
    http: Annotated[
        int | None,
        typer.Option(
            "--http",
            metavar="PORT",
            min=1,
            max=65535,
            help=f"Serve streamable HTTP on this port (at {HTTP_PATH}) instead of stdio.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on with --http.")] = (
        "127.0.0.1"
    ),
) -> None:
    """Serve the context index over the Model Context Protocol (stdio, or streamable HTTP with
    --http PORT)."""
    from sector_cli.errors import EXIT_INTERRUPTED

    try:
        if http is None:
            _serve_stdio()
        else:
            _serve_http(host, http)
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _open_context() -> Context:
    from sector_cli.services import open_services

    return open_services().context


def _serve_stdio() -> None:
    from sector_cli.mcp.stdio import protocol_stream, reserve_stdout

    protocol = reserve_stdout()  # before anything else can write to stdout
    if sys.stdin.isatty():
        print(
            "sector mcp speaks MCP on stdin and stdout: start it from an MCP client "
            "(see docs/mcp.md). Ctrl-C stops it.",
            file=sys.stderr,
        )
    import anyio

    from sector_cli.mcp.server import build_server

    server = build_server(_open_context)
    anyio.run(server.run_stdio, anyio.wrap_file(protocol_stream(protocol)))


def _serve_http(host: str, port: int) -> None:
    from functools import partial

    import anyio

    from sector_cli.mcp.server import build_server

    _check_port(host, port)
    server = build_server(_open_context)
    shown = f"[{host}]" if ":" in host else host
    print(f"sector mcp: serving http://{shown}:{port}{HTTP_PATH}", file=sys.stderr, flush=True)
    serve = partial(
        server.run_streamable_http_async, host=host, port=port, streamable_http_path=HTTP_PATH
    )
    anyio.run(serve)


def _check_port(host: str, port: int) -> None:
    """A one-line error now rather than a server log line when the port is taken."""
    import os
    import socket

    from sector_cli.errors import UsageError

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise UsageError(
            f"cannot listen on {host}:{port} ({reason})",
            "Choose another port with --http PORT, or another address with --host",
        ) from None
