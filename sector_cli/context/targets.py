"""What `sector context add PATH...` means: files, folders walked with the ignore rules,
and globs; and how a document is named back (`DOC`: a number, a path, or a unique name)."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sector_cli.workspace.scan import walk_files

GLOB_CHARS = frozenset("*?[")
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Target:
    """A file to index, or the reason it cannot be."""

    path: Path
    skipped: str | None = None


def expand(arguments: Iterable[str], extensions: frozenset[str]) -> Iterator[Target]:
    """Files named, found in folders (those with a known extension) or matched by globs, each
    once, in order. A named file of an unknown format is reported; one in a folder is not."""
    seen: set[Path] = set()
    for argument in arguments:
        for target in _expand_one(argument, extensions):
            key = Path(os.path.abspath(target.path))  # noqa: PTH100 (resolve() would follow links)
            if key not in seen:
                seen.add(key)
                yield Target(key, target.skipped)


def _expand_one(argument: str, extensions: frozenset[str]) -> Iterator[Target]:
    path = Path(argument).expanduser()
    if not path.exists() and not path.is_symlink() and GLOB_CHARS & set(argument):
        matches = sorted(glob.glob(str(path), recursive=True))  # noqa: PTH207 (absolute patterns)
        if not matches:
            yield Target(path, "no file matches this pattern")
        for match in matches:
            yield from _expand_one(match, extensions)
        return
    if path.is_dir():
        for found in walk_files(path, path):
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
    if not path.is_file():
        return "is not a regular file"
    if path.suffix.lower() not in extensions:
        known = " ".join(sorted(extensions))
        return f"is not a format Sector reads (known: {known})"
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def display_path(path: str, cwd: Path | None = None) -> str:
    """A path as a person would type it here: relative below the working folder, else
    with ~ for the home folder."""
    here = cwd or Path.cwd()
    absolute = Path(path)
    try:
        return absolute.relative_to(here).as_posix()
    except ValueError:
        pass
    home = Path.home()
    try:
        return "~/" + absolute.relative_to(home).as_posix()
    except ValueError:
        return absolute.as_posix()
