"""`sector run` and the run history, end to end through the CLI, with both real runners."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE
from tests.test_runners_hostile import processes_with

SECTOR = Path(sys.executable).with_name("sector")


@pytest.fixture
def runner_name(request, runner, monkeypatch) -> str:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", f"*={TEST_IMAGE}")
    return runner.name


def write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(code)
    return path


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_run_streams_output_and_prints_the_verdict(sector, workdir, runner_name) -> None:
    write(workdir, "hi.py", "import sys\nprint('hello', input())\nprint('oops', file=sys.stderr)")
    result = sector("run", "hi.py", "--runner", runner_name, input="Ada\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello Ada\n"
    assert "oops" in result.stderr
    assert "accepted · exit 0 ·" in result.stderr and f"({runner_name})" in result.stderr


def test_json_is_ndjson_events(sector, workdir, runner_name) -> None:
    write(workdir, "x.py", "print(1)")
    events = lines(sector("run", "x.py", "--runner", runner_name, "--json").stdout)
    assert (events[0]["event"], events[-1]["event"]) == ("started", "finished")
    outputs = events[1:-1]
    assert {(e["event"], e["stream"]) for e in outputs} == {("output", "stdout")}
    assert "".join(e["data"] for e in outputs) == "1\n"
    assert events[-1]["verdict"] == "accepted" and events[-1]["run"] == events[0]["run"]


@pytest.mark.parametrize(
    ("code", "lang", "expected_exit", "verdict"),
    [
        ("raise SystemExit(3)", "python", 3, "wrong-exit"),
        ("import time\ntime.sleep(60)", "python", 124, "time-limit"),
        ("x = bytearray(2**31)", "python", 125, "memory-limit"),
        ("int main(void) { return nope; }", "c", 65, "compile-error"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGABRT)", "python", 134, "signaled"),
    ],
)
def test_exit_code_mirrors_the_verdict(
    sector, workdir, runner_name, code, lang, expected_exit, verdict
) -> None:
    result = sector("run", "-c", code, "--lang", lang, "-r", runner_name, "-t", "1", "-m", "64M")
    assert result.exit_code == expected_exit, result.output
    assert result.stderr.splitlines()[-1].startswith(verdict)


def test_snippet_args_and_stdin_file(sector, workdir, local_runner) -> None:
    write(workdir, "input.txt", "from a file\n")
    result = sector(
        "run",
        "-r",
        "local",
        "--stdin",
        "input.txt",
        "--lang",
        "python",
        "-c",
        "import sys\nprint(sys.argv[1:], input())",
        "--",
        "a",
        "--b",
    )
    assert result.stdout == "['a', '--b'] from a file\n"


def test_history_show_log_replay_rm(sector, workdir, local_runner) -> None:
    write(workdir, "p.py", "print(input().upper())")
    sector("run", "p.py", "-r", "local", input="quiet\n")
    listed = json.loads(sector("runs", "ls", "--json").stdout)
    assert [(r["id"], r["verdict"], r["source"]) for r in listed] == [(1, "accepted", "p.py")]
    shown = json.loads(sector("runs", "show", "1", "--json").stdout)
    assert shown["stdin"] == "quiet\n" and shown["stdout"] == "QUIET\n"
    assert shown["program"] == "p.py" and shown["code"] == "print(input().upper())"
    assert shown["files"] == [{"path": "p.py", "size": 22}]
    assert shown["limits"]["memory_bytes"] == 256 * 1024 * 1024
    log = lines(sector("runs", "log", "1", "--json").stdout)
    assert (log[0]["kind"], log[-1]["kind"]) == ("started", "finished")
    assert {e["kind"] for e in log[1:-1]} == {"stdout"}
    assert [e["t"] for e in log] == sorted(e["t"] for e in log)
    replay = sector("runs", "replay", "1", "--json")
    assert replay.exit_code == 0, replay.output
    summary = json.loads(replay.stdout.splitlines()[-1])
    assert summary["same_output"] and summary["same_verdict"] and summary["replay"] == 2
    assert json.loads(sector("runs", "show", "2", "--json").stdout)["replay_of"] == 1
    assert sector("runs", "rm", "1", "2", "--yes").exit_code == 0
    assert json.loads(sector("runs", "ls", "--json").stdout) == []


def test_replay_shows_a_diff_when_output_changes(sector, workdir, local_runner) -> None:
    write(workdir, "t.py", "import time\nprint(time.time_ns())")
    sector("run", "t.py", "-r", "local")
    replay = sector("runs", "replay", "1")
    assert replay.exit_code == 1
    assert "--- run #1" in replay.stdout and "+++ run #2" in replay.stdout


def test_filter_by_verdict_and_bad_filters(sector, workdir, local_runner) -> None:
    sector("run", "-r", "local", "-l", "python", "-c", "raise SystemExit(1)")
    sector("run", "-r", "local", "-l", "python", "-c", "pass")
    wrong = json.loads(sector("runs", "ls", "--verdict", "wrong-exit", "--json").stdout)
    assert [r["id"] for r in wrong] == [1]
    assert sector("runs", "ls", "--verdict", "meh").exit_code == 2
    assert sector("runs", "show", "99").exit_code == 2


def test_runs_belong_to_the_current_project(database_url, sector, workdir, local_runner) -> None:
    sector("init")
    write(workdir, "a.py", "pass")
    sector("run", "a.py", "-r", "local")
    os.chdir(workdir.parent)
    sector("run", "-r", "local", "-l", "python", "-c", "pass")
    assert len(json.loads(sector("runs", "ls", "--json").stdout)) == 2
    os.chdir(workdir)
    assert [r["source"] for r in json.loads(sector("runs", "ls", "--json").stdout)] == ["a.py"]
    assert len(json.loads(sector("runs", "ls", "--all", "--json").stdout)) == 2


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["missing.py"], ["does not exist"]),
        (["-c", "print(1)"], ["needs --lang"]),
        (["-c", "x", "--lang", "cobol"], ["unknown language", "python"]),
        (["notes.xyz"], ["cannot tell the language", "--lang"]),
        (["--stdin", "nothere.txt", "-c", "pass", "-l", "python"], ["cannot read --stdin"]),
        (["-c", "pass", "-l", "python", "-m", "lots"], ["--memory"]),
    ],
)
def test_bad_requests_are_usage_errors(sector, workdir, args, words) -> None:
    write(workdir, "notes.xyz", "hello")
    result = sector("run", *args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr


def test_missing_image_names_the_fix(sector, workdir, docker_runner, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", "python=sector-test/absent:1")
    result = sector("run", "-r", "docker", "-l", "python", "-c", "pass")
    assert result.exit_code == 1
    assert "docker pull sector-test/absent:1" in result.stderr


def test_unavailable_runner_names_the_fix(sector, workdir, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = sector("run", "-r", "docker", "-l", "python", "-c", "pass")
    assert result.exit_code == 1
    assert "no Docker engine answers" in result.stderr and "dockerd" in result.stderr


def test_runner_ls(sector, workdir, local_runner) -> None:
    rows = {row["name"]: row for row in json.loads(sector("runner", "ls", "--json").stdout)}
    assert rows["local"]["usable"] and "bubblewrap" in rows["local"]["isolation"]
    assert set(rows) == {"local", "docker"}


# The real command in a real terminal, signals and a vanishing engine -----------------------


def spawn_in_terminal(args: list[str], cwd: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execv(str(SECTOR), [str(SECTOR), *args])
    return pid, fd


def read_until(fd: int, needle: bytes, timeout: float = 20) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def test_interactive_input_in_a_terminal(workdir, local_runner) -> None:
    write(workdir, "ask.py", "name = input('name? ')\nprint('hello', name)")
    pid, fd = spawn_in_terminal(["run", "ask.py", "-r", "local"], workdir)
    assert b"name? " in read_until(fd, b"name? ")  # the prompt shows before any input
    os.write(fd, b"Grace\n")
    assert b"hello Grace" in read_until(fd, b"accepted")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_ctrl_c_stops_the_run_and_keeps_it(workdir, local_runner) -> None:
    marker = f"sector-ctrlc-{uuid.uuid4().hex}"
    write(workdir, "slow.py", f"import time\nprint('{marker}', flush=True)\ntime.sleep(60)")
    proc = subprocess.Popen(
        [SECTOR, "run", "slow.py", "-r", "local"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert marker.encode() in proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert processes_with(marker) == []
    listed = json.loads(
        subprocess.run(
            [SECTOR, "runs", "ls", "--json"], cwd=workdir, capture_output=True, text=True
        ).stdout
    )
    assert listed[0]["verdict"] == "interrupted"


def test_killing_sector_takes_the_local_sandbox_with_it(workdir, local_runner) -> None:
    marker = f"sector-killed-{uuid.uuid4().hex}"
    write(
        workdir,
        "slow.py",
        f"import subprocess\nsubprocess.run(['sh', '-c', 'sleep 60; : {marker}'])",
    )
    proc = subprocess.Popen([SECTOR, "run", "slow.py", "-r", "local"], cwd=workdir)
    deadline = time.monotonic() + 20
    while not processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []
    # its work folder (a tmpfs) is reclaimed by the next run
    from sector_cli.plugins.runners.common import WORK_BASE

    left = list(WORK_BASE.glob(f"run-{proc.pid}-*"))
    subprocess.run([SECTOR, "run", "-r", "local", "-l", "python", "-c", "pass"], cwd=workdir)
    assert not any(folder.exists() for folder in left)
    assert f"run-{proc.pid}-" not in Path("/proc/mounts").read_text()


def test_containers_of_a_killed_sector_are_reaped(workdir, docker_runner, monkeypatch) -> None:
    from sector_cli.plugins.runners.docker import connect

    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", f"*={TEST_IMAGE}")
    proc = subprocess.Popen(
        [
            SECTOR,
            "run",
            "-r",
            "docker",
            "-t",
            "1",
            "-l",
            "python",
            "-c",
            "import time\nprint('up', flush=True)\ntime.sleep(60)",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"up\n"
    proc.kill()
    proc.wait()
    client = connect()
    label = {"label": "sector.deadline"}
    assert client.api.containers(all=True, filters=label)  # left behind by the killed Sector
    from sector_cli.plugins.runners import docker as docker_module

    monkeypatch.setattr(docker_module.time, "time", lambda: time.monotonic() + 10**10)
    assert docker_module.reap_stale(client)
    assert client.api.containers(all=True, filters=label) == []
    client.close()


class EngineProxy:
    """A unix socket in front of the real Docker engine that can vanish on demand."""

    def __init__(self, target: str, path: Path) -> None:
        self.target, self.path = target, path
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen()
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)  # pass a half-close on (the client closing stdin)
        except OSError:
            pass

    def vanish(self) -> None:
        self.server.close()
        self.path.unlink()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def test_an_engine_that_disappears_mid_run(workdir, docker_runner, monkeypatch, tmp_path) -> None:
    real = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
    proxy = EngineProxy(real, tmp_path / "engine.sock")
    env = {
        **os.environ,
        "DOCKER_HOST": f"unix://{proxy.path}",
        "SECTOR_DOCKER_IMAGES": f"*={TEST_IMAGE}",
    }
    proc = subprocess.Popen(
        [
            SECTOR,
            "run",
            "-r",
            "docker",
            "-t",
            "5",
            "-l",
            "python",
            "-c",
            "import time\nprint('up', flush=True)\ntime.sleep(60)",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout.readline() == b"up\n"
    proxy.vanish()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in {1, 70}, err
    assert b"Traceback" not in err
    listed = json.loads(
        subprocess.run(
            [SECTOR, "runs", "ls", "--json"], cwd=workdir, capture_output=True, text=True
        ).stdout
    )
    assert listed[0]["verdict"] in {"internal-error", "time-limit"}


@pytest.fixture(autouse=True)
def no_containers_left_behind(request):
    """Tests that kill Sector on purpose must not leave containers for the next test."""
    yield
    if "docker_runner" not in request.fixturenames and "runner" not in request.fixturenames:
        return
    from sector_cli.errors import PluginError
    from sector_cli.plugins.runners.docker import connect

    try:
        client = connect()
    except PluginError:
        return
    for found in client.api.containers(all=True, filters={"label": "sector.deadline"}):
        client.api.remove_container(found["Id"], force=True)
    client.close()


def test_a_missing_toolchain_is_named_before_anything_runs(local_runner) -> None:
    import asyncio

    from sector_cli.errors import PluginError
    from sector_cli.plugins.runner import RunJob

    job = RunJob("rust", {"m.rs": b"fn main(){}"}, ["/work/m"], compile=["no-such-rustc", "m.rs"])

    async def collect() -> list:
        return [event async for event in local_runner.run(job)]

    with pytest.raises(PluginError, match="no-such-rustc"):
        asyncio.run(collect())


def test_java_where_a_jdk_is_installed(sector, workdir, local_runner) -> None:
    import shutil

    from sector_cli.plugins.runners.local import SANDBOX_PATH

    if not shutil.which("javac", path=SANDBOX_PATH):
        pytest.skip("no JDK under /usr on this machine")
    write(
        workdir,
        "Hello.java",
        "public class Hello { public static void main(String[] a) "
        '{ System.out.println("hi " + a.length); } }',
    )
    result = sector("run", "Hello.java", "-r", "local", "-m", "1G", "--", "x")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hi 1\n"


def test_runs_execute_concurrently(database_url, workdir, local_runner) -> None:
    import asyncio

    from sector_cli.runs.prepare import RunRequest
    from sector_cli.services import open_services

    runs = open_services().runs
    runner = runs.runner("local")
    code = "import time\nprint(time.time())\ntime.sleep(1)\nprint(time.time())"
    prepared = [runs.prepare(RunRequest(code=code, language="python")) for _ in range(3)]
    prepared = [(p.source, p.job) for p in prepared]

    async def all_of_them() -> list:
        async def one(source, job):
            execution = runs.start(source, job, runner)
            return [event async for event in execution.events][-1]

        return await asyncio.gather(*(one(source, job) for source, job in prepared))

    finished = asyncio.run(all_of_them())
    assert [f.verdict.value for f in finished] == ["accepted"] * 3
    spans = [[float(t) for t in runs.output(run.id or 0).split()] for run in runs.history()]
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # they overlapped


def test_runner_ls_names_missing_images(sector, workdir, docker_runner, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", f"*={TEST_IMAGE},python=sector-test/absent:1")
    rows = {row["name"]: row for row in json.loads(sector("runner", "ls", "--json").stdout)}
    assert rows["docker"]["missing"] == {"python": "sector-test/absent:1"}
    assert rows["docker"]["images"]["c"] == TEST_IMAGE
    human = sector("runner", "ls")
    assert "dockerpullsector-test/absent:1" in "".join(human.stdout.split())  # folded table


def test_net_is_refused_by_the_local_sandbox(sector, workdir, local_runner) -> None:
    result = sector("run", "-r", "local", "--net", "-l", "python", "-c", "pass")
    assert result.exit_code == 1 and "Use --runner docker" in result.stderr


@pytest.mark.parametrize(
    "limit", [["-t", "0"], ["-t", "-1"], ["-t", "nan"], ["-t", "inf"], ["-m", "1"], ["-m", "1e400"]]
)
def test_bad_limits_are_usage_errors(sector, workdir, limit) -> None:
    result = sector("run", "-r", "local", "-l", "python", "-c", "pass", *limit)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_too_much_input_is_refused(sector, workdir) -> None:
    big = workdir / "big.txt"
    with big.open("wb") as stream:
        stream.truncate(17 * 1024 * 1024)
    result = sector("run", "-r", "local", "--stdin", str(big), "-l", "python", "-c", "pass")
    assert result.exit_code == 2 and "larger than 16 MiB" in result.stderr


def test_a_file_name_that_is_not_utf8(sector, workdir, local_runner) -> None:
    odd = Path(os.fsdecode(bytes(workdir) + b"/odd\xff.py"))
    odd.write_text("print('fine')")
    result = sector("run", "-r", "local", str(odd))
    assert result.exit_code == 0 and result.stdout == "fine\n"
    assert json.loads(sector("runs", "ls", "--json").stdout)[0]["source"].endswith("odd\ufffd.py")


def test_a_reader_that_leaves_stops_the_run_quietly(workdir, local_runner) -> None:
    proc = subprocess.Popen(
        [
            SECTOR,
            "run",
            "-r",
            "local",
            "-l",
            "python",
            "-c",
            "import itertools\nfor n in itertools.count(): print(n)",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"0\n"
    proc.stdout.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 141 and b"error" not in err


def test_running_runs_can_be_listed_and_removed(workdir, local_runner) -> None:
    proc = subprocess.Popen(
        [
            SECTOR,
            "run",
            "-r",
            "local",
            "-l",
            "python",
            "-c",
            "import time\nprint('up', flush=True)\ntime.sleep(2)\nprint('end')",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"up\n"
    listed = subprocess.run(
        [SECTOR, "runs", "ls", "--verdict", "running", "--json"],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    assert [r["verdict"] for r in json.loads(listed.stdout)] == ["running"]
    assert subprocess.run([SECTOR, "runs", "rm", "1", "--yes"], cwd=workdir).returncode == 0
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == b"end\n"


def test_a_toolchain_missing_from_the_image(sector, workdir, docker_runner, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", f"*={TEST_IMAGE}")
    result = sector("run", "-r", "docker", "-l", "rust", "-c", "fn main() {}")
    assert result.exit_code == 1 and "is not in the Docker image" in result.stderr


def test_a_run_that_lost_its_sector_is_settled(database_url, workdir) -> None:
    from datetime import timedelta

    from sector_cli.plugins.runner import RunJob
    from sector_cli.services import open_services
    from sector_cli.store.models import Run
    from sector_cli.timeutil import utcnow

    runs = open_services().runs
    job = RunJob("python", {"a.py": b""}, ["python3", "a.py"])
    with runs.store.session() as session:
        session.add(
            Run(
                source="a.py",
                language="python",
                runner="local",
                job=job.to_json(),
                created_at=utcnow() - timedelta(hours=1),
            )
        )
        session.add(Run(source="b.py", language="python", runner="local", job=job.to_json()))
    verdicts = {run.source: run.verdict for run in runs.history()}
    assert verdicts == {"a.py": "internal-error", "b.py": None}
