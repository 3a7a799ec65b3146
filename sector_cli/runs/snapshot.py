"""Which files a run takes into the sandbox, and where they go under /work.

A program in a project runs with the project's files around it, a loose program with its
folder's, laid out as on disk, so that sibling imports and relative paths work. /work is the
folder the command was started from when that is inside the project (and holds the program),
else the project's root; for a loose file, the file's own folder. Files that git or Sector
ignore are left out, and so is what would pass the snapshot's bounds; `--with` adds more.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sector_cli.config.settings import find_project_folder
from sector_cli.errors import UsageError
from sector_cli.workspace.ignore import IgnoreRules
from sector_cli.workspace.scan import walk_files

MAX_FILES = 1000  # files in one snapshot, the program and --with included
MAX_BYTES = 16 * 1024 * 1024  # their total: a quarter of the sandbox's default disk
MAX_FILE_BYTES = 4 * 1024 * 1024  # one file found around the program (data, not a dataset)
MAX_EXAMINED = 10 * MAX_FILES  # files looked at around the program before giving up
# Names that usually hold keys or passwords: not taken from around a program (as hosting
# tools leave .env out of a deploy); `--with` still takes one given on purpose.
SECRET_NAMES = (
    ".env", ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_dsa*", "id_ecdsa*",
    "id_ed25519*", ".netrc", ".pgpass", ".pypirc", ".npmrc", ".git-credentials",
    "credentials", "credentials.json", "*.kdbx",
)  # fmt: skip
SHAREABLE = {".env.example", ".env.sample", ".env.template"}


@dataclass
class Snapshot:
    """The files of one run: name inside /work -> content, the program first."""

    base: Path  # the host folder that /work stands for
    program: str  # the program's name inside /work
    files: dict[str, bytes] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # one line each: what and why
    size: int = 0

    def add(self, name: str, data: bytes) -> None:
        self.size += len(data) - len(self.files.get(name, b""))
        self.files[name] = data

    def room_for(self, name: str, size: int) -> bool:
        new = name not in self.files
        within_count = not new or len(self.files) < MAX_FILES
        return within_count and self.size + size - len(self.files.get(name, b"")) <= MAX_BYTES


def _absolute(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def too_broad(folder: Path) -> bool:
    """The filesystem's root, the home folder, the temporary folder: everyone's files are
    there, so no one program's surroundings are all of them."""
    shared = {Path(folder.anchor), _absolute(Path.home()), _absolute(Path(tempfile.gettempdir()))}
    return folder in shared


def _sectors_own() -> list[Path]:
    """Sector's own folders: the config with API keys, the database, caches. No run takes
    them into a sandbox, whatever it is given."""
    from sector_cli.config import env, paths

    folders = [paths.config_dir(), paths.data_dir(), paths.cache_dir()]
    if home := os.environ.get(env.SECTOR_HOME):
        folders.append(Path(home).expanduser())
    return [folder.resolve() for folder in folders]


