"""What a visualization of a FILE can check before the file runs, so that a typo in an option
costs no run (and leaves none in history)."""

from __future__ import annotations

import re
from pathlib import Path

from sector_cli.errors import UsageError

DRAWING_SUFFIXES = (".svg", ".html", ".htm")


def check_out(path: Path | None) -> None:
    """--out must name a drawing Sector can write, in a folder that exists."""
    if path is None:
        return
    if path.suffix.lower() not in DRAWING_SUFFIXES:
        raise UsageError(
            f"cannot write {path.name}: --out takes a .svg or .html file",
            "Name the file drawing.svg or drawing.html",
        )
    if not path.absolute().parent.is_dir():
        raise UsageError(f"cannot write {path}: no folder {path.parent}", "Create it first")


def check_var(source: bytes, label: str, var: str) -> None:
    """A --var whose names occur nowhere in the program's text cannot be one of its
    variables: say so now rather than after tracing it. Names made from pieces at run time
    (`import *`, `globals()[...]`) are let through; the trace then decides."""
    text = source.decode("utf-8", errors="replace")
    if re.search(r"\bimport\s+\*|\b(globals|locals|vars|exec|setattr)\s*\(", text):
        return
    words = set(re.findall(r"\w+", text))
    for part in var.split(":"):
        if part and not part.startswith("<") and part not in words:
            raise UsageError(
                f"{label} has no variable {var}: {part!r} does not occur in it",
                "Name a global, or a local as func:name",
            )


def check_program_var(target: str, var: str) -> None:
    """`check_var` on a FILE about to be traced; a RUN is not run again, so its trace
    decides."""
    path = Path(target)
    if not path.is_file():
        return
    try:
        source = path.read_bytes()
    except OSError:
        return  # tracing it says why it cannot be read
    check_var(source, target, var)
