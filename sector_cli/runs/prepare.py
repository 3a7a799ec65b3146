"""Turning a file or a snippet into a `RunJob`: language, commands, limits, image."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sector_cli.config import keys
from sector_cli.config.settings import Settings
from sector_cli.errors import UsageError
from sector_cli.plugins.detect import LanguageIndex
from sector_cli.plugins.language import Language
from sector_cli.plugins.runner import WORK_DIR, Limits, RunJob
from sector_cli.runs.snapshot import Snapshot, gather

SNIPPET = "<snippet>"
BINARY = f"{WORK_DIR}/main.out"
MAX_SOURCE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class RunRequest:
    """What a user asked to run, as a front end received it."""

    file: Path | None = None
    code: str | None = None
    language: str | None = None
    args: list[str] = field(default_factory=list)
    stdin: bytes = b""
    timeout: float | None = None
    memory: str | int | None = None  # bytes, or text such as 512M
    network: bool = False
    with_paths: list[Path] = field(default_factory=list)  # more files or folders (--with)
    cwd: Path | None = None  # where the command was started (default: this process's cwd)


@dataclass(frozen=True)
class Prepared:
    """A request made ready to run: its label for history, its job, and what of the
    program's surroundings was left out of the sandbox (one line each)."""

    source: str
    job: RunJob
    left_out: list[str] = field(default_factory=list)


def _language(languages: LanguageIndex, name: str | None, path: Path, head: bytes) -> Language:
    known = ", ".join(sorted(languages.languages))
    if name:
        found = languages.languages.get(name.lower())
        if found is None:
            raise UsageError(f"unknown language {name!r}", f"Use one of: {known}")
        return found
    found = languages.detect(path, head)
    if found is None:
        raise UsageError(f"cannot tell the language of {path}", f"Pass --lang; one of: {known}")
    return found


def _source(request: RunRequest) -> tuple[str, Path, bytes]:
    """(label, path used for detection, content) of the program to run."""
    if request.code is not None and request.file is not None:
        raise UsageError("give a FILE or --code, not both", "Drop one of them")
    if request.code is not None:
        if not request.language:
            raise UsageError("a --code snippet needs --lang", "Add --lang python (or another)")
        return SNIPPET, Path("snippet"), request.code.encode()
    if request.file is None:
        raise UsageError("nothing to run", "Give a FILE, or --code with --lang")
    path = request.file
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise UsageError(f"{path} {what}", "Check the path, or run a snippet with --code")
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise UsageError(f"{path} is larger than {MAX_SOURCE_BYTES:,} bytes", "Run a source file")
    label = os.fsencode(path).decode("utf-8", errors="replace")  # names need not be UTF-8
    return label, path, path.read_bytes()


def image_for(settings: Settings, language: Language) -> str:
    chosen = settings.get(keys.DOCKER_IMAGES) or {}
    return chosen.get(language.name) or chosen.get("*") or language.docker_image


def limits_for(settings: Settings, request: RunRequest) -> Limits:
    """The run's limits: flags (checked like the settings they override), else settings."""
    timeout = settings.get(keys.RUNS_TIMEOUT)
    memory = settings.get(keys.RUNS_MEMORY)
    if request.timeout is not None:
        timeout = keys.RUNS_TIMEOUT.convert(request.timeout, "--timeout")
    if request.memory is not None:
        memory = keys.RUNS_MEMORY.convert(request.memory, "--memory")
    return Limits(
        wall_seconds=timeout,
        cpu_seconds=timeout,
        memory_bytes=memory,
        network=request.network,
    )


def _snapshot(
    request: RunRequest, language: Language, content: bytes, root: Path | None
) -> Snapshot:
    cwd = request.cwd or Path.cwd()
    if request.file is not None:
        return gather(request.file, content, root, cwd, request.with_paths)
    name = cwd / language.source_name("main")  # a snippet has no surroundings, only --with
    return gather(name, content, None, cwd, request.with_paths, around=False)


def prepare(
    request: RunRequest,
    settings: Settings,
    languages: LanguageIndex,
    project_root: Path | None = None,
) -> Prepared:
    """The job for a request, its files gathered; UsageError for anything that cannot run."""
    label, path, content = _source(request)
    language = _language(languages, request.language, path, content[:512])
    snapshot = _snapshot(request, language, content, project_root)
    plan = language.plan(str(PurePosixPath(WORK_DIR) / snapshot.program), BINARY)
    job = RunJob(
        language=language.name,
        files=snapshot.files,
        run=[*plan.run, *request.args],
        compile=plan.compile,
        stdin=request.stdin,
        limits=limits_for(settings, request),
        image=image_for(settings, language),
    )
    return Prepared(label, job, snapshot.left_out)
