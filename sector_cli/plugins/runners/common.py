"""What both runners share: the work folder, the verdict rules and the compile-then-run stream."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from sector_cli.errors import PluginError, UsageError
from sector_cli.plugins.runner import (
    Limits,
    Output,
    RunEvent,
    RunFinished,
    RunJob,
    RunStarted,
    Verdict,
)

SANDBOX_UID = 65534  # nobody: programs never run as root, even when Sector does
# Under /tmp so that `nobody` can reach it; one per user, checked before use (see work_base).
WORK_BASE = Path(tempfile.gettempdir()) / f"sector-sandbox-{os.geteuid()}"


def is_root() -> bool:
    return os.geteuid() == 0


def sandbox_uid() -> int:
    return SANDBOX_UID if is_root() else os.getuid()


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise UsageError(f"file name {name!r} escapes the work folder", "Use relative names")
    return path


MS_NOSUID, MS_NODEV, MNT_DETACH, UMOUNT_NOFOLLOW = 2, 4, 2, 8


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(folder: Path, options: str) -> bool:
    """mount(2) directly: a `mount` process would cost more than the rest of a run's setup."""
    flags = MS_NOSUID | MS_NODEV
    done: int = _libc().mount(b"tmpfs", bytes(folder), b"tmpfs", flags, options.encode())
    return done == 0


def _remove_folder(folder: Path) -> None:
    # NOFOLLOW: never unmount what a symlink points at; fails harmlessly when nothing is mounted
    _libc().umount2(bytes(folder), MNT_DETACH | UMOUNT_NOFOLLOW)
    shutil.rmtree(folder, ignore_errors=True)


def work_base() -> Path:
    """The parent of work folders, refused unless it is a real folder of ours that no one
    else can write: root mounts and chowns inside it, so no one may plant a symlink there."""
    with contextlib.suppress(FileExistsError):
        WORK_BASE.mkdir(mode=0o711)
    info = WORK_BASE.lstat()
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        raise PluginError(
            f"{WORK_BASE} is not a private folder of this user",
            "Remove it (someone else may have made it), then run again",
        )
    return WORK_BASE


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale_folders() -> None:
    """Remove work folders whose Sector process is gone (it was killed before cleaning up)."""
    for folder in work_base().glob("run-*-*"):
        owner = folder.name.split("-")[1]
        if owner.isdigit() and not _alive(int(owner)) and not folder.is_symlink():
            _remove_folder(folder)


@contextlib.contextmanager
def work_folder(job: RunJob, limits: Limits) -> Iterator[Path]:
    """A fresh folder holding the job's files, owned by the sandbox user, removed afterwards.

    As root it is a tmpfs of `limits.disk_bytes`, so a program cannot fill the host's disk;
    otherwise RLIMIT_FSIZE bounds each file it writes.
    """
    reap_stale_folders()
    folder = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=work_base()))
    try:
        if is_root():
            options = f"size={limits.disk_bytes},mode=0700,uid={SANDBOX_UID},gid={SANDBOX_UID}"
            _mount_tmpfs(folder, options)
        for name, content in job.files.items():
            target = folder / _safe_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if is_root():
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)
        folder.chmod(0o700)
        yield folder
    finally:
        _remove_folder(folder)


@dataclass(frozen=True)
class Exit:
    """How a sandboxed process ended, as the runner observed it."""

    exit_code: int | None  # None when it died by a signal
    signal: int | None = None
    timed_out: bool = False
    output_exceeded: bool = False
    oom_killed: bool = False
    cpu: float | None = None


def from_status(status: int) -> tuple[int | None, int | None]:
    """(exit code, signal) from a shell-style status, where 128+N means signal N."""
    if status < 0:
        return None, -status
    if 128 < status < 128 + signal.NSIG:
        return None, status - 128
    return status, None


def decide(ended: Exit, limits: Limits) -> tuple[Verdict, str]:
    """The verdict for a run step, with a few words of detail."""
    if ended.output_exceeded:
        return Verdict.OUTPUT_LIMIT, f"more than {limits.output_bytes:,} bytes of output"
    if ended.timed_out:
        return Verdict.TIME_LIMIT, f"still running after {limits.wall_seconds:g}s (wall)"
    if ended.oom_killed:
        return Verdict.MEMORY_LIMIT, f"over {limits.memory_bytes // (1024 * 1024)} MiB"
    cpu_spent = ended.cpu is not None and ended.cpu >= limits.cpu_seconds
    if ended.signal == signal.SIGXCPU or (ended.signal == signal.SIGKILL and cpu_spent):
        return Verdict.TIME_LIMIT, f"used {limits.cpu_seconds:g}s of CPU"
    if ended.signal is not None:
        return Verdict.SIGNALED, f"killed by {signal.Signals(ended.signal).name}"
    if ended.exit_code == 0:
        return Verdict.ACCEPTED, ""
    return Verdict.WRONG_EXIT, f"exit code {ended.exit_code}"


def stderr_name(stdout_name: str) -> str:
    """The name a step's error output goes by: a compile step's both streams are "compile"."""
    return "compile" if stdout_name == "compile" else "stderr"


@dataclass(frozen=True)
class StepResult:
    """The end of one sandboxed command."""

    ended: Exit
    wall: float
    peak_memory: int | None


class Step(Protocol):
    """Runs one command in a runner's sandbox: yields its output, then one StepResult."""

    def __call__(
        self,
        command: list[str],
        limits: Limits,
        stdin: bytes,
        live: AsyncIterator[bytes] | None,
        started: float,
        stdout_name: str,
    ) -> AsyncGenerator[Output | StepResult, None]: ...


async def compile_then_run(
    runner: str, job: RunJob, live: AsyncIterator[bytes] | None, step: Step
) -> AsyncGenerator[RunEvent, None]:
    """The event stream every runner produces: compile (when needed), then run."""
    started = time.monotonic()
    yield RunStarted(runner, 0.0)
    steps: list[tuple[list[str], Limits, bytes, AsyncIterator[bytes] | None, str]] = []
    if job.compile:
        steps.append((job.compile, job.compile_limits, b"", None, "compile"))
    steps.append((job.run, job.limits, job.stdin, live, "stdout"))
    for command, limits, stdin, stream, name in steps:
        # aclosing: a step's cleanup (its cgroup, its container) must run now, not whenever
        # the garbage collector finalises the generator.
        async with contextlib.aclosing(
            step(command, limits, stdin, stream, started, name)
        ) as items:
            async for item in items:
                if not isinstance(item, StepResult):
                    yield item
                    continue
                verdict, detail = decide(item.ended, limits)
                if name == "compile" and verdict is Verdict.ACCEPTED:
                    break
                if name == "compile":
                    verdict, detail = Verdict.COMPILE_ERROR, f"compile: {detail or 'failed'}"
                elapsed = time.monotonic() - started
                yield RunFinished(
                    verdict,
                    item.ended.exit_code,
                    item.wall,
                    item.ended.cpu,
                    item.peak_memory,
                    elapsed,
                    detail,
                    item.ended.signal,
                )
                return
