"""The local runner: bubblewrap namespaces, an unprivileged uid, cgroups and rlimits.

See docs/runs.md for exactly what it protects against and what it does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import os
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from functools import partial
from pathlib import Path, PurePosixPath

from sector_cli.config import env
from sector_cli.errors import PluginError, UsageError
from sector_cli.plugins.base import Availability
from sector_cli.plugins.runner import (
    WORK_DIR,
    Limits,
    Output,
    RunEvent,
    RunJob,
    Runner,
)
from sector_cli.plugins.runners import unshare as unshare_sandbox
from sector_cli.plugins.runners.cgroups import Cgroup
from sector_cli.plugins.runners.common import (
    SANDBOX_UID,
    StepResult,
    compile_then_run,
    is_root,
    stderr_name,
    work_base,
    work_folder,
)
from sector_cli.plugins.runners.pump import Ended, pump

SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC_FILES = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "ssl",
    "ca-certificates",
    "os-release",
    "mime.types",
)
READ_CHUNK = 65536
INSTALL_HINT = "apt-get install bubblewrap"
# bubblewrap's own environment: its init (pid 1 in the sandbox) keeps it in /proc/1/environ,
# where the program can read it, so Sector's variables (API keys) must never reach it.
HOST_ENV = {"PATH": SANDBOX_PATH, "LANG": "C.UTF-8"}
PROGRAM_ENV = {"PATH": SANDBOX_PATH, "HOME": WORK_DIR, "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
# Which sandbox the local runner uses: auto (bubblewrap when installed, else unshare),
# bwrap or unshare.
SANDBOX_ENV = env.SECTOR_LOCAL_SANDBOX
SANDBOXES = ("auto", "bwrap", "unshare")


def _system_mounts() -> list[str]:
    """Read-only views of the system's programs and libraries, nothing else of the host."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL:
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", str(host.readlink()), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for java in sorted(Path("/etc").glob("java-*")):
        args += ["--ro-bind-try", str(java), str(java)]
    return args


def _mount_args(read_only: Mapping[str, str]) -> list[str]:
    """bubblewrap arguments showing host folders read-only at the job's sandbox paths; a path
    that would hide or sit inside what the sandbox itself sets up is refused."""
    reserved = [PurePosixPath(p) for p in (WORK_DIR, "/proc", "/dev", "/tmp", "/usr", "/etc")]
    reserved += [PurePosixPath("/", name) for name in TOP_LEVEL]
    args = []
    for inside, host in sorted(read_only.items()):
        target = PurePosixPath(inside)
        clean = target.is_absolute() and ".." not in target.parts and str(target) == inside
        if (
            not clean
            or target == PurePosixPath("/")
            or any(target.is_relative_to(r) or r.is_relative_to(target) for r in reserved)
        ):
            raise UsageError(
                f"cannot mount a folder at {inside!r} in the sandbox",
                "Use a plain absolute path outside /work, /proc, /dev, /tmp, /usr, /etc",
            )
        if not Path(host).exists():
            raise PluginError(
                f"{host} does not exist: the sandbox cannot show it", "Check the path"
            )
        if not _reachable(Path(host)):
            raise PluginError(
                f"the sandbox user cannot read {host}: it or a folder above it is private",
                "Let others read it (chmod o+rx), or use a copy in a public folder",
            )
        args += ["--ro-bind", host, inside]
    return args


def _reachable(host: Path) -> bool:
    """Whether the sandbox's user can reach `host`: as root, the sandbox runs as nobody."""
    if not is_root():
        return True
    path = host.resolve()
    if any(not folder.stat().st_mode & stat.S_IXOTH for folder in path.parents):
        return False
    wanted = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)
    return path.stat().st_mode & wanted == wanted


