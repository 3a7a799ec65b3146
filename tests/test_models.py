"""`sector models pull` against a real local HTTP server serving the real bundled GGUF."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fakes.serving import serving

REPO = "owner/Tiny-GGUF"


class Hub(BaseHTTPRequestHandler):
    """Serves `files` as Hugging Face does (/{repo}/resolve/main/{file}, X-Linked-ETag,
    Range); `cut_after` bytes into the first full download it drops the connection."""

    def do_GET(self) -> None:
        name = self.path.removeprefix(f"/{REPO}/resolve/main/")
        body = self.server.files.get(name)  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        start = int(self.headers.get("Range", "bytes=0-")[6:].rstrip("-") or 0)
        self.server.ranges.append(start)  # type: ignore[attr-defined]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body) - start))
        digest = self.server.etag or hashlib.sha256(body).hexdigest()  # type: ignore[attr-defined]
        self.send_header("X-Linked-ETag", f'"{digest}"')
        self.end_headers()
        cut = self.server.cut_after  # type: ignore[attr-defined]
        if cut and not start:
            self.server.cut_after = 0  # type: ignore[attr-defined]
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body[start:])

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def hub(
    files: dict[str, bytes], cut_after: int = 0, etag: str = ""
) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    server.files, server.cut_after, server.etag, server.ranges = files, cut_after, etag, []  # type: ignore[attr-defined]
    with serving(server):
        yield server


@pytest.fixture
def gguf(bundled_model: Path) -> bytes:
    return bundled_model.read_bytes()


def _use(monkeypatch, server: ThreadingHTTPServer) -> None:
    monkeypatch.setenv("SECTOR_HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")


def test_pull_resumes_a_cut_download_and_the_model_answers(
    sector, workdir, gguf, monkeypatch, sector_home
) -> None:
    with hub({"tiny.gguf": gguf}, cut_after=len(gguf) // 3) as server:
        _use(monkeypatch, server)
        first = sector("models", "pull", f"{REPO}/tiny.gguf", "--json")
        assert first.exit_code == 1 and "resumes" in first.stderr
        assert len(first.stderr.strip().splitlines()) == 1
        second = sector("models", "pull", f"{REPO}/tiny.gguf", "--json")
        assert second.exit_code == 0, second.output
        asked_from = server.ranges[-1]  # type: ignore[attr-defined]
    pulled = json.loads(second.stdout)
    assert 0 < pulled["resumed_from"] == asked_from <= len(gguf) // 3
    assert pulled["size"] == len(gguf)
    assert pulled["sha256"] == hashlib.sha256(gguf).hexdigest()
    path = Path(pulled["path"])
    assert path.read_bytes() == gguf and not path.with_name("tiny.gguf.part").exists()
    listed = json.loads(sector("models", "ls", "-b", "local", "--json").stdout)[0]
    assert listed["default"] != "tiny" and "tiny" in listed["models"]  # installed, not default
    by_name = sector("ask", "Say hello.", "-m", "tiny", "--temperature", "0", "--max-tokens", "8")
    assert by_name.exit_code == 0 and by_name.stdout.strip(), by_name.output
    monkeypatch.setenv("SECTOR_LOCAL_MODEL", str(path))
    listed = json.loads(sector("models", "ls", "-b", "local", "--json").stdout)[0]
    assert listed["default"] == "tiny" and listed["models"][0] == "tiny"
    answer = sector("ask", "Say hello.", "--temperature", "0", "--max-tokens", "16")
    assert answer.exit_code == 0 and answer.stdout.strip(), answer.output


@pytest.mark.parametrize(
    ("name", "words"),
    [("missing.gguf", ["HTTP 404"]), ("notes.gguf", ["not a GGUF"])],
)
def test_pull_refuses_what_is_not_there_or_not_a_model(
    sector, workdir, gguf, monkeypatch, name, words
) -> None:
    with hub({"notes.gguf": b"# just text\n" * 100}) as server:
        _use(monkeypatch, server)
        result = sector("models", "pull", f"{REPO}/{name}")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr
    from sector_cli.assistant.models import models_dir

    assert not list(models_dir().glob("*.gguf*"))  # nothing stored wrongly


def test_a_checksum_mismatch_keeps_nothing(sector, workdir, gguf, monkeypatch) -> None:
    from sector_cli.assistant.models import models_dir

    with hub({"tiny.gguf": gguf}, etag="0" * 64) as server:
        _use(monkeypatch, server)
        result = sector("models", "pull", f"{REPO}/tiny.gguf")
        assert result.exit_code == 1 and "checksum mismatch" in result.stderr
        assert not list(models_dir().glob("*.gguf*"))
        wrong = sector("models", "pull", f"{REPO}/tiny.gguf", "--sha256", "1" * 64)
        assert wrong.exit_code == 1 and "checksum mismatch" in wrong.stderr
    assert sector("models", "pull", "not-a-name").exit_code == 2
