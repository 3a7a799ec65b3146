"""What `sector context add PATH...` means: files, folders walked with the ignore rules,
and globs; and how a document is named back (`DOC`: a number, a path, or a unique name)."""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sector_cli.workspace.ignore import IgnoreRules
from sector_cli.workspace.scan import walk_files

GLOB_CHARS = frozenset("*?[")
ROOT_MARKERS = (".git", ".hg", ".sector")


@dataclass(frozen=True)
class Target:
    """A file to index, or the reason it cannot be."""

    path: Path
    skipped: str | None = None


def absolute(path: str | Path) -> Path:
    """The absolute, normalised path (`..` resolved by name, symlinks kept), as stored."""
    return Path(os.path.abspath(Path(path).expanduser()))  # noqa: PTH100 (keeps symlinks)


def ignore_root(folder: Path) -> Path:
    """Where ignore rules start for `folder`: its repository or project root, as git does,
    else the folder itself."""
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return folder


def expand(arguments: Iterable[str], extensions: frozenset[str]) -> Iterator[Target]:
    """Files named, found in folders (those with a known extension, not ignored) or matched by
    globs, each once even when reached by two paths, in order. A named file of an unknown
    format is reported; one in a folder is not."""
    seen: set[tuple[int, int] | Path] = set()
    for argument in arguments:
        for target in _expand_one(argument, extensions):
            key = _identity(target.path)
            if key not in seen:
                seen.add(key)
                yield target


def _identity(path: Path) -> tuple[int, int] | Path:
    try:
        info = path.stat()
    except OSError:
        return path
    return (info.st_dev, info.st_ino)


def _expand_one(argument: str, extensions: frozenset[str]) -> Iterator[Target]:
    path = absolute(argument)
    if not path.exists() and not path.is_symlink() and GLOB_CHARS & set(argument):
        matches = sorted(glob.glob(str(path), recursive=True))  # noqa: PTH207 (absolute)
        if not matches:
            yield Target(path, "no file matches this pattern")
        for match in matches:
            found = Path(match)
            rules = IgnoreRules(ignore_root(found.parent))
            if found.is_dir() or not rules.ignored(found, is_dir=False):
                yield from _expand_one(match, extensions)
        return
    if path.is_dir():
        path = path.resolve()  # a linked folder: its rules are those where it really lives
        for found in walk_files(ignore_root(path), path):
            if found.suffix.lower() in extensions:
                yield Target(found)
        return
    yield Target(path, _problem(path, extensions))


def _problem(path: Path, extensions: frozenset[str]) -> str | None:
    try:
        path.stat()
    except FileNotFoundError:
        return "does not exist" if not path.is_symlink() else "is a broken symlink"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if path.suffix.lower() not in extensions:
        known = " ".join(sorted(extensions))
        return f"is not a format Sector reads (known: {known})"
    return None


def regular_file_size(path: Path) -> int:
    """The size of a regular file; OSError for anything else (a FIFO would block reads)."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise IsADirectoryError(0, "is not a regular file")
    return info.st_size


def display_path(path: str, cwd: Path | None = None) -> str:
    """A path as a person would type it here: relative below the working folder, else
    with ~ for the home folder."""
    here = cwd or Path.cwd()
    full = Path(path)
    try:
        return full.relative_to(here).as_posix()
    except ValueError:
        pass
    try:
        return "~/" + full.relative_to(Path.home()).as_posix()
    except ValueError:
        return full.as_posix()
