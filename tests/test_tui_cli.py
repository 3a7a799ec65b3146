"""`sector tui` as a real process: the headless screenshot (what `make demo` and the docs
use), the command's bad input, and the full-screen app in a real terminal (a pty)."""

from __future__ import annotations

import html
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

SECTOR = Path(sys.executable).with_name("sector")


def sector(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECTOR_RUNNER": "local"}
    return subprocess.run(
        [str(SECTOR), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def svg_text(path: Path) -> str:
    svg = path.read_text(encoding="utf-8")
    found = "".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    return " ".join(html.unescape(found).replace("\xa0", " ").split())  # lines joined


@pytest.fixture
def project(workdir: Path, local_runner) -> Path:  # type: ignore[no-untyped-def]
    (workdir / "count.py").write_text("for i in range(3):\n    print('line', i)\n")
    assert sector("init", cwd=workdir).returncode == 0
    assert sector("file", "add", "count.py", cwd=workdir).returncode == 0
    return workdir


def test_screenshot_runs_the_file_and_saves_the_run_panel(project: Path) -> None:
    out = project / "shot.svg"
    done = sector("tui", "--screenshot", str(out), "--run", "count.py", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Saved {out}"
    text = svg_text(out)
    assert "line 0" in text and "line 2" in text
    assert "accepted · exit 0 ·" in text and "run #1 (local)" in text
    assert "count.py python accepted" in text  # the tree has the new verdict
    assert sector("runs", "ls", "--json", cwd=project).stdout.count('"accepted"') == 1


def test_screenshot_of_a_folder_that_is_not_a_project(workdir: Path) -> None:
    out = workdir / "shot.svg"
    done = sector("tui", "--screenshot", str(out), "--size", "80x24", cwd=workdir)
    assert done.returncode == 0, done.stderr
    text = svg_text(out)
    assert f"{workdir} is not a Sector project" in text and "sector init" in text
    assert not (workdir / ".sector").exists()  # offered, not done


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "does not exist"),
        (["--size", "big", "--screenshot", "x.svg"], "is not COLUMNSxLINES"),
        (["--screenshot", "x.png"], "is not an .svg file"),
        (["--screenshot", "x.svg", "--run", "none.py"], "no such file"),
    ],
)
def test_bad_input_is_one_line(workdir: Path, args: list[str], message: str) -> None:
    done = sector("tui", *args, cwd=workdir)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2  # the error and its hint


def _read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{wanted!r} not shown; got {seen[-400:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the terminal closed: the app ended
                break
    return seen


def test_the_app_runs_in_a_real_terminal_and_quits_with_ctrl_q(project: Path) -> None:
    main, child = pty.openpty()
    env = {**os.environ, "SECTOR_RUNNER": "local", "TERM": "xterm-256color"}
    env.update(COLUMNS="100", LINES="30")
    began = time.monotonic()
    process = subprocess.Popen(
        [str(SECTOR), "tui"], cwd=project, env=env, stdin=child, stdout=child, stderr=child
    )
    os.close(child)
    try:
        _read_until(main, b"count.py", timeout=20)
        painted = time.monotonic() - began
        os.write(main, b"\x11")  # Ctrl-Q
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert painted < 10, painted
