"""Both runners against hostile programs: each ends with the right verdict, the host unharmed,
nothing left running, and nothing visible to the next run."""

from __future__ import annotations

import asyncio
import os
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sector_cli.plugins.runner import Limits, Output, RunFinished, RunJob, Verdict
from tests.conftest import TEST_IMAGE

MiB = 1024 * 1024


@dataclass
class Result:
    finished: RunFinished
    stdout: bytes = b""
    stderr: bytes = b""
    events: list = field(default_factory=list)


def run(runner, code: str, stdin: bytes = b"", args: list[str] | None = None, **limits) -> Result:
    base = {"wall_seconds": 5.0, "cpu_seconds": 5.0}
    job = RunJob(
        "python",
        {"main.py": textwrap.dedent(code).encode()},
        ["python3", "-u", "/work/main.py", *(args or [])],
        stdin=stdin,
        limits=Limits(**{**base, **limits}),
        image=TEST_IMAGE,
    )

    async def collect() -> list:
        return [event async for event in runner.run(job)]

    events = asyncio.run(collect())
    finished = events[-1]
    assert isinstance(finished, RunFinished), events
    out = b"".join(e.data for e in events if isinstance(e, Output) and e.stream == "stdout")
    err = b"".join(e.data for e in events if isinstance(e, Output) and e.stream == "stderr")
    return Result(finished, out, err, events)


def processes_with(marker: str) -> list[int]:
    """Host processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_hello_world(runner) -> None:
    result = run(runner, "print('hello', input())", stdin=b"sandbox\n")
    assert result.finished.verdict is Verdict.ACCEPTED
    assert result.stdout == b"hello sandbox\n"
    assert result.finished.exit_code == 0


def test_runs_as_an_unprivileged_user_without_network(runner) -> None:
    result = run(
        runner,
        """
        import os, socket
        print(os.getuid(), os.getgid())
        print(sorted(name for _, name in socket.if_nameindex()))
        """,
    )
    uid, interfaces = result.stdout.decode().splitlines()
    assert uid == "65534 65534"
    assert interfaces in ("['lo']", "[]")


def test_fork_bomb(runner) -> None:
    result = run(
        runner,
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """,
        wall_seconds=3,
        processes=32,
    )
    assert result.finished.verdict is Verdict.TIME_LIMIT
    pid = os.fork()  # the host can still fork
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def test_memory_bomb(runner) -> None:
    result = run(
        runner,
        "blocks = []\nwhile True: blocks.append(bytearray(16 * 1024 * 1024))",
        memory_bytes=128 * MiB,
    )
    assert result.finished.verdict is Verdict.MEMORY_LIMIT
    assert result.finished.peak_memory is None or result.finished.peak_memory <= 130 * MiB


def test_infinite_loop_hits_the_cpu_limit(runner) -> None:
    result = run(runner, "while True: pass", cpu_seconds=1, wall_seconds=10)
    assert result.finished.verdict is Verdict.TIME_LIMIT
    assert result.finished.wall < 10


def test_sleep_forever_hits_the_wall_limit(runner) -> None:
    result = run(runner, "import time\ntime.sleep(10**6)", wall_seconds=1)
    assert result.finished.verdict is Verdict.TIME_LIMIT
    assert "wall" in result.finished.detail


def test_cpu_spin_in_many_threads(runner) -> None:
    code = """
    import threading
    def spin():
        while True: pass
    for _ in range(16):
        threading.Thread(target=spin, daemon=True).start()
    threading.Event().wait()
    """
    result = run(runner, code, cpu_seconds=2, wall_seconds=4)
    assert result.finished.verdict is Verdict.TIME_LIMIT


def test_a_gigabyte_of_output_is_cut_at_the_limit(runner) -> None:
    code = "import sys\nfor _ in range(16384): sys.stdout.write('x' * 65536)"
    result = run(runner, code, output_bytes=2 * MiB)
    assert result.finished.verdict is Verdict.OUTPUT_LIMIT
    assert len(result.stdout) + len(result.stderr) == 2 * MiB