def _private(path: Path, own: list[Path]) -> bool:
    """Whether `path` (its target, for a link) is in one of Sector's folders."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return True  # a loop: nothing to take
    return any(_under(real, folder) for folder in own)


def choose_base(program: Path, project_root: Path | None, cwd: Path) -> tuple[Path, Path | None]:
    """(the folder /work stands for, the project root whose ignore rules apply, if any)."""
    if project_root is None or not _under(program, project_root):
        found = find_project_folder(program.parent)
        project_root = _absolute(found.root) if found else None
    if project_root is not None and not too_broad(project_root):
        if _under(cwd, project_root) and _under(program, cwd):
            return cwd, project_root
        return project_root, project_root
    return program.parent, None


def _regular_inside(path: Path, folder: Path) -> int | None:
    """The size of `path` if it is a regular file, or a symlink to one inside `folder`."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = path.resolve(strict=True)
            if not _under(target, folder.resolve()):
                return None  # a link out of the folder would carry an outside file in
            info = target.stat()
    except (OSError, RuntimeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # vanished or unreadable: the program would not have it either


def _surroundings(base: Path, rules_root: Path | None) -> Iterator[Path]:
    if too_broad(base):
        return iter(())
    return walk_files(rules_root or base, base)


def looks_secret(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base not in SHAREABLE and any(fnmatch.fnmatch(base, p) for p in SECRET_NAMES)


def _name_in(base: Path, path: Path) -> str:
    return path.relative_to(base).as_posix()


def gather(
    program: Path,
    content: bytes,
    project_root: Path | None,
    cwd: Path,
    extra: list[Path],
    around: bool = True,
) -> Snapshot:
    """The program, then the `--with` paths, then (`around`) the files around the program.
    Without `around` (a snippet), /work stands for `cwd`."""
    program, cwd = _absolute(program), _absolute(cwd)
    base, rules_root = choose_base(program, project_root, cwd) if around else (cwd, None)
    snapshot = Snapshot(base, _name_in(base, program))
    snapshot.add(snapshot.program, content)
    for path in extra:
        _add_with(snapshot, _absolute(path))
    if around:
        _add_surroundings(snapshot, rules_root)
    return snapshot


def _add_with(snapshot: Snapshot, path: Path) -> None:
    if not path.exists():
        raise UsageError(f"--with {path} does not exist", "Check the path")
    own = _sectors_own()
    real = path.resolve()
    if _private(path, own) or any(_under(folder, real) for folder in own):
        raise UsageError(
            f"--with {path} holds Sector's own files (config with API keys, the database)",
            "Give the files the program needs, from outside Sector's folders",
        )
    if too_broad(real):
        raise UsageError(
            f"--with {path} is everyone's folder, not the program's files",
            "Give the files or folders the program needs",
        )
    inside = _under(path, snapshot.base)
    top = snapshot.base if inside else path.parent
    if path.is_dir():
        rules = IgnoreRules(path)
        files = [f for f in walk_files(path, path) if not rules.ignored(f, is_dir=False)]
    else:
        files = [path]
    for file in files:
        # a file named on purpose may be a link to anywhere; one found in a folder may not
        regular = file.is_file() if file == path else _regular_inside(file, path) is not None
        data = _read(file) if regular else None
        if data is None:
            if file == path:
                raise UsageError(f"--with {path} is not a readable file", "Give files or folders")
            continue
        name = _name_in(top, file)
        if not snapshot.room_for(name, len(data)):
            raise UsageError(
                f"--with {path} does not fit: a run takes at most {MAX_FILES:,} files and "
                f"{MAX_BYTES // (1024 * 1024)} MiB",
                "Give fewer or smaller files",
            )
        snapshot.add(name, data)


def _add_surroundings(snapshot: Snapshot, rules_root: Path | None) -> None:
    big, over, secret, stopped = 0, 0, 0, False
    own = _sectors_own()
    for examined, path in enumerate(_surroundings(snapshot.base, rules_root)):
        name = _name_in(snapshot.base, path)
        if name in snapshot.files or _private(path, own):
            continue
        if looks_secret(name):
            secret += 1
            continue
        size = _regular_inside(path, snapshot.base)
        if size is None:
            continue
        if size > MAX_FILE_BYTES:
            big += 1
        elif len(snapshot.files) >= MAX_FILES or examined >= MAX_EXAMINED:
            over, stopped = over + 1, True
            break  # a folder this full is not the program's surroundings: stop walking it
        elif not snapshot.room_for(name, size):
            over += 1
        elif (data := _read(path)) is not None:
            snapshot.add(name, data)
    if secret:
        snapshot.left_out.append(
            f"left out {secret} file{'s' * (secret > 1)} that look{'s' * (secret == 1)} like "
            f"secrets (.env, keys) from {snapshot.base} (--with adds one)"
        )
    if big:
        snapshot.left_out.append(
            f"left out {big} file{'s' * (big > 1)} over {MAX_FILE_BYTES // (1024 * 1024)} MiB "
            f"from {snapshot.base} (--with adds one)"
        )
    if over:
        more = " or more" if stopped else ""
        snapshot.left_out.append(
            f"left out {over}{more} file{'s' * (over > 1 or stopped)} from {snapshot.base}: a "
            f"run takes at most {MAX_FILES:,} files and {MAX_BYTES // (1024 * 1024)} MiB"
        )
