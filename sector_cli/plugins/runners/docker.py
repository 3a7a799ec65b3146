"""The Docker runner: one short-lived container per step, locked down, always removed.

The docker SDK is imported only when a run or a check needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import time
from collections.abc import AsyncGenerator, AsyncIterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sector_cli.errors import PluginError, plain_reason
from sector_cli.plugins.base import Availability
from sector_cli.plugins.runner import (
    WORK_DIR,
    Limits,
    Output,
    RunEvent,
    RunJob,
    Runner,
)
from sector_cli.plugins.runners.cgroups import Cgroup, run_name
from sector_cli.plugins.runners.cgroups import reap_stale as reap_stale_groups
from sector_cli.plugins.runners.common import (
    SANDBOX_UID,
    StepResult,
    _alive,
    compile_then_run,
    stderr_name,
    work_folder,
)
from sector_cli.plugins.runners.pump import Ended, pump

if TYPE_CHECKING:
    from docker import DockerClient

ENGINE_HINT = "Start the Docker engine (dockerd) or set DOCKER_HOST; `sector doctor` checks it"
DEADLINE_LABEL = "sector.deadline"  # when a container must be gone, even if Sector was killed
OWNER_LABEL = "sector.owner"  # the pid of the Sector that made it: gone means reap it now
FRAME_HEADER = struct.Struct(">BxxxL")  # docker's multiplexed stream: type, size
STREAMS = {1: "stdout", 2: "stderr"}


def connect() -> DockerClient:
    """A client for the engine at DOCKER_HOST (or the default socket), or a PluginError."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except DockerException as exc:
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        reason = plain_reason(exc)  # not the nested ('Connection aborted.', ...) repr
        raise PluginError(f"no Docker engine answers at {where} ({reason})", ENGINE_HINT) from None
    return client


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _accounting() -> Cgroup:
    """A cgroup parent for the container's own, whose totals outlive the container: Docker
    removes a container's cgroup when it stops, and its parent keeps the hierarchical peak
    memory and CPU time. Only where the engine shares this host's cgroup v1 tree."""
    return Cgroup.at_root(run_name())


def _printf_literal(arg: str) -> str:
    """A printf format that prints `arg`'s bytes exactly: octal escapes but for plain ones."""
    plain = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+=,:@"  # no -
    return "".join(chr(b) if b in plain else f"\\{b:03o}" for b in os.fsencode(arg))


def portable_command(command: list[str]) -> list[str]:
    """The command as the engine can carry it: its API is JSON, where bytes that are not UTF-8
    (a file named `bad_\\xff.py`) turn into U+FFFD. Such a command is rebuilt byte for byte
    inside the container by the image's sh and printf."""
    try:
        for arg in command:
            arg.encode()
        return command
    except UnicodeEncodeError:
        pass
    # `x` then `${a%x}`: command substitution would eat a name's trailing newlines
    lines = ["set --"] + [
        f'a=$(printf \'{_printf_literal(arg)}\'; printf x); set -- "$@" "${{a%x}}"'
        for arg in command
    ]
    return ["/bin/sh", "-c", "\n".join([*lines, 'exec "$@"'])]