def test_filling_the_disk_stops_at_the_limit(runner) -> None:
    code = """
    import os
    written = 0
    for place in ("/work/fill", "/tmp/fill"):
        try:
            with open(place, "wb") as f:
                while True:
                    f.write(b"x" * 1048576)
                    f.flush()
                    written += 1
        except OSError as exc:
            print(place, "stopped:", exc.strerror)
    """
    result = run(runner, code, disk_bytes=16 * MiB, memory_bytes=256 * MiB)
    assert result.finished.verdict in {Verdict.ACCEPTED, Verdict.SIGNALED}
    lines = result.stdout.decode().splitlines()
    assert any(line.startswith("/work/fill stopped") for line in lines), result


def test_no_network_to_the_host_loopback_or_beyond(runner) -> None:
    code = """
    import socket
    for host, port in (("127.0.0.1", 5432), ("127.0.0.1", 6379)):
        try:
            socket.create_connection((host, port), timeout=2)
            print(host, port, "CONNECTED")
        except OSError as exc:
            print(host, port, "refused")
    try:
        socket.getaddrinfo("pypi.org", 443)
        print("dns RESOLVED")
    except OSError:
        print("dns failed")
    """
    result = run(runner, code)
    assert b"CONNECTED" not in result.stdout and b"RESOLVED" not in result.stdout
    assert result.stdout.count(b"refused") == 2


def test_host_files_are_out_of_reach(runner, sector_home: Path) -> None:
    secret = sector_home / "data" / "sector.db"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("private")
    code = f"""
    import os
    for path in ("/etc/shadow", "/root", {str(secret)!r}, {str(Path.home())!r}):
        try:
            if os.path.isdir(path):
                print(path, "LISTED", os.listdir(path))
            else:
                print(path, "READ", open(path).read()[:10])
        except OSError as exc:
            print(path, "denied")
    """
    result = run(runner, code)
    assert b"READ" not in result.stdout, result.stdout
    assert b"LISTED" not in result.stdout or b"LISTED []" in result.stdout


def test_writing_outside_the_work_folder_fails(runner) -> None:
    code = """
    for path in ("/usr/evil", "/etc/evil", "/evil", "/bin/evil"):
        try:
            open(path, "w").write("x")
            print(path, "WRITTEN")
        except OSError:
            print(path, "denied")
    open("/work/fine", "w").write("ok")
    print("work ok")
    """
    result = run(runner, code)
    assert b"WRITTEN" not in result.stdout
    assert b"work ok" in result.stdout
    assert not Path("/usr/evil").exists() and not Path("/etc/evil").exists()


def test_background_processes_do_not_survive_the_run(runner) -> None:
    marker = f"sector-orphan-{uuid.uuid4().hex}"
    code = f"""
    import subprocess
    subprocess.Popen(["sh", "-c", "exec sleep 300 # {marker}"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("spawned")
    """
    result = run(runner, code)
    assert result.finished.verdict is Verdict.ACCEPTED
    assert processes_with(marker) == []


def test_nothing_is_left_for_the_next_run(runner) -> None:
    run(runner, "open('/tmp/left', 'w').write('x')\nopen('/dev/shm/left', 'w').write('x')")
    result = run(
        runner, "import os\nprint(os.path.exists('/tmp/left'), os.path.exists('/dev/shm/left'))"
    )
    assert result.stdout == b"False False\n"


def test_huge_argv(runner) -> None:
    args = ["a" * 1000] * 1000  # 1 MB of arguments
    result = run(runner, "import sys\nprint(len(sys.argv) - 1)", args=args)
    assert result.finished.verdict is Verdict.ACCEPTED
    assert result.stdout == b"1000\n"


def test_huge_environment_is_the_program_own_problem(runner) -> None:
    code = """
    import os, subprocess
    try:
        subprocess.run(["true"], env={"BIG": "x" * (64 * 1024 * 1024)})
        print("ran")
    except OSError as exc:
        print("refused:", exc.strerror)
    """
    result = run(runner, code, memory_bytes=512 * MiB)
    assert result.finished.verdict in {Verdict.ACCEPTED, Verdict.MEMORY_LIMIT}


def test_non_utf8_output_is_kept_exactly(runner) -> None:
    result = run(runner, "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00ok\\n')")
    assert result.stdout == b"\xff\xfe\x00ok\n"