def bwrap_command(
    bwrap: str,
    folder: Path | None,
    command: list[str],
    limits: Limits,
    read_only: Mapping[str, str] | None = None,
) -> list[str]:
    """The bubblewrap command line; `folder` (None for a probe) becomes /work, and
    `read_only` (sandbox path -> host path) adds read-only views."""
    work = ["--bind", str(folder), WORK_DIR, "--chdir", WORK_DIR] if folder else []
    work += _mount_args(read_only or {})
    nested = ["--unshare-user", "--disable-userns"] if _supports_disable_userns(bwrap) else []
    return [
        bwrap,
        "--unshare-all",
        *nested,
        "--die-with-parent",
        "--new-session",
        *_system_mounts(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/dev/shm",
        "--tmpfs",
        "/tmp",
        *work,
        "--remount-ro",
        "/",
        "--clearenv",
        "--setenv",
        "PATH",
        SANDBOX_PATH,
        "--setenv",
        "HOME",
        WORK_DIR,
        "--setenv",
        "TMPDIR",
        "/tmp",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--hostname",
        "sandbox",
        "--",
        *command,
    ]


def options_in_fd(argv: list[str]) -> tuple[list[str], int]:
    """Move bubblewrap's options into a memfd it reads with `--args`: its command line is the
    sandbox's /proc/1/cmdline, which would show the host path of the work folder."""
    split = argv.index("--")
    fd = os.memfd_create("bwrap-args", 0)
    os.write(fd, b"".join(os.fsencode(arg) + b"\0" for arg in argv[1:split]))
    os.lseek(fd, 0, os.SEEK_SET)
    return [argv[0], "--args", str(fd), *argv[split:]], fd


@functools.cache
def _supports_disable_userns(bwrap: str) -> bool:
    """bubblewrap 0.8 can forbid user namespaces inside the sandbox (no nested root)."""
    try:
        done = subprocess.run(
            [bwrap, "--help"], capture_output=True, text=True, timeout=5, env=HOST_ENV
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "--disable-userns" in done.stdout + done.stderr


def _enter_sandbox(
    cgroup_files: list[str], limits: Limits, has_cgroup: bool, drop_root: bool = True
) -> None:
    """Runs in the child between fork and exec: join the cgroups, set rlimits, drop root
    (the unshare sandbox's init needs root to build its root, then drops it itself)."""
    for path in cgroup_files:
        with open(path, "w") as handle:  # noqa: PTH123 (no pathlib between fork and exec)
            handle.write(str(os.getpid()))
    cpu = int(limits.cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.disk_bytes, limits.disk_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not has_cgroup:  # without cgroups these are the only bounds; they count per uid/process
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        memory = limits.memory_bytes * 4  # address space, not resident memory
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if not drop_root:
        _die_with_parent()
    elif is_root():
        os.setgroups([])
        os.setgid(SANDBOX_UID)
        os.setuid(SANDBOX_UID)


def _die_with_parent() -> None:
    """`unshare` dies when Sector does (bubblewrap's --die-with-parent); its --kill-child
    then takes the sandbox with it."""
    PR_SET_PDEATHSIG = 1
    _libc().prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def chosen_sandbox() -> str:
    """`bwrap` or `unshare`, as SECTOR_LOCAL_SANDBOX asks (auto: bubblewrap when installed)."""
    wanted = os.environ.get(SANDBOX_ENV, "auto").strip().lower() or "auto"
    if wanted not in SANDBOXES:
        raise UsageError(
            f"{SANDBOX_ENV}={wanted!r} is not a sandbox", f"Use one of {', '.join(SANDBOXES)}"
        )
    if wanted == "auto":
        return "bwrap" if shutil.which("bwrap") else "unshare"
    return wanted


def sandbox_command(
    folder: Path | None,
    root: Path | None,
    command: list[str],
    limits: Limits,
    read_only: Mapping[str, str],
) -> tuple[list[str], int, bool]:
    """(argv, fd to pass, drop root before exec) for the chosen sandbox."""
    if chosen_sandbox() == "unshare":
        unshare = unshare_sandbox.unshare_path()
        if unshare is None or root is None:
            raise PluginError("util-linux `unshare` is not installed", f"Run `{INSTALL_HINT}`")
        plan = unshare_sandbox.plan(
            folder, root, command, limits, _system_mounts(), read_only, PROGRAM_ENV
        )
        argv, fd = unshare_sandbox.command_and_fd(unshare, plan)
        return argv, fd, False
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise PluginError("bubblewrap (bwrap) is not installed", f"Run `{INSTALL_HINT}`")
    argv, fd = options_in_fd(bwrap_command(bwrap, folder, command, limits, read_only))
    return argv, fd, True


class LocalRunner(Runner):
    name = "local"
    summary = "Local sandbox: bubblewrap namespaces, no network, cgroup and rlimit limits"
    isolation = (
        "bubblewrap (user, pid, net, mount, ipc, uts namespaces), uid nobody, read-only /usr, "
        "private /tmp, cgroup pids/memory limits, rlimits"
    )
    read_only_mounts = True

    def availability(self) -> Availability:
        try:
            sandbox = chosen_sandbox()
        except UsageError as exc:
            return Availability(False, exc.message, exc.hint or "")
        if sandbox == "unshare":
            return _unshare_availability()
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            return Availability(False, "bubblewrap (bwrap) is not installed", INSTALL_HINT)
        probe, fd, _ = sandbox_command(None, None, ["true"], Limits(), {})
        done = _probe(probe, fd, True)
        if isinstance(done, str):
            return Availability(False, f"bubblewrap cannot start: {done}", INSTALL_HINT)
        if done.returncode != 0:
            reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            fix = "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
            return Availability(False, f"bubblewrap fails here: {reason[0]}", fix)
        cgroups = "cgroups" if Cgroup.probe() else "rlimits only (no writable cgroups)"
        return Availability(True, f"bubblewrap ({bwrap}), {cgroups}")

    def describe(self) -> dict[str, object]:
        return {"limits": "cgroups + rlimits" if Cgroup.probe() else "rlimits only"}

    async def run(
        self, job: RunJob, stdin: AsyncIterator[bytes] | None = None
    ) -> AsyncGenerator[RunEvent, None]:
        _require_sandbox()
        if job.limits.network:
            raise PluginError(
                "the local sandbox has no network: sharing one would also share the host's "
                "loopback (its databases and servers)",
                "Use --runner docker for a run with --net",
            )
        _require_programs(job)
        _mount_args(job.read_only)  # a bad mount fails here, before anything runs
        with work_folder(job, job.limits) as folder, _root_folder(folder) as root:
            step = partial(self._step, folder, root, job.read_only)
            # aclosing: the step's cgroup goes now, not when the collector finds the generator
            async with contextlib.aclosing(compile_then_run(self.name, job, stdin, step)) as ev:
                async for event in ev:
                    yield event

    async def _step(
        self,
        folder: Path,
        root: Path,
        read_only: Mapping[str, str],
        command: list[str],
        limits: Limits,
        stdin_bytes: bytes,
        stdin_stream: AsyncIterator[bytes] | None,
        started: float,
        stdout_name: str,
    ) -> AsyncGenerator[Output | StepResult, None]:
        """Run one command under bubblewrap; yields its output, then one StepResult."""
        cgroup = Cgroup.create(limits.processes + 2, limits.memory_bytes)  # +2: bwrap itself
        begin = time.monotonic()
        try:
            process = await self._spawn(folder, root, read_only, command, limits, cgroup)
        except BaseException:  # no sandbox started (EAGAIN, a failed exec): no group is left
            if cgroup:
                _dispose(cgroup)
            raise
        program = _Sandboxed(process, cgroup, stdout_name)
        try:
            async with contextlib.aclosing(
                pump(program, limits, stdin_bytes, stdin_stream, begin, started)
            ) as items:
                async for item in items:
                    yield item
        finally:
            program.close()
            with contextlib.suppress(ProcessLookupError, asyncio.CancelledError):
                await asyncio.wait_for(process.wait(), 5)
            if cgroup:  # waits on the kernel: off the event loop, so other runs go on
                try:
                    await asyncio.to_thread(_dispose, cgroup)
                except asyncio.CancelledError:  # the loop is closing: remove it all the same
                    _dispose(cgroup)
                    raise

    @staticmethod
    async def _spawn(
        folder: Path,
        root: Path,
        read_only: Mapping[str, str],
        command: list[str],
        limits: Limits,
        cgroup: Cgroup | None,
    ) -> asyncio.subprocess.Process:
        """Start the sandbox process, inside the step's cgroup."""
        join = cgroup.join_files() if cgroup else []
        argv, args_fd, drop_root = sandbox_command(folder, root, command, limits, read_only)
        try:
            return await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=HOST_ENV,
                close_fds=True,  # nothing of Sector's (its database, sockets) inside the sandbox
                pass_fds=(args_fd,),  # the sandbox closes it once read
                preexec_fn=partial(_enter_sandbox, join, limits, cgroup is not None, drop_root),
            )
        finally:
            os.close(args_fd)


class _Sandboxed:
    """A sandbox process as the step pump drives it: its two pipes, merged as they come."""

    def __init__(
        self, process: asyncio.subprocess.Process, cgroup: Cgroup | None, stdout_name: str
    ) -> None:
        self.process = process
        self.cgroup = cgroup
        self.stdin = process.stdin
        self.chunks: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.open_streams = 2
        self.readers = [
            asyncio.create_task(_forward(process.stdout, stdout_name, self.chunks)),
            asyncio.create_task(_forward(process.stderr, stderr_name(stdout_name), self.chunks)),
        ]

    async def read(self) -> tuple[str, bytes] | None:
        while self.open_streams:
            stream, data = await self.chunks.get()
            if data:
                return stream, data
            self.open_streams -= 1
        return None

    async def kill(self) -> None:
        _kill(self.process, self.cgroup)

    async def wait(self, timeout: float | None) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def finish(self, ended: Ended) -> StepResult:
        cgroup = self.cgroup
        oom_killed = bool(cgroup and cgroup.oom_kills())
        exited = ended.exit(oom_killed, cgroup.cpu_seconds() if cgroup else None)
        return StepResult(exited, ended.wall, cgroup.peak_memory() if cgroup else None)

    def close(self) -> None:
        for reader in self.readers:
            reader.cancel()


def _probe(argv: list[str], fd: int, drop_root: bool) -> subprocess.CompletedProcess[bytes] | str:
    """Run a sandbox that runs `true`: its result, or why it could not start."""
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            timeout=10,
            check=False,
            env=HOST_ENV,
            pass_fds=(fd,),
            preexec_fn=partial(_enter_sandbox, [], Limits(), True, drop_root),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    finally:
        os.close(fd)


def _unshare_availability() -> Availability:
    reason = unshare_sandbox.usable()
    if reason is not None:
        return Availability(False, reason, INSTALL_HINT)
    with _root_folder(None) as root:
        argv, fd, drop_root = sandbox_command(None, root, ["true"], Limits(), {})
        done = _probe(argv, fd, drop_root)
    if isinstance(done, str) or done.returncode != 0:
        why = done if isinstance(done, str) else done.stderr.decode(errors="replace")
        last = why.strip().splitlines()[-1:] or ["?"]
        return Availability(False, f"the unshare sandbox fails here: {last[0]}", INSTALL_HINT)
    cgroups = "cgroups" if Cgroup.probe() else "rlimits only (no writable cgroups)"
    return Availability(True, f"unshare ({unshare_sandbox.unshare_path()}), {cgroups}")


def _require_sandbox() -> None:
    if chosen_sandbox() == "unshare":
        reason = unshare_sandbox.usable()
        if reason is not None:
            raise PluginError(reason, f"Run `{INSTALL_HINT}`")
    elif shutil.which("bwrap") is None:
        raise PluginError("bubblewrap (bwrap) is not installed", f"Run `{INSTALL_HINT}`")


@contextlib.contextmanager
def _root_folder(folder: Path | None) -> Iterator[Path]:
    """An empty folder the unshare sandbox's init mounts its root on (in its own mount
    namespace: the host only ever sees it empty)."""
    if folder is None:
        root = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=work_base()))
    else:
        root = folder.with_name(folder.name + "-root")
        root.mkdir(mode=0o700)
    try:
        yield root
    finally:
        with contextlib.suppress(OSError):
            root.rmdir()


