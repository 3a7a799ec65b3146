"""A proxy in front of a real OpenAI-compatible server that injects one fault on demand:
an HTTP 500 (always, or only on the first request), a stream cut after some chunks, a
malformed chunk, or an error event in the middle of the stream."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class FaultyProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, fault: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.fault, self.requests = upstream.rstrip("/"), fault, 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FaultyProxy
    protocol_version = "HTTP/1.1"

    def _fail(self, status: int) -> None:
        body = b'{"error": {"message": "injected failure", "type": "server_error"}}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        response = httpx.get(self.server.upstream + self.path, timeout=30)
        self.send_response(response.status_code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    def do_POST(self) -> None:
        self.server.requests += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        fault = self.server.fault
        if fault == "500" or (fault == "500-once" and self.server.requests == 1):
            self._fail(500)
            return
        if fault == "401":
            self._fail(401)
            return
        url = self.server.upstream + self.path
        with httpx.stream(
            "POST", url, content=body, timeout=120, headers={"Content-Type": "application/json"}
        ) as response:
            self.send_response(response.status_code)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            chunks = 0
            for line in response.iter_lines():
                if line.startswith("data:"):
                    chunks += 1
                    if chunks == 4 and fault == "cut":
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    if chunks == 4 and fault == "malformed":
                        line = 'data: {"choices": [{"delta": {"content": "x"'
                    if chunks == 4 and fault == "error-event":
                        line = 'data: {"error": {"message": "the model crashed"}}'
                self.wfile.write(line.encode() + b"\n")
                self.wfile.flush()

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def faulty_proxy(upstream: str, fault: str) -> Iterator[FaultyProxy]:
    server = FaultyProxy(upstream, fault)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
