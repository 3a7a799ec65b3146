"""A stand-in for an Ollama server (none can run here), speaking its documented HTTP API:
GET /api/version, GET /api/tags, and POST /api/chat streaming NDJSON chunks, ending with a
`done: true` chunk that carries the token counts. Shapes follow Ollama's docs/api.md."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.serving import serving

MODEL = "llama3.2:latest"


class FakeOllama(ThreadingHTTPServer):
    def __init__(self, answer: list[str], models: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.models = models
        self.requests: list[dict[str, Any]] = []

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOllama

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/api/version":
            self._json(200, {"version": "0.5.7"})
        elif self.path == "/api/tags":
            models = [
                {
                    "name": m,
                    "model": m,
                    "modified_at": "2026-11-01T10:00:00Z",
                    "size": 2019393189,
                    "digest": "a80c4f17acd5",
                    "details": {"format": "gguf", "family": "llama"},
                }
                for m in self.server.models
            ]
            self._json(200, {"models": models})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append(request)
        if self.path != "/api/chat":
            self._json(404, {"error": "not found"})
            return
        model = request.get("model", "")
        if model not in self.server.models and f"{model}:latest" not in self.server.models:
            self._json(404, {"error": f'model "{model}" not found, try pulling it first'})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for piece in self.server.answer:
            self._chunk(
                {
                    "model": model,
                    "created_at": "2026-11-27T00:00:00Z",
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
            )
        self._chunk(
            {
                "model": model,
                "created_at": "2026-11-27T00:00:01Z",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "total_duration": 4883583458,
                "load_duration": 1334875,
                "prompt_eval_count": 26,
                "prompt_eval_duration": 342546000,
                "eval_count": len(self.server.answer),
                "eval_duration": 4535599000,
            }
        )

    def _chunk(self, body: dict[str, Any]) -> None:
        self.wfile.write(json.dumps(body).encode() + b"\n")
        self.wfile.flush()

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def fake_ollama(
    answer: list[str] | None = None, models: list[str] | None = None
) -> Iterator[FakeOllama]:
    server = FakeOllama(answer or ["Closures ", "capture ", "variables."], models or [MODEL])
    with serving(server):
        yield server
