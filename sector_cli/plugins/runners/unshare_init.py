# os-level calls between namespace steps, on purpose:
# ruff: noqa: PTH103, PTH110, PTH112, PTH120, PTH123, PTH211
"""pid 1 of the `unshare` sandbox: builds its root, then runs the program as nobody.

Runs as root in fresh pid, mount, net, ipc and uts namespaces made by util-linux `unshare`.
The runner appends `run(PLAN)` to this file's text and hands it over in a memfd, so no
host path is on its command line. Standard library only, imported before the host's files go.
"""

import ctypes
import os
import platform
import signal
import sys
import warnings  # noqa: F401 (os.execvpe imports it late, when the host is gone)
from typing import Any

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
LIBC = ctypes.CDLL(None, use_errno=True)
UNSHARE_USER = 0x10000000


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    done = LIBC.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data))
    _check(done, f"mount {target}")


def bind(source: str, target: str, read_only: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (MS_RDONLY if read_only else 0)
    mount(None, target, None, flags)


def build_root(plan: dict[str, Any]) -> None:
    root = plan["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here reaches the host
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for source, target, read_only in plan["binds"]:
        bind(source, root + target, read_only)
    for target, link in plan["symlinks"]:
        os.symlink(link, root + target)
    for folder, options in (("/tmp", plan["tmp"]), ("/dev", "mode=0755")):
        os.makedirs(root + folder, exist_ok=True)
        mount("tmpfs", root + folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for device in DEVICES:
        if os.path.exists(f"/dev/{device}"):
            open(f"{root}/dev/{device}", "a").close()
            mount(f"/dev/{device}", f"{root}/dev/{device}", None, MS_BIND)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(link, f"{root}/dev/{name}")
    os.symlink("/proc/self/fd/1", f"{root}/dev/stdout")
    os.symlink("/proc/self/fd/2", f"{root}/dev/stderr")
    os.makedirs(f"{root}/dev/shm")
    mount("tmpfs", f"{root}/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    os.makedirs(f"{root}/proc")
    mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _check(LIBC.sethostname(b"sandbox", 7), "sethostname")
    os.chdir(root)
    _check(LIBC.syscall(PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _check(LIBC.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir("/work" if os.path.isdir("/work") else "/")


def start_program(plan: dict[str, Any]) -> int:
    """Fork the program into a user namespace of its own where only nobody exists and no
    further user namespace may be made (as bubblewrap's --disable-userns)."""
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(ready_r)
            os.close(mapped_w)
            os.setgroups([])  # now: once in the namespace, setgroups is denied
            _check(LIBC.unshare(UNSHARE_USER), "unshare user")
            os.write(ready_w, b"1")
            os.read(mapped_r, 1)
            with open("/proc/sys/user/max_user_namespaces", "w") as limit:
                limit.write("0")
            os.setsid()
            os.setresgid(plan["uid"], plan["uid"], plan["uid"])
            os.setresuid(plan["uid"], plan["uid"], plan["uid"])
            LIBC.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
            os.execvpe(plan["command"][0], plan["command"], plan["env"])
        except OSError as exc:
            os.write(2, f"sandbox: {exc}\n".encode())
        os._exit(127)
    os.close(ready_w)
    os.close(mapped_r)
    os.read(ready_r, 1)
    uid = plan["uid"]
    for name, text in (
        ("uid_map", f"{uid} {uid} 1"),
        ("setgroups", "deny"),
        ("gid_map", f"{uid} {uid} 1"),
    ):
        with open(f"/proc/{child}/{name}", "w") as handle:
            handle.write(text)
    os.write(mapped_w, b"1")
    return child


def reap(child: int) -> int:
    """As init: collect every orphan until the program itself ends; its status is ours."""
    while True:
        pid, status = os.wait()
        if pid == child:
            return os.waitstatus_to_exitcode(status)


def run(plan: dict[str, Any]) -> None:
    os.closerange(3, 1 << 16)  # this script's memfd: the program must not inherit it
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    build_root(plan)
    code = reap(start_program(plan))
    sys.stdout.flush()
    os._exit(128 - code if code < 0 else code)  # signal N as 128+N, as a shell says it
