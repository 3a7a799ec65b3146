"""`sector tui` as a real process: the headless screenshot (what `make demo` and the docs
use), the command's bad input, and the full-screen app in a real terminal (a pty)."""

from __future__ import annotations

import fcntl
import html
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
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


class Terminal:
    """`sector tui` in a pseudo-terminal of 100x30, as a user's terminal runs it."""

    def __init__(self, cwd: Path, **env: str) -> None:
        main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        environment = {**os.environ, "SECTOR_RUNNER": "local", "TERM": "xterm-256color", **env}
        environment["COLORTERM"] = "truecolor"
        self.process = subprocess.Popen(
            [str(SECTOR), "tui"], cwd=cwd, env=environment, stdin=child, stdout=child, stderr=child
        )
        os.close(child)
        self.fd = main
        self.seen = b""

    def wait_for(self, wanted: bytes, timeout: float = 20) -> None:
        """Read the screen's bytes until `wanted` shows (escape sequences and all)."""
        deadline = time.monotonic() + timeout
        while wanted not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{wanted!r} not shown; got {self.seen[-400:]!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:  # the terminal closed: the app ended
                    raise AssertionError(f"the app ended before {wanted!r}") from None

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def quit(self) -> int:
        self.type(b"\x11")  # Ctrl-Q
        try:
            return self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self.fd)


def test_a_real_terminal_runs_a_program_with_typed_input_and_quits(project: Path) -> None:
    (project / "ask.py").write_text("print('hello', input('Name? '))\n")
    assert sector("file", "add", "ask.py", cwd=project).returncode == 0
    began = time.monotonic()
    terminal = Terminal(project)
    terminal.wait_for(b"count.py")
    painted = time.monotonic() - began
    terminal.type(b"\x1b[B\r")  # down to ask.py (the first file), Enter opens it
    terminal.wait_for(b"input")  # its source shows
    terminal.type(b"\x1b[15~")  # F5
    terminal.wait_for(b"Ctrl-C stops it")  # running, and the input line has the focus
    terminal.type(b"Ada\r")
    terminal.wait_for(b"hello Ada")
    terminal.wait_for(b"accepted")
    assert terminal.quit() == 0
    assert painted < 10, painted


def _colours(screen: bytes) -> set[tuple[int, int, int]]:
    found = re.findall(rb"\x1b\[[0-9;]*?[34]8;2;(\d+);(\d+);(\d+)", screen)
    return {(int(r), int(g), int(b)) for r, g, b in found}


@pytest.mark.parametrize("no_color", [False, True])
def test_no_color_draws_in_greys_only(project: Path, no_color: bool) -> None:
    terminal = Terminal(project, **({"NO_COLOR": "1"} if no_color else {}))
    terminal.wait_for(b"count.py")
    terminal.wait_for(b"palette")  # the footer: the whole screen was drawn
    assert terminal.quit() == 0
    colours = _colours(terminal.seen)
    assert colours, "no truecolor output at all"
    greys = all(r == g == b for r, g, b in colours)
    assert greys is no_color, sorted(colours)[:10]