def create_container(
    client: DockerClient, image: str, command: list[str], folder: Path, limits: Limits, parent: str
) -> str:
    """Create (not start) a locked-down container for one step; returns its id."""
    from docker.types import Ulimit

    cpu = int(limits.cpu_seconds) + 1
    host_config = client.api.create_host_config(
        binds={str(folder): {"bind": WORK_DIR, "mode": "rw"}},
        network_mode="bridge" if limits.network else "none",
        mem_limit=limits.memory_bytes,
        memswap_limit=limits.memory_bytes,
        pids_limit=limits.processes,
        nano_cpus=1_000_000_000,
        read_only=True,
        tmpfs={"/tmp": f"size={limits.disk_bytes},mode=1777,exec"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        ulimits=[
            Ulimit(name="cpu", soft=cpu, hard=cpu + 1),
            Ulimit(name="fsize", soft=limits.disk_bytes, hard=limits.disk_bytes),
            Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            Ulimit(name="core", soft=0, hard=0),
        ],
        cgroup_parent=f"/{parent}",
        init=True,  # the program is not pid 1, so signals and orphans behave as usual
    )
    created = client.api.create_container(
        image,
        portable_command(command),
        user=f"{SANDBOX_UID}:{SANDBOX_UID}",
        working_dir=WORK_DIR,
        environment={"HOME": WORK_DIR, "LANG": "C.UTF-8", "TMPDIR": "/tmp"},
        stdin_open=True,
        labels={
            "sector.run": "1",
            OWNER_LABEL: str(os.getpid()),
            DEADLINE_LABEL: str(int(time.time() + limits.wall_seconds) + 30),
        },
        hostname="sandbox",
        host_config=host_config,
    )
    return str(created["Id"])


class DockerRunner(Runner):
    name = "docker"
    summary = "Docker containers: no network, read-only root, non-root, limits"
    isolation = (
        "a container per step: network none, read-only root with tmpfs /tmp, uid nobody, "
        "all capabilities dropped, no-new-privileges, memory/swap/pids/CPU limits"
    )

    def availability(self) -> Availability:
        try:
            client = connect()
        except PluginError as exc:
            fix = "apt-get install docker.io, then start dockerd (or set DOCKER_HOST)"
            return Availability(False, exc.message, fix)
        version = client.version().get("Version", "?")
        client.close()
        return Availability(True, f"engine {version}")

    def describe(self) -> dict[str, object]:
        try:
            client = connect()
        except PluginError:
            return {}
        tags = sorted(tag for image in client.images.list() for tag in image.tags)
        client.close()
        return {"images": tags}

    async def run(
        self, job: RunJob, stdin: AsyncIterator[bytes] | None = None
    ) -> AsyncGenerator[RunEvent, None]:
        client = await asyncio.to_thread(connect)
        try:
            await asyncio.to_thread(reap_stale, client)
            await asyncio.to_thread(_require_image, client, job.image)
            with work_folder(job, job.limits) as folder:
                step = partial(_step, client, job.image, folder)
                async with contextlib.aclosing(
                    compile_then_run(self.name, job, stdin, step)
                ) as events:
                    async for event in events:
                        yield event
        finally:
            client.close()


def reap_stale(client: DockerClient) -> list[str]:
    """Remove Sector's containers left by a Sector that was killed: past their deadline, or
    whose owner process is gone; then the accounting groups they leave."""
    from docker.errors import DockerException

    now = time.time()
    reaped = []
    for found in client.api.containers(all=True, filters={"label": DEADLINE_LABEL}):
        labels = found.get("Labels") or {}
        deadline = labels.get(DEADLINE_LABEL, "")
        owner = labels.get(OWNER_LABEL, "")
        if (deadline.isdigit() and int(deadline) < now) or (
            owner.isdigit() and not _alive(int(owner))
        ):
            with contextlib.suppress(DockerException):
                client.api.remove_container(found["Id"], force=True)
                reaped.append(found["Id"])
    reap_stale_groups()
    return reaped


def _require_image(client: DockerClient, image: str) -> None:
    from docker.errors import ImageNotFound

    try:
        client.images.get(image)
    except ImageNotFound:
        raise PluginError(
            f"the Docker image {image} is not present",
            f"Run `docker pull {image}`, or build one offline with scripts/build-images.sh "
            "and name it in docker.images",
        ) from None


async def _step(
    client: DockerClient,
    image: str,
    folder: Path,
    command: list[str],
    limits: Limits,
    stdin_bytes: bytes,
    stdin_stream: AsyncIterator[bytes] | None,
    started: float,
    stdout_name: str,
) -> AsyncGenerator[Output | StepResult, None]:
    """One container: attach, start, stream, stop at the limits, always remove."""
    from docker.errors import DockerException

    api = client.api
    accounting = _accounting()
    container: str | None = None
    raw: Any = None
    try:
        container = await asyncio.to_thread(
            create_container, client, image, command, folder, limits, accounting.name
        )
        raw = await asyncio.to_thread(
            api.attach_socket, container, {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        )
        reader, writer = await asyncio.open_connection(sock=raw._sock)
        attach = (raw, reader, writer)
        program = _Attached(client, image, command, container, accounting, attach, stdout_name)
        begin = time.monotonic()
        await asyncio.to_thread(api.start, container)
        async with contextlib.aclosing(
            pump(program, limits, stdin_bytes, stdin_stream, begin, started)
        ) as items:
            async for item in items:
                yield item
    except DockerException as exc:
        raise PluginError(f"the Docker engine failed: {_first_line(exc)}", ENGINE_HINT) from None
    finally:
        if raw is not None:
            _hang_up(raw)
        if container is not None:
            await asyncio.to_thread(_remove, client, container)
        await asyncio.to_thread(accounting.remove)


class _Attached:
    """A started container as the step pump drives it: its attach stream, both ways."""

    def __init__(
        self,
        client: DockerClient,
        image: str,
        command: list[str],
        container: str,
        accounting: Cgroup,
        attach: tuple[Any, asyncio.StreamReader, asyncio.StreamWriter],
        stdout_name: str,
    ) -> None:
        self.client, self.image, self.command = client, image, command
        self.container, self.accounting = container, accounting
        self.raw, self.reader, self.stdin = attach
        self.stdout_name, self.stderr_name = stdout_name, stderr_name(stdout_name)
        self.first_stderr = b""  # enough to recognise the init's own "exec failed"

    async def read(self) -> tuple[str, bytes] | None:
        frame = await _read_frame(self.reader)
        if frame is None:
            return None
        kind, data = frame
        if STREAMS.get(kind) == "stderr" and len(self.first_stderr) < 512:
            self.first_stderr += data[:512]
        name = self.stdout_name if STREAMS.get(kind) == "stdout" else self.stderr_name
        return name, data

    async def kill(self) -> None:
        _hang_up(self.raw)  # the engine holds the exit while its stream copy is blocked on us
        await asyncio.to_thread(_kill, self.client, self.container)

    async def wait(self, timeout: float | None) -> int:
        # The attach stream ends only once the container has stopped (or was killed), so the
        # deadline never binds here: the engine's own 30 s bound does.
        status = await asyncio.to_thread(self.client.api.wait, self.container, 30)
        return int(status.get("StatusCode", -1))

    async def finish(self, ended: Ended) -> StepResult:
        api = self.client.api
        state = (await asyncio.to_thread(api.inspect_container, self.container)).get("State", {})
        if ended.exit_code == 127 and self._exec_failed():
            raise PluginError(
                f"{self.command[0]} is not in the Docker image {self.image}",
                "Choose an image with the toolchain for this language (docker.images)",
            )
        exited = ended.exit(bool(state.get("OOMKilled")), self.accounting.cpu_seconds())
        return StepResult(exited, ended.wall, self.accounting.peak_memory())

    def _exec_failed(self) -> bool:
        """Whether the image's init said it could not start the command."""
        return b"[FATAL tini" in self.first_stderr and b"exec " in self.first_stderr


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
    try:
        header = await reader.readexactly(FRAME_HEADER.size)
        kind, size = FRAME_HEADER.unpack(header)
        return kind, await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        return None


def _hang_up(raw: Any) -> None:
    """Really close the attach connection (the SDK's file object holds another reference)."""
    sock = getattr(raw, "_sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        raw.close()


def _kill(client: DockerClient, container: str) -> None:
    from docker.errors import DockerException

    with contextlib.suppress(DockerException):
        client.api.kill(container)


def _remove(client: DockerClient, container: str) -> None:
    from docker.errors import DockerException

    with contextlib.suppress(DockerException):
        client.api.remove_container(container, force=True)