def _require_programs(job: RunJob) -> None:
    """Fail before running when a command's program is not where the sandbox can see it."""
    for command in filter(None, (job.compile, job.run)):
        program = command[0]
        if program.startswith(WORK_DIR) or shutil.which(program, path=SANDBOX_PATH):
            continue
        raise PluginError(
            f"{program} ({job.language}) is not installed where the local sandbox can see it "
            f"({SANDBOX_PATH})",
            "Install it under /usr (toolchains in a home folder are not visible), "
            "or use --runner docker with an image that has it",
        )


def _dispose(cgroup: Cgroup) -> None:
    cgroup.kill_all()
    cgroup.remove()


def _kill(process: asyncio.subprocess.Process, cgroup: Cgroup | None) -> None:
    if process.returncode is None:
        # os.kill, not process.kill(): Popen.send_signal first polls, reaping a sandbox that
        # Ctrl-C already ended under asyncio's child watcher, which then prints "Unknown child
        # process pid". Until the watcher reaps it the pid cannot be reused.
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    if cgroup:
        cgroup.kill_all()


async def _forward(
    reader: asyncio.StreamReader | None, name: str, queue: asyncio.Queue[tuple[str, bytes]]
) -> None:
    """Forward a pipe's chunks as they come; an empty chunk says it closed."""
    assert reader is not None
    while chunk := await reader.read(READ_CHUNK):
        await queue.put((name, chunk))
    await queue.put((name, b""))
