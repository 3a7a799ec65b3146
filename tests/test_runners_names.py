"""File names and arguments that are not UTF-8 reach the sandbox byte for byte, on every
runner (Docker's API is JSON, which cannot carry them as they are)."""

from __future__ import annotations

import asyncio
import os

from sector_cli.plugins.runner import Limits, Output, RunFinished, RunJob, Verdict
from sector_cli.plugins.runners.docker import portable_command
from tests.conftest import TEST_IMAGE

NAME = os.fsdecode(b"bad_\xff\xfename.py")
PROGRAM = b"""
import os, sys
out = sys.stdout.buffer
out.write(os.fsencode(sys.argv[0]) + b"\\n")
out.write(b"|".join(os.fsencode(a) for a in sys.argv[1:]) + b"\\n")
out.write(b",".join(sorted(os.listdir(b"/work"))) + b"\\n")
"""


def test_a_non_utf8_file_name_and_arguments_arrive_unchanged(runner) -> None:
    args = [os.fsdecode(b"\xe9t\xe9"), "-x", "it's 100%", "new\n", "$HOME"]
    job = RunJob(
        "python",
        {NAME: PROGRAM},
        ["python3", "-u", f"/work/{NAME}", *args],
        limits=Limits(wall_seconds=10, cpu_seconds=5),
        image=TEST_IMAGE,
    )

    async def collect() -> list:
        return [event async for event in runner.run(job)]

    events = asyncio.run(collect())
    finished = events[-1]
    stdout = b"".join(e.data for e in events if isinstance(e, Output) and e.stream == "stdout")
    assert isinstance(finished, RunFinished) and finished.verdict is Verdict.ACCEPTED, events
    assert stdout == (
        b"/work/bad_\xff\xfename.py\n"
        b"\xe9t\xe9|-x|it's 100%|new\n|$HOME\n"  # the newline kept, $HOME not expanded
        b"bad_\xff\xfename.py\n"
    )


def test_a_utf8_command_is_passed_as_it_is() -> None:
    command = ["python3", "-u", "/work/héllo.py", "-x"]
    assert portable_command(command) is command
