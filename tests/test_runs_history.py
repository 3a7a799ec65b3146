"""History that tells the truth: what ran is stored as it happened, what was refused is not
stored at all, and `runs show` says why, in units people read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE

SECTOR = Path(sys.executable).with_name("sector")


def listed(sector) -> list[dict]:
    return json.loads(sector("runs", "ls", "--json").stdout)


def stored() -> tuple[int, int, int]:
    """(runs, events, blobs) in the store: a refused run leaves none of them."""
    from sqlmodel import func, select

    from sector_cli.services import open_services
    from sector_cli.store.models import Blob, Run, RunEventRow

    with open_services().store.session() as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Run, RunEventRow, Blob)
        )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_keeps_its_real_wall_time(workdir, local_runner, stop) -> None:
    (workdir / "slow.py").write_text("import time\nprint('up', flush=True)\ntime.sleep(60)")
    proc = subprocess.Popen(
        [SECTOR, "run", "slow.py", "-r", "local"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"up\n"
    time.sleep(2.5)
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"kept as it was" in err
    shown = subprocess.run(
        [SECTOR, "runs", "show", "1", "--json"], cwd=workdir, capture_output=True, text=True
    )
    run = json.loads(shown.stdout)
    assert run["verdict"] == "interrupted"
    assert run["detail"] == "interrupted before the program finished"
    assert run["wall"] >= 2.5  # it ran at least as long as we waited before stopping it
    assert run["stdout"] == "up\n"


def test_net_on_the_local_sandbox_is_refused_and_not_stored(
    database_url, sector, workdir, local_runner
) -> None:
    (workdir / "n.py").write_text("print(1)")
    result = sector("run", "n.py", "-r", "local", "--net")
    assert result.exit_code == 1 and "Use --runner docker" in result.stderr
    assert listed(sector) == [] and stored() == (0, 0, 0)


def test_a_missing_image_is_refused_and_not_stored(
    sector, workdir, docker_runner, monkeypatch
) -> None:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", "python=sector-test/absent:1")
    result = sector("run", "-r", "docker", "-l", "python", "-c", "pass")
    assert result.exit_code == 1 and "docker pull sector-test/absent:1" in result.stderr
    assert listed(sector) == [] and stored() == (0, 0, 0)


def test_a_toolchain_missing_from_the_image_is_not_stored(
    sector, workdir, docker_runner, monkeypatch
) -> None:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", f"*={TEST_IMAGE}")
    result = sector("run", "-r", "docker", "-l", "rust", "-c", "fn main() {}")
    assert result.exit_code == 1 and "is not in the Docker image" in result.stderr
    assert listed(sector) == [] and stored() == (0, 0, 0)


def test_a_missing_local_toolchain_is_not_stored(sector, workdir, local_runner) -> None:
    import asyncio

    from sector_cli.errors import PluginError
    from sector_cli.plugins.runner import RunJob
    from sector_cli.services import open_services

    runs = open_services().runs
    job = RunJob("rust", {"m.rs": b"fn main(){}"}, ["/work/m"], compile=["no-such-rustc", "m.rs"])
    execution = runs.start("m.rs", job, runs.runner("local"))

    async def drain() -> None:
        async for _ in execution.events:
            pass

    with pytest.raises(PluginError, match="no-such-rustc"):
        asyncio.run(drain())
    assert runs.history() == [] and stored() == (0, 0, 0)
    # what did run stays, with the same files stored once
    (workdir / "ok.py").write_text("print('ok')")
    assert sector("run", "ok.py", "-r", "local").exit_code == 0
    assert [run["verdict"] for run in listed(sector)] == ["accepted"]


def test_runs_show_json_says_why(sector, workdir, local_runner) -> None:
    sector("run", "-r", "local", "-l", "python", "-c", "raise SystemExit(3)")
    sector("run", "-r", "local", "-t", "1", "-l", "python", "-c", "while True: pass")
    first = json.loads(sector("runs", "show", "1", "--json").stdout)
    assert (first["verdict"], first["detail"]) == ("wrong-exit", "exit code 3")
    second = json.loads(sector("runs", "show", "2", "--json").stdout)
    assert second["verdict"] == "time-limit" and "1s" in second["detail"]
    assert {row["id"]: row["detail"] for row in listed(sector)} == {
        1: "exit code 3",
        2: second["detail"],
    }


def test_runs_show_speaks_in_units(sector, workdir, local_runner) -> None:
    (workdir / "p.py").write_text("print('x' * 10)")
    sector("run", "p.py", "-r", "local", "-m", "128M", "-t", "5")
    shown = sector("runs", "show", "1")
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "5 s wall, 5 s CPU, 128 MiB memory, 64 processes, 1 MiB output" in text
    assert "no network" in text
    assert "python3 -u /work/p.py" in text
    assert "Limits(" not in text and "134217728" not in text
    peak = json.loads(sector("runs", "show", "1", "--json").stdout)["peak_memory"]
    if peak is not None:  # the local sandbox measures it where it has cgroups
        assert str(peak) not in text and "MiB" in text.split("peak_memory", 1)[1][:20]
    assert "p.py (15 B)" in text


def test_an_old_database_keeps_its_runs(tmp_path, monkeypatch) -> None:
    """Runs recorded before the blob store: their files move into it on upgrade."""
    import base64

    from sqlalchemy import create_engine, text

    from sector_cli.store import migrate
    from sector_cli.store.engine import Store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection, "0004")
        job = {
            "language": "python",
            "files": {"a.py": base64.b64encode(b"print(1)").decode()},
            "run": ["python3", "-u", "/work/a.py"],
            "compile": None,
            "stdin": "",
            "limits": {},
            "compile_limits": {},
        }
        connection.execute(
            text(
                "INSERT INTO runs (source, language, runner, job, verdict, created_at) "
                "VALUES ('a.py', 'python', 'local', :job, 'wrong-exit', CURRENT_TIMESTAMP)"
            ),
            {"job": json.dumps(job).encode()},
        )
        finished = json.dumps({"detail": "exit code 1"}).encode()
        connection.execute(
            text(
                "INSERT INTO run_events (run_id, seq, t, kind, data) "
                "VALUES (1, 1, 0.1, 'finished', :data)"
            ),
            {"data": finished},
        )
    engine.dispose()
    monkeypatch.setenv("SECTOR_DATABASE_URL", url)
    from sector_cli.services import open_services

    runs = open_services().runs
    run = runs.get(1)
    assert runs.job(run).files == {"a.py": b"print(1)"}
    assert run.detail == "exit code 1"
    from alembic import command
    from alembic.config import Config

    store = Store(url)
    with store.engine.begin() as connection:  # and back: the files return into the job
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
        raw = connection.execute(text("SELECT job FROM runs")).scalar_one()
    assert json.loads(raw)["files"] == job["files"]
    store.close()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["viz", "ds", "prog.py", "--var", "nothere"], ["no variable nothere"]),
        (["viz", "ds", "prog.py", "--var", "fill:nope"], ["'nope'"]),
        (["viz", "ds", "prog.py", "--var", "items", "--kind", "heap"], ["unknown kind"]),
        (["viz", "ds", "prog.py", "--var", "items", "--out", "x.pdf"], [".svg or .html"]),
        (["viz", "calltree", "prog.py", "--out", "x.png"], [".svg or .html"]),
        (["viz", "calltree", "prog.py", "--out", "no/such/dir/x.svg"], ["no folder"]),
    ],
)
def test_viz_checks_its_options_before_running(sector, workdir, args, words) -> None:
    (workdir / "prog.py").write_text(
        "def fill(n):\n    items = []\n    for i in range(n):\n        items.append(i)\n"
        "    return items\n\nitems = fill(3)\n"
    )
    result = sector(*args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr
    assert listed(sector) == []  # nothing ran, so nothing is in history


def test_viz_ds_with_a_good_var_still_runs_and_keeps_the_run(sector, workdir, local_runner):
    (workdir / "prog.py").write_text("items = []\nfor i in range(3):\n    items.append(i)\n")
    result = sector("viz", "ds", "prog.py", "--var", "items", "-r", "local", "--json")
    assert result.exit_code == 0, result.output
    assert [run["verdict"] for run in listed(sector)] == ["accepted"]


def _stop_after_up(command: list[str], cwd: Path, stop: signal.Signals) -> tuple[int, bytes]:
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().endswith(b"up\n")
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_replay_is_kept_as_it_was(workdir, local_runner, stop) -> None:
    (workdir / "slow.py").write_text("import time\nprint('up', flush=True)\ntime.sleep(60)")
    assert _stop_after_up([SECTOR, "run", "slow.py", "-r", "local"], workdir, stop)[0] == 130
    code, err = _stop_after_up([SECTOR, "runs", "replay", "1"], workdir, stop)
    assert code == 130, err
    assert err.decode().strip().splitlines() == ["interrupted: run #2 kept as it was"]
    shown = subprocess.run(
        [SECTOR, "runs", "show", "2", "--json"], cwd=workdir, capture_output=True, text=True
    )
    run = json.loads(shown.stdout)
    assert (run["verdict"], run["replay_of"], run["stdout"]) == ("interrupted", 1, "up\n")


def test_ctrl_c_prints_only_sectors_own_line(workdir, local_runner) -> None:
    """Ctrl-C reaches the whole foreground process group, the sandbox included; the sandbox
    ending first must not make asyncio's child watcher warn `Unknown child process pid`."""
    code = (
        "import os, time\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    (workdir / "forks.py").write_text(code)
    for attempt in range(6):
        proc = subprocess.Popen(
            [SECTOR, "run", "forks.py", "-r", "local"],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,  # a group of its own, as a shell gives a foreground job
        )
        assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
        time.sleep(0.2 * attempt)  # a spread of moments: the race is one of timing
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert err.decode() == f"interrupted: run #{attempt + 1} kept as it was\n", attempt
