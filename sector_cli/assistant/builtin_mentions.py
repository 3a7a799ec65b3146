"""The built-in mentions: `@file:path[:start-end]`, `@run:ID` and `@project`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sector_cli.assistant.mentions import MentionRegistry, Section
from sector_cli.errors import NotFoundError, UsageError
from sector_cli.plugins.runner import WORK_DIR, RunJob
from sector_cli.runs.service import Runs
from sector_cli.store.models import Project, SourceFile

LINE_RANGE = re.compile(r"^(?P<path>.+?)(?::(?P<start>\d+)(?:-(?P<end>\d+))?)?$")
MAX_RUN_OUTPUT = 4000
PROJECT_TREE_LIMIT = 200


def file_section(argument: str | None, base: Path) -> list[Section]:
    if not argument:
        raise UsageError("@file needs a path", "Write @file:src/loop.py or @file:loop.py:10-30")
    match = LINE_RANGE.match(argument)
    assert match is not None
    path = Path(match["path"]).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UsageError(f"@file: {match['path']} does not exist", "Check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"@file: cannot read {match['path']} ({exc})", "Mention a text file"
        ) from None
    if not lines:
        return [Section(f"File {match['path']}", "(empty file)", match["path"], priority=10)]
    start = int(match["start"] or 1)
    end = int(match["end"] or (start if match["start"] else len(lines)))
    if start < 1 or end < start or start > max(len(lines), 1):
        raise UsageError(
            f"@file: {argument} is outside the file's {len(lines)} lines", "Fix the range"
        )
    end = min(end, len(lines))
    numbered = "\n".join(f"{n:>4} | {lines[n - 1]}" for n in range(start, end + 1))
    source = f"{match['path']}:{start}-{end}"
    return [Section(f"File {source}", numbered, source, priority=10)]


def run_sections(argument: str | None, runs: Runs) -> list[Section]:
    if not argument or not argument.isdigit():
        raise UsageError("@run needs a run number", "Write @run:42 (see `sector runs ls`)")
    run = runs.get(int(argument))
    job = runs.job(run)
    output = runs.output(run.id or 0).decode("utf-8", errors="replace")
    if len(output) > MAX_RUN_OUTPUT:
        cut = len(output) - MAX_RUN_OUTPUT
        output = f"[... first {cut} characters of output left out ...]\n" + output[-MAX_RUN_OUTPUT:]
    verdict = f"verdict {run.verdict}, exit code {run.exit_code}, {run.wall or 0:.2f}s"
    source = f"run #{run.id}"
    stdin = job.stdin.decode("utf-8", errors="replace")
    return [
        Section(
            f"Run #{run.id} result",
            f"{run.language} program {run.source}: {verdict}",
            source,
            priority=5,
            divisible=False,
        ),
        *_run_file_sections(run.id or 0, job, source),
        Section(f"Run #{run.id} input", stdin or "(no input)", source, priority=30),
        Section(f"Run #{run.id} output", output or "(no output)", source, priority=20),
    ]


def _run_file_sections(run_id: int, job: RunJob, source: str) -> list[Section]:
    """The run's text files, the program's own first: a project run holds the project's
    other files too, which matter less, and binary data says nothing to the model."""
    named = set(job.run) | set(job.compile or [])
    program = [n for n in job.files if n in named or f"{WORK_DIR}/{n}" in named]
    sections = []
    for name, data in job.files.items():
        if b"\0" in data[:8192]:
            continue
        main = name in program
        sections.append(
            Section(
                f"Run #{run_id} file {name}",
                data.decode("utf-8", errors="replace"),
                source,
                priority=10 if main else 40,
            )
        )
    return sections


def project_sections(project: Project, files: list[SourceFile], question: str) -> list[Section]:
    """The project's tree, then its files, most relevant to the question first."""
    root = Path(project.root)
    tree = "\n".join(f"{f.path} ({f.language}, {f.size} bytes)" for f in files[:PROJECT_TREE_LIMIT])
    if len(files) > PROJECT_TREE_LIMIT:
        tree += f"\n[... {len(files) - PROJECT_TREE_LIMIT} more files]"
    sections = [
        Section(
            f"Project {project.name}: files",
            tree or "(no tracked files)",
            f"project {project.name}",
            priority=15,
        )
    ]
    words = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", question)}
    texts = {}
    for row in files:  # each file read once
        try:
            texts[row.path] = (root / row.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    ranked = sorted(texts, key=lambda path: -_relevance(path, texts[path], words))
    for rank, path in enumerate(ranked):
        sections.append(Section(f"File {path}", texts[path], path, priority=40 + rank))
    return sections


def _relevance(name: str, text: str, words: set[str]) -> int:
    lowered = text.lower()
    return sum(3 for word in words if word in name.lower()) + sum(
        1 for word in words if word in lowered
    )


def register_builtins(
    registry: MentionRegistry,
    base: Path,
    runs: Runs,
    project: Project | None,
    files: Callable[[], list[SourceFile]],
) -> None:
    registry.register("file", lambda arg, _: file_section(arg, base), "@file:PATH[:START-END]")
    registry.register("run", lambda arg, _: run_sections(arg, runs), "@run:ID")

    def resolve_project(argument: str | None, question: str) -> list[Section]:
        if project is None:
            raise NotFoundError(
                "@project: no project selected", "Run `sector init` in your project"
            )
        return project_sections(project, files(), question)

    registry.register("project", resolve_project, "@project")
