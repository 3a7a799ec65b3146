"""The local sandbox without bubblewrap: util-linux `unshare` and a small init of our own.

`unshare` makes the pid, mount, net, ipc and uts namespaces; unshare_init.py (pid 1 inside)
builds the same root bubblewrap builds and runs the program as nobody in a user namespace of
its own that may make no other. It needs root (Sector as root, as on CI machines and in
containers); docs/runs.md compares it with bubblewrap.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from sector_cli.plugins.runner import WORK_DIR, Limits
from sector_cli.plugins.runners.common import SANDBOX_UID, is_root

INIT = Path(__file__).with_name("unshare_init.py")
FLAGS = ("--pid", "--fork", "--kill-child", "--net", "--mount", "--ipc", "--uts")


def unshare_path() -> str | None:
    return shutil.which("unshare")


def usable() -> str | None:
    """Why the unshare sandbox cannot run here, or None when it can."""
    if unshare_path() is None:
        return "util-linux `unshare` is not installed"
    if not is_root():
        return "the unshare sandbox needs root (as an ordinary user, install bubblewrap)"
    return None


def plan(
    folder: Path | None,
    root: Path,
    command: list[str],
    limits: Limits,
    system: list[str],
    read_only: Mapping[str, str],
    env: Mapping[str, str],
) -> dict[str, object]:
    """What the init builds: `system` holds bubblewrap's system mounts (triples such as
    `--ro-bind SRC DEST`), so both sandboxes show the same files."""
    binds: list[tuple[str, str, bool]] = []
    symlinks: list[tuple[str, str]] = []
    for kind, source, target in zip(system[::3], system[1::3], system[2::3], strict=True):
        if kind == "--symlink":
            symlinks.append((target, source))
        elif Path(source).exists():
            binds.append((source, target, True))
    binds += [(host, inside, True) for inside, host in sorted(read_only.items())]
    if folder is not None:
        binds.append((str(folder), WORK_DIR, False))
    return {
        "root": str(root),
        "binds": binds,
        "symlinks": symlinks,
        "tmp": f"size={limits.disk_bytes},mode=1777",
        "uid": SANDBOX_UID if is_root() else os.getuid(),
        "command": command,
        "env": dict(env),
    }


def command_and_fd(unshare: str, the_plan: dict[str, object]) -> tuple[list[str], int]:
    """The command line and the memfd (fd to pass) holding the init and its plan."""
    source = INIT.read_text() + f"\nrun(json.loads({json.dumps(the_plan)!r}))\n"
    fd = os.memfd_create("sandbox-init", 0)
    os.write(fd, ("import json\n" + source).encode())
    os.lseek(fd, 0, os.SEEK_SET)
    python = os.path.realpath(sys.executable)  # /usr/bin/python3.x: no host path of Sector's
    return [unshare, *FLAGS, "--", python, "-I", "-S", f"/dev/fd/{fd}"], fd
