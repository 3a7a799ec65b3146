"""Facts about source files on disk (language, size, hash, mtime) and walking folders for them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sector_cli.errors import UsageError
from sector_cli.plugins.detect import LanguageIndex
from sector_cli.workspace.ignore import IgnoreRules

SNIFF_BYTES = 8192
HASH_CHUNK = 1 << 20


class NotSource(UsageError):
    """A file Sector will not track as source (binary, too large, unknown language...)."""


@dataclass(frozen=True)
class FileFacts:
    path: str  # relative to the project root, forward slashes
    language: str
    size: int
    mtime: datetime
    sha256: str


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def relative_to_root(root: Path, path: Path) -> str:
    """`path` as the project knows it (normalised, forward slashes).

    A UsageError when the path, or what a symlink makes of it, lies outside the project.
    """
    lexical = Path(os.path.normpath(path.absolute()))
    resolved = _resolve(lexical)
    for candidate in (lexical, resolved):
        if candidate is None or not _is_under(candidate, root):
            continue
        if resolved is not None and not _is_under(resolved, root):
            break  # inside by name, outside by a symlink
        return _utf8_name(path, candidate.relative_to(root).as_posix() or ".")
    raise UsageError(
        f"{path} is outside the project folder {root}",
        "Add files from inside the project, or run `sector init` in the folder that holds them",
    )


def _resolve(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: reading it will say so
        return None


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _utf8_name(path: Path, name: str) -> str:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise NotSource(
            f"the name of {str(path)!r} is not valid UTF-8", "Rename the file"
        ) from None
    return name


def _sniff(path: Path, size: int, max_size: int) -> bytes:
    if size > max_size:
        raise NotSource(
            f"{path} is {size:,} bytes, over the {max_size:,}-byte limit for source files",
            "Raise it with `sector config set files.max_size 8M` if it really is source",
        )
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    if b"\0" in head:
        raise NotSource(f"{path} is a binary file", "Track source files only")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_short = len(head) == SNIFF_BYTES and exc.start >= len(head) - 4
        if not cut_short:  # a multi-byte character cut at the sniff boundary is fine
            raise NotSource(
                f"{path} is not UTF-8 text", "Convert it to UTF-8 (iconv -t UTF-8) first"
            ) from None
    return head


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_facts(root: Path, path: Path, languages: LanguageIndex, max_size: int) -> FileFacts:
    """Everything Sector records about one source file; NotSource when it is not one."""
    relative = relative_to_root(root, path)
    try:
        stat = path.stat()
        if not path.is_file():
            raise NotSource(f"{path} is not a regular file", "Give a file or a folder")
        head = _sniff(path, stat.st_size, max_size)
        language = languages.detect(path, head)
        if language is None:
            known = ", ".join(sorted(languages.languages))
            raise NotSource(
                f"cannot tell the language of {path}",
                f"Use a known extension or a #! line; languages: {known}",
            )
        digest = sha256_of(path)
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist", "Check the path (`ls` it)") from None
    except PermissionError:
        raise NotSource(
            f"{path} cannot be read (permission denied)", "Fix its permissions"
        ) from None
    except OSError as exc:
        raise NotSource(f"{path} cannot be read ({exc.strerror})", "Check the file") from None
    mtime = datetime.fromtimestamp(stat.st_mtime, UTC)
    return FileFacts(relative, language.name, stat.st_size, mtime, digest)


def walk_files(root: Path, folder: Path) -> Iterator[Path]:
    """Files under `folder`, skipping ignored paths and never following folder symlinks."""
    rules = IgnoreRules(root)
    for current, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(current)
        dirnames[:] = sorted(d for d in dirnames if not rules.ignored(here / d, is_dir=True))
        for name in sorted(filenames):
            candidate = here / name
            if not rules.ignored(candidate, is_dir=False):
                yield candidate


def scan_folder(
    root: Path, folder: Path, languages: LanguageIndex, max_size: int
) -> tuple[list[FileFacts], list[Skipped]]:
    """Source files in a folder; files that are not source are skipped, the rest are reported."""
    found: list[FileFacts] = []
    skipped: list[Skipped] = []
    for path in walk_files(root, folder):
        if languages.by_extension(path) is None and not _may_have_shebang(path):
            continue  # not source: not worth a line in the report
        try:
            found.append(read_facts(root, path, languages, max_size))
        except NotSource as exc:
            if languages.by_extension(path) is not None:
                name = os.path.relpath(path, root)
                skipped.append(Skipped(name.encode(errors="replace").decode(), exc.message))
        except UsageError:  # vanished while scanning, or a symlink to outside the project
            continue
    return found, skipped


def _may_have_shebang(path: Path) -> bool:
    """Files without an extension may be scripts; only they are worth opening to find out."""
    return not path.suffix and os.access(path, os.X_OK)
