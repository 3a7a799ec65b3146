"""What of Sector's own process a sandboxed program can see: its environment (API keys), its
open files, the host path of the work folder. Each check runs on every runner."""

from __future__ import annotations

import os
import uuid

import pytest

from sector_cli.plugins.runner import Verdict
from sector_cli.plugins.runners.common import WORK_BASE
from tests.test_runners_hostile import run

# Every process the program can see: environment, command line and the stack, where a
# process keeps its original environment block even after clearing its variables.
READ_EVERY_PROCESS = """
import os, sys
seen = bytearray()
count = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    for name in ("environ", "cmdline"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as handle:
                seen += handle.read()
            count += 1
        except OSError:
            pass
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
            for line in maps:
                if line.rstrip().endswith("[stack]"):
                    start, end = (int(x, 16) for x in line.split()[0].split("-"))
                    mem.seek(start)
                    seen += mem.read(end - start)
    except (OSError, ValueError, OverflowError):
        pass
sys.stdout.buffer.write(b"%d files\\n" % count + bytes(seen))
"""


def test_sectors_environment_is_not_visible(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"sk-SECRET-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("SECTOR_SOMETHING_PRIVATE", secret)
    result = run(runner, READ_EVERY_PROCESS)
    assert result.finished.verdict is Verdict.ACCEPTED, result.stderr
    assert int(result.stdout.split(b" ", 1)[0]) >= 2  # at least its own environ and cmdline
    assert secret.encode() not in result.stdout
    assert b"OPENAI_API_KEY" not in result.stdout


def test_no_file_descriptor_of_sector_is_inherited(runner) -> None:
    reader, writer = os.pipe()  # an inheritable descriptor Sector holds while it runs
    os.set_inheritable(reader, True)
    os.set_inheritable(writer, True)
    try:
        result = run(
            runner,
            """
            import os
            opened = []
            for fd in range(3, 4096):
                try:
                    os.fstat(fd)
                    opened.append(fd)
                except OSError:
                    pass
            print(opened)
            """,
        )
    finally:
        os.close(reader)
        os.close(writer)
    assert result.finished.verdict is Verdict.ACCEPTED, result.stderr
    assert result.stdout == b"[]\n"


def test_host_work_path_is_not_visible(runner) -> None:
    result = run(
        runner,
        """
        import os, sys
        for path in ["/proc/self/mountinfo", "/proc/self/mounts"] + [
            f"/proc/{p}/cmdline" for p in os.listdir("/proc") if p.isdigit()
        ]:
            try:
                with open(path, "rb") as handle:
                    sys.stdout.buffer.write(handle.read())
            except OSError:
                pass
        """,
    )
    assert result.finished.verdict is Verdict.ACCEPTED, result.stderr
    assert b" /work " in result.stdout  # the mount table was read
    assert str(WORK_BASE).encode() not in result.stdout
    assert b"sector-sandbox" not in result.stdout
