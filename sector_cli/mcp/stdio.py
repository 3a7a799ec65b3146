"""stdout belongs to the protocol: over stdio, every byte on it must be a JSON-RPC message.

`reserve_stdout` runs first thing in `sector mcp`: it moves the real stdout to a private file
descriptor that only the MCP transport writes to, and points fd 1 (and `sys.stdout`) at
stderr. A stray `print()`, a progress bar, native code writing to fd 1 (llama.cpp, torch) or
a child process then lands on stderr, which MCP clients keep as the server's log.
"""

from __future__ import annotations

import io
import os
import sys
from typing import BinaryIO

STDOUT = 1
STDERR = 2


def reserve_stdout() -> BinaryIO:
    """The real stdout, for the protocol only; from now on fd 1 and sys.stdout go to stderr."""
    sys.stdout.flush()
    protocol = _private_copy(STDOUT)
    try:
        os.dup2(STDERR, STDOUT)
    except OSError:  # no usable stderr: stray output is dropped instead
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, STDOUT)
        os.close(devnull)
    sys.stdout = sys.stderr
    return os.fdopen(protocol, "wb")


def _private_copy(fd: int) -> int:
    """A duplicate of `fd` above the standard range, closed in child processes."""
    if sys.platform == "win32":
        return os.dup(fd)  # not inheritable by default
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


def protocol_stream(protocol: BinaryIO) -> io.TextIOWrapper:
    """UTF-8 text over the protocol descriptor, "\\n"-terminated lines as MCP stdio wants."""
    return io.TextIOWrapper(protocol, encoding="utf-8", newline="\n", write_through=True)
