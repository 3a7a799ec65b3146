"""Linux cgroup v1 limits for one run: pids, memory and CPU accounting.

Each run gets a child of the cgroup Sector itself runs in, so any limit set around Sector
(a CI job's pids.max) also holds for what it runs. Where cgroups cannot be written (not root,
cgroup v2 without delegation) `Cgroup.create` returns None and rlimits are all there is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("pids", "memory", "cpuacct")
PREFIX = "sector-run-"


def run_name() -> str:
    """A run's group name, `sector-run-<pid>-<hex>`: the owner's pid lets the next Sector
    remove what a killed one left behind."""
    return f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"


def _owner_alive(name: str) -> bool:
    owner = name.removeprefix(PREFIX).split("-")[0]
    if not owner.isdigit():
        return True  # not ours to judge (an older name without a pid)
    try:
        os.kill(int(owner), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale() -> int:
    """Empty and remove the run groups whose Sector process is gone (killed by SIGKILL, or
    stopped before its cleanup ran), under Sector's own groups and at the root."""
    parents: dict[Path, str] = {}  # folder -> its controller
    with contextlib.suppress(OSError):  # Docker's accounting groups sit in every hierarchy
        parents = {c: c.name for c in ROOT.iterdir() if (c / "cgroup.procs").exists()}
    parents |= {p: c for c in CONTROLLERS if (p := _own_path(c))}
    stale: dict[str, dict[str, Path]] = {}
    for parent, controller in parents.items():
        with contextlib.suppress(OSError):
            for folder in parent.glob(f"{PREFIX}*"):
                if folder.is_dir() and not _owner_alive(folder.name):
                    stale.setdefault(folder.name, {})[controller] = folder
    for folders in stale.values():
        group = Cgroup(folders)
        group.kill_all(timeout=1.0)
        group.remove(tries=3)  # one still busy is tried again by the next run, not waited for
    return len(stale)


def _own_path(controller: str) -> Path | None:
    """Where this process sits in a v1 controller's hierarchy, if that controller is mounted."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            for mount in (ROOT / controller, ROOT / names):
                if (mount / "cgroup.procs").exists():
                    return mount / path.lstrip("/")
    return None


class Cgroup:
    """One run's cgroups (one directory per controller)."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = folders

    @classmethod
    def create(cls, processes: int, memory_bytes: int) -> Cgroup | None:
        reap_stale()
        name = run_name()
        folders: dict[str, Path] = {}
        try:
            for controller in CONTROLLERS:
                parent = _own_path(controller)
                if parent is None:
                    raise OSError(f"{controller} controller not mounted")
                folder = parent / name
                folder.mkdir()
                folders[controller] = folder
            (folders["pids"] / "pids.max").write_text(str(processes))
            memory = folders["memory"]
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                with contextlib.suppress(OSError):
                    swap.write_text(str(memory_bytes))
        except OSError:
            Cgroup(folders).remove()
            return None
        return cls(folders)

    @classmethod
    def at_root(cls, name: str) -> Cgroup:
        """The group `name` at the top of every mounted controller (where Docker creates a
        container's cgroup parent)."""
        return cls({c.name: c / name for c in ROOT.iterdir() if (c / "cgroup.procs").exists()})

    @classmethod
    def probe(cls) -> bool:
        """Whether runs here get cgroups (creates and removes an empty one)."""
        group = cls.create(1, 1024 * 1024)
        if group is None:
            return False
        group.remove()
        return True

    @property
    def name(self) -> str:
        return next(iter(self.folders.values())).name

    def join_files(self) -> list[str]:
        """`cgroup.procs` files a child writes its pid to before it execs."""
        return [str(folder / "cgroup.procs") for folder in self.folders.values()]

    def _read(self, controller: str, name: str) -> str:
        try:
            return (self.folders[controller] / name).read_text()
        except (OSError, KeyError):
            return ""

    def cpu_seconds(self) -> float | None:
        value = self._read("cpuacct", "cpuacct.usage").strip()
        return int(value) / 1e9 if value else None

    def peak_memory(self) -> int | None:
        value = self._read("memory", "memory.max_usage_in_bytes").strip()
        return int(value) if value else None

    def oom_kills(self) -> int:
        for line in self._read("memory", "memory.oom_control").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def pids(self) -> list[int]:
        return [int(p) for p in self._read("pids", "cgroup.procs").split()]

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process in the group until none is left."""
        deadline = time.monotonic() + timeout
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self, tries: int = 100) -> None:
        for folder in self.folders.values():
            # a dying process can keep the group busy for a moment
            for _ in range(tries if folder.exists() else 0):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
