"""Every run's cgroups, work folder and container go away on every exit path: a reader that
closes the pipe early, and a `sector` killed with SIGKILL (the next run reaps what it left)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sector_cli.plugins.runners.cgroups import PREFIX, ROOT
from sector_cli.plugins.runners.common import WORK_BASE
from tests.conftest import TEST_IMAGE

SECTOR = str(Path(sys.executable).with_name("sector"))
ENV = {**os.environ, "SECTOR_DOCKER_IMAGES": f"*={TEST_IMAGE}"}


def leftovers(pid: int) -> list[str]:
    """Cgroups, work folders and containers that the Sector process `pid` made."""
    found = [str(p) for p in ROOT.glob(f"*/**/{PREFIX}{pid}-*") if p.is_dir()]
    found += [str(p) for p in WORK_BASE.glob(f"run-{pid}-*")]
    if os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists():
        from sector_cli.plugins.runners.docker import OWNER_LABEL, connect

        client = connect()
        try:
            found += [
                c["Id"]
                for c in client.api.containers(all=True, filters={"label": f"{OWNER_LABEL}={pid}"})
            ]
        finally:
            client.close()
    return found


def choose(request: pytest.FixtureRequest, sandbox: str) -> str:
    """The runner's name for `sandbox`, its sandbox set in ENV; skips (or fails) where it
    cannot run."""
    runner_name, _, kind = sandbox.partition("-")
    ENV.pop("SECTOR_LOCAL_SANDBOX", None)
    if kind:
        ENV["SECTOR_LOCAL_SANDBOX"] = kind
        request.getfixturevalue("monkeypatch").setenv("SECTOR_LOCAL_SANDBOX", kind)
    request.getfixturevalue(f"{runner_name}_runner")
    return runner_name


def start(runner_name: str, program: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [SECTOR, "run", "--runner", runner_name, str(program)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )


@pytest.mark.parametrize("sandbox", ["local-bwrap", "local-unshare", "docker"])
def test_reader_leaving_early_leaves_nothing(
    request: pytest.FixtureRequest, sandbox: str, tmp_path: Path
) -> None:
    runner_name = choose(request, sandbox)
    program = tmp_path / "loud.py"
    program.write_text("while True:\n    print('x' * 100, flush=True)\n")
    process = start(runner_name, program)
    assert process.stdout is not None
    assert len(process.stdout.read(10)) == 10
    process.stdout.close()  # `| head -c 10`
    assert process.wait(60) == 141
    assert leftovers(process.pid) == []


@pytest.mark.parametrize("sandbox", ["local-bwrap", "local-unshare", "docker"])
def test_the_next_run_reaps_a_killed_sector(
    request: pytest.FixtureRequest, sandbox: str, tmp_path: Path
) -> None:
    runner_name = choose(request, sandbox)
    program = tmp_path / "slow.py"
    program.write_text("import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    process = start(runner_name, program)
    assert process.stdout is not None
    assert process.stdout.readline() == b"started\n"
    left = leftovers(process.pid)
    assert left  # it is mid-run: its groups, folder or container exist
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.stdout.close()
    quick = tmp_path / "quick.py"
    quick.write_text("print('next')\n")
    done = subprocess.run(
        [SECTOR, "run", "--runner", runner_name, str(quick)],
        capture_output=True,
        env=ENV,
        timeout=120,
    )
    assert done.stdout == b"next\n", done.stderr
    assert leftovers(process.pid) == []


@pytest.mark.parametrize("sandbox", ["bwrap", "unshare"])
def test_a_sandbox_that_cannot_start_leaves_no_cgroup(
    sandbox: str, local_runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step's cgroup is made before the sandbox process: when that cannot start (EAGAIN
    at the process limit, a failed exec), the group goes too."""
    import asyncio

    from sector_cli.plugins.runner import Limits, RunJob
    from sector_cli.plugins.runners import local

    monkeypatch.setenv("SECTOR_LOCAL_SANDBOX", sandbox)

    async def refuse(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(local.asyncio, "create_subprocess_exec", refuse)
    program = {"main.py": b"print(1)\n"}
    job = RunJob("python", program, ["python3", "/work/main.py"], limits=Limits())

    async def collect() -> list[object]:
        return [event async for event in local_runner.run(job)]

    with pytest.raises(BlockingIOError):
        asyncio.run(collect())
    assert leftovers(os.getpid()) == []
