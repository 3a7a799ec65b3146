"""Choosing what to show: the language of a file (`--lang` or its extension) and the part
of the source a `--line N` or a `--node I` stands for."""

from __future__ import annotations

from pathlib import Path

from sector_cli.errors import UsageError
from sector_cli.viz.phases.model import Phases, Selection
from sector_cli.viz.syntax import line_span

NATIVE = {".c": "c", ".h": "c"} | dict.fromkeys((".cc", ".cpp", ".cxx", ".hpp", ".hh"), "cpp")
PYTHON = (".py", ".pyw", ".pyi")
SUPPORTED = "Python, C and C++"


def language_of(path: Path, forced: str | None = None) -> str:
    """python, c or cpp: `forced` when given, else from the file's extension."""
    hint = f"Use --lang python, c or cpp; for any language's syntax tree: sector viz ast {path}"
    if forced:
        name = {"c++": "cpp", "py": "python", "python3": "python"}.get(forced.lower(), forced)
        if name.lower() not in ("python", "c", "cpp"):
            raise UsageError(f"sector viz phases knows {SUPPORTED}, not {forced!r}", hint)
        return name.lower()
    suffix = path.suffix.lower()
    if suffix in PYTHON:
        return "python"
    if suffix in NATIVE:
        return NATIVE[suffix]
    what = f"{suffix} files" if suffix else f"{path.name} (no extension)"
    raise UsageError(f"sector viz phases knows {SUPPORTED}, not {what}", hint)


def select(view: Phases, line: int | None = None, node: int | None = None) -> Selection | None:
    """The part of the source a `--line N` or a `--node I` stands for (None: all of it)."""
    if line is not None and node is not None:
        raise UsageError("give --line or --node, not both", "Drop one of them")
    last = max(len(view.lines), 1)
    if line is not None:
        if not 1 <= line <= last:
            raise UsageError(
                f"line {line} is outside {view.file} (lines 1 to {last})",
                f"Use a line from 1 to {last}",
            )
        return Selection(line_span(line), f"line {line}")
    if node is not None:
        if not view.nodes:
            raise UsageError(f"{view.file} has no syntax tree to choose from", "Fix it first")
        if not 0 <= node < len(view.nodes):
            raise UsageError(
                f"there is no node {node}: the syntax tree has nodes 0 to {len(view.nodes) - 1}",
                "See the node numbers in the overview or in --json",
            )
        found = view.nodes[node]
        span = found.span if found.parent is not None else None
        return Selection(span or line_span(1, last), f"node {node} ({found.type})")
    return None
