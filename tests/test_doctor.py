"""`sector doctor`: every check reported with a fix; required ones set the exit code."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

CHECKS = {
    "database",
    "docker",
    "local sandbox",
    "local model",
    "embedding model",
    "ollama",
    "plugins",
    "paths",
}


def checks(result) -> dict[str, dict]:
    return {row["check"]: row for row in json.loads(result.stdout)}


def test_reports_every_check_and_fixes_for_missing_ones(database_url, sector, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = sector("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = checks(result)
    assert set(found) == CHECKS
    assert found["database"]["ok"] and "schema" in found["database"]["detail"]
    assert not found["docker"]["ok"] and "docker" in found["docker"]["fix"]
    for row in found.values():
        assert row["ok"] or row["fix"], row


def test_unreachable_database_fails_the_doctor(sector, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_DATABASE_URL", "postgresql://x@127.0.0.1:1/none")
    result = sector("doctor", "--json")
    assert result.exit_code == 1
    database = checks(result)["database"]
    assert not database["ok"] and "sector doctor" in database["fix"]


class FakeOllama(BaseHTTPRequestHandler):
    """Answers GET /api/version as Ollama's API documentation describes it."""

    def do_GET(self) -> None:
        if self.path != "/api/version":
            self.send_error(404)
            return
        body = json.dumps({"version": "0.5.7"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def ollama_host():
    server = HTTPServer(("127.0.0.1", 0), FakeOllama)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_ollama_answering_is_reported(sector, monkeypatch, ollama_host: str) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_host)
    ollama = checks(sector("doctor", "--json"))["ollama"]
    assert ollama["ok"] and "0.5.7" in ollama["detail"]


def test_table_output_for_people(sector, workdir: Path) -> None:
    result = sector("doctor")
    assert result.exit_code == 0
    assert "database" in result.stdout and "Fix" in result.stdout
