"""Fixtures: an isolated SECTOR_HOME per test, and each test against SQLite and PostgreSQL.

PostgreSQL tests use the server in SECTOR_TEST_POSTGRES_URL (default: the local one); each
test gets a database of its own, dropped afterwards. They skip when no server answers, unless
SECTOR_REQUIRE names `postgres` (as CI does), where they fail instead.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from sector_cli.cli.app import app

pytest_plugins = ["tests.tutor_trace"]  # the `traced` fixture of the trace tests

# A suite started in the background of a non-interactive shell inherits SIGINT ignored, and
# so would every `sector` the Ctrl-C tests start: take it back, so they see Ctrl-C as a user's
# terminal sends it (a handled signal is reset to its default in a child at exec).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

POSTGRES_URL = os.environ.get(
    "SECTOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def required(component: str) -> bool:
    wanted = os.environ.get("SECTOR_REQUIRE", "")
    return component in {part.strip() for part in wanted.split(",")}


def skip_or_fail(component: str, reason: str) -> None:
    if required(component):
        pytest.fail(f"{component} is required here (SECTOR_REQUIRE) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def embedder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the ONNX export of the embedding model, shared by the whole session:
    the one `make setup` made when it is current, else a new one that the first test that
    embeds makes (about 10 s) and the others load."""
    from sector_cli.errors import SectorError
    from sector_cli.plugins.embedders import onnx_export

    try:
        made = onnx_export.current()
    except SectorError:  # no bundled model: the tests that need it skip or fail on their own
        made = None
    return made.folder if made else tmp_path_factory.mktemp("embedder-cache")


@pytest.fixture(autouse=True)
def sector_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder_cache: Path) -> Path:
    """Every test writes under its own SECTOR_HOME and sees no SECTOR_* from outside."""
    for name in list(os.environ):
        if name.startswith("SECTOR_") and name not in {"SECTOR_REQUIRE", "SECTOR_DEBUG"}:
            monkeypatch.delenv(name)
    monkeypatch.delenv("SECTOR_DEBUG", raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("SECTOR_HOME", str(home))
    monkeypatch.setenv("SECTOR_EMBEDDER_CACHE", str(embedder_cache))
    return home


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder, made the current directory."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def _admin_engine():
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test."""
    engine = _admin_engine()
    name = f"sector_test_{uuid.uuid4().hex[:12]}"
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        engine.dispose()
        skip_or_fail("postgres", f"no PostgreSQL at {POSTGRES_URL}: {exc}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, sector_home: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run the test once on SQLite (the default file) and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{sector_home / 'data' / 'sector.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("SECTOR_DATABASE_URL", url)
    return url


class Sector:
    """Runs `sector` in-process through Typer's runner."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, list(args), input=input)


@pytest.fixture
def sector() -> Sector:
    return Sector()


# Runners --------------------------------------------------------------------------------------

TEST_IMAGE = os.environ.get("SECTOR_TEST_IMAGE", "sector-sandbox:bookworm")


def _local_runner():  # type: ignore[no-untyped-def]
    from sector_cli.plugins.runners.local import LocalRunner

    runner = LocalRunner()
    availability = runner.availability()
    if not availability.ok:
        skip_or_fail("bwrap", f"the local sandbox cannot run here: {availability.detail}")
    return runner


def _docker_runner():  # type: ignore[no-untyped-def]
    from sector_cli.plugins.runners.docker import DockerRunner, connect

    runner = DockerRunner()
    availability = runner.availability()
    if not availability.ok:
        skip_or_fail("docker", f"no Docker engine: {availability.detail}")
    client = connect()
    try:
        client.images.get(TEST_IMAGE)
    except Exception:
        skip_or_fail("docker", f"image {TEST_IMAGE} missing: run scripts/build-images.sh")
    finally:
        client.close()
    return runner


@pytest.fixture(params=["local-bwrap", "local-unshare", "docker"])
def runner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Each runner test runs against the real local sandbox (with bubblewrap, and with
    util-linux `unshare`) and the real Docker engine."""
    if request.param == "docker":
        return _docker_runner()
    monkeypatch.setenv("SECTOR_LOCAL_SANDBOX", request.param.removeprefix("local-"))
    return _local_runner()


@pytest.fixture
def local_runner():  # type: ignore[no-untyped-def]
    return _local_runner()


@pytest.fixture
def docker_runner():  # type: ignore[no-untyped-def]
    return _docker_runner()


# Models ---------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    """The real bundled GGUF model, usable through llama.cpp."""
    from sector_cli.plugins.backends.local import LocalBackend

    availability = LocalBackend().availability()
    if not availability.ok:
        skip_or_fail("llama", f"the local model cannot run: {availability.detail}")
    path = LocalBackend().path
    assert path is not None
    return path


@pytest.fixture(scope="session")
def llama_server(bundled_model: Path) -> Iterator[str]:
    """A real OpenAI-compatible server (llama_cpp.server) serving the bundled model."""
    import subprocess
    import sys
    import tempfile
    import time

    import httpx

    port = _free_port()
    handle, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
    os.close(handle)
    log_path = Path(name)
    with log_path.open("wb") as log:  # the server keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(bundled_model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        tail = log_path.read_text(errors="replace")[-2000:]
        pytest.fail(f"llama_cpp.server did not start:\n{tail}")
    yield base
    process.terminate()
    process.wait(timeout=10)
