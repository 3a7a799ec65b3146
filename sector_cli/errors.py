"""The error tree every front end catches at its edge.

A `SectorError` carries a one-line message and a hint naming the next step. Its exit code is
fixed by its class: 1 for a failure of the machine or a service, 2 for bad input or usage.
"""

from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C (or SIGTERM), as a shell reports it


class SectorError(Exception):
    """Something went wrong that the user can act on."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_wire(self) -> dict[str, str | int | None]:
        """The error as a front end sends it to a script (`--json`: one object on stderr)."""
        return {"error": self.message, "hint": self.hint, "exit_code": self.exit_code}

    def one_line(self) -> str:
        """The message and its hint, on one line, as printed on stderr."""
        text = self.message.rstrip(".")
        stop = "" if text.endswith(("?", "!")) else "."
        return f"{text}{stop} {self.hint}" if self.hint else text


class UsageError(SectorError):
    """The user asked for something that cannot be done as asked (bad input)."""

    exit_code = EXIT_USAGE


class NotFoundError(UsageError):
    """A named project, file or key does not exist."""


class AlreadyExistsError(UsageError):
    """Creating something whose name is taken."""


class ConfigError(UsageError):
    """A config file or value is invalid, or a key is unknown."""


class StoreError(SectorError):
    """The database cannot be reached or used."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer Sector than this one."""


class PluginError(SectorError):
    """A plugin is missing or broken."""


# errno -> (message, hint): what a person reads instead of Python's "[Errno 21] ...".
_OS_WORDS: dict[int, tuple[str, str]] = {
    errno.EISDIR: ("{name} is a folder, not a file", "Name a file"),
    errno.ENOTDIR: ("a part of {name} is a file, not a folder", "Check the path"),
    errno.ENOENT: ("{name} does not exist", "Check the path"),
    errno.EACCES: ("no permission to use {name}", "Check its permissions"),
    errno.EPERM: ("no permission to use {name}", "Check its permissions"),
    errno.EEXIST: ("{name} already exists", "Choose another name, or remove it first"),
    errno.ENOSPC: ("no space left on the disk holding {name}", "Free some space and try again"),
    errno.EDQUOT: ("disk quota exceeded writing {name}", "Free some space and try again"),
    errno.EROFS: ("{name} is on a read-only file system", "Choose a writable place"),
    errno.ENAMETOOLONG: ("the name {name} is too long", "Use a shorter name"),
    errno.ELOOP: ("{name} is a loop of symbolic links", "Check the link"),
    errno.EMFILE: ("too many files are open", "Close some programs and try again"),
}


def os_error(error: OSError) -> SectorError:
    """An OSError in words a person reads, naming the file; used at the front ends' edges."""
    name = error.filename if error.filename is not None else "the file"
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    words = _OS_WORDS.get(error.errno or -1)
    if words is None:
        reason = error.strerror or type(error).__name__
        return SectorError(f"{name}: {reason[:1].lower()}{reason[1:]}", "Check the path")
    message, hint = words
    cls = SectorError if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EMFILE) else UsageError
    return cls(message.format(name=name), hint)


def plain_reason(exc: BaseException) -> str:
    """Why `exc` happened, in one line without reprs: the innermost OSError's words when the
    exception wraps one (requests and docker nest them as `('Connection aborted.', ...)`)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    found: OSError | None = None
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, OSError) and item.strerror:
            found = item
        todo.extend([item.__cause__, item.__context__, *item.args])
    if found is not None and found.strerror:
        return found.strerror[:1].lower() + found.strerror[1:]
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