def test_killing_its_parent_or_everyone_harms_nothing(runner) -> None:
    code = """
    import os, signal
    for target in (os.getppid(), -1):
        try:
            os.kill(target, signal.SIGKILL)
        except OSError as exc:
            print("kill", target, "failed")
    print("still here")
    """
    result = run(runner, code)
    assert result.finished.verdict in {Verdict.ACCEPTED, Verdict.SIGNALED}


def test_signal_death_is_reported(runner) -> None:
    result = run(runner, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert result.finished.verdict is Verdict.SIGNALED
    assert "SIGSEGV" in result.finished.detail


def test_wrong_exit_code(runner) -> None:
    result = run(runner, "raise SystemExit(3)")
    assert (result.finished.verdict, result.finished.exit_code) == (Verdict.WRONG_EXIT, 3)


def test_compile_error_has_its_own_verdict_and_messages(runner) -> None:
    job = RunJob(
        "c",
        {"main.c": b"int main(void) { return oops; }\n"},
        ["/work/main.out"],
        compile=["gcc", "-o", "/work/main.out", "/work/main.c"],
        image=TEST_IMAGE,
    )

    async def collect() -> list:
        return [event async for event in runner.run(job)]

    events = asyncio.run(collect())
    assert events[-1].verdict is Verdict.COMPILE_ERROR
    messages = b"".join(e.data for e in events if isinstance(e, Output))
    assert b"oops" in messages and all(
        e.stream == "compile" for e in events if isinstance(e, Output)
    )


@pytest.mark.parametrize(
    ("language", "name", "source", "compile_", "command"),
    [
        (
            "c",
            "main.c",
            b'#include <stdio.h>\nint main(void){puts("c ok");}\n',
            ["gcc", "-o", "/work/main.out", "/work/main.c"],
            ["/work/main.out"],
        ),
        (
            "cpp",
            "main.cpp",
            b'#include <iostream>\nint main(){std::cout<<"cpp ok\\n";}\n',
            ["g++", "-o", "/work/main.out", "/work/main.cpp"],
            ["/work/main.out"],
        ),
        ("javascript", "main.js", b'console.log("js ok")\n', None, ["node", "/work/main.js"]),
    ],
)
def test_languages(runner, language, name, source, compile_, command) -> None:
    job = RunJob(language, {name: source}, command, compile=compile_, image=TEST_IMAGE)

    async def collect() -> list:
        return [event async for event in runner.run(job)]

    events = asyncio.run(collect())
    assert events[-1].verdict is Verdict.ACCEPTED, events
    output = b"".join(e.data for e in events if isinstance(e, Output) and e.stream == "stdout")
    assert output == f"{language.replace('javascript', 'js')} ok\n".encode()


def sector_cgroups() -> set[str]:
    """Every `sector-run-*` cgroup on this machine (Sector's own and Docker parents)."""
    root = Path("/sys/fs/cgroup")
    found = set()
    for pattern in ("*/sector-run-*", "*/*/sector-run-*", "*/*/*/sector-run-*"):
        found |= {str(path) for path in root.glob(pattern)}
    return found


def test_no_cgroup_is_left_behind(runner) -> None:
    before = sector_cgroups()
    run(runner, "print('x')")
    run(runner, "import time\ntime.sleep(5)", wall_seconds=0.5)
    assert sector_cgroups() - before == set()


def test_no_nested_user_namespaces(runner) -> None:
    code = """
    import subprocess
    done = subprocess.run(["unshare", "-r", "true"], capture_output=True)
    print("nested root" if done.returncode == 0 else "refused")
    """
    assert run(runner, code).stdout == b"refused\n"


def test_a_squatted_work_base_is_refused(local_runner, tmp_path, monkeypatch) -> None:
    from sector_cli.errors import PluginError
    from sector_cli.plugins.runners import common

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    squatted = tmp_path / "base"
    squatted.symlink_to(elsewhere)
    monkeypatch.setattr(common, "WORK_BASE", squatted)
    with pytest.raises(PluginError, match="not a private folder"):
        run(local_runner, "print(1)")
