"""The layers' import rules: nothing outside `sector_cli/cli` imports the CLI or Typer, so a
new front end (TUI, language server, team server) needs nothing from `cli/`.

Checked twice: by importing every module in a fresh interpreter (the real import graph, with
what each import pulls in), and by reading every import statement (a lazy import inside a
function, or one under TYPE_CHECKING, counts too)."""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import sector_cli

PACKAGE_DIR = Path(sector_cli.__file__).parent
CLI = "sector_cli.cli"
# `python -m sector_cli` is the CLI's own entry point: it is the one module that starts it.
ENTRY_POINT = "sector_cli.__main__"
FORBIDDEN = (CLI, "typer")
# Programs that something else runs (never imported): read by the static check only.
SCRIPTS = {"sector_cli.store.migrations.env"}  # Alembic's environment, run inside a migration

IMPORT_EACH = """
import importlib, json, sys

names = json.loads(sys.argv[1])
forbidden = tuple(json.loads(sys.argv[2]))
found = {}
for name in names:
    before = set(sys.modules)
    importlib.import_module(name)
    pulled = sorted(
        m for m in set(sys.modules) - before
        if any(m == f or m.startswith(f + ".") for f in forbidden)
    )
    if pulled:
        found[name] = pulled
print(json.dumps({"file": importlib.import_module("sector_cli").__file__, "found": found}))
"""


def core_modules() -> list[str]:
    """Every module of sector_cli outside cli/ (and the entry point)."""
    names = [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="sector_cli.")
        if not is_cli(info.name) and info.name != ENTRY_POINT and info.name not in SCRIPTS
    ]
    return ["sector_cli", *sorted(names)]


def is_cli(name: str) -> bool:
    return name == CLI or name.startswith(CLI + ".")


def forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: bytes, package: str) -> list[tuple[int, str]]:
    """Every module the import statements of a module of `package` name, relative imports
    resolved, and `importlib.import_module("...")` / `__import__("...")` with a literal name."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _is_import_call(node) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _is_import_call(node: ast.Call) -> bool:
    called = node.func
    name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
    return name in {"import_module", "__import__"}


def core_files() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if not is_cli(module_name(path)) and module_name(path) != ENTRY_POINT
    ]


def test_the_walk_sees_the_core_and_leaves_the_cli_out() -> None:
    names = core_modules()
    assert {"sector_cli.runs.service", "sector_cli.assistant.service", "sector_cli.wire"} <= set(
        names
    )
    assert not any(is_cli(name) for name in names)
    assert len(core_files()) >= len(names) - 1  # walk_packages and rglob agree


def test_importing_the_core_imports_neither_the_cli_nor_typer() -> None:
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, json.dumps(core_modules()), json.dumps(FORBIDDEN)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PACKAGE_DIR.parent,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert Path(result["file"]).parent == PACKAGE_DIR  # the tree under test, not another
    assert result["found"] == {}, f"modules whose import pulls these in: {result['found']}"


@pytest.mark.parametrize("path", core_files(), ids=lambda path: module_name(path))
def test_no_import_statement_outside_cli_names_the_cli_or_typer(path: Path) -> None:
    names = imported_names(path.read_bytes(), package_of(path))
    bad = [f"line {line}: {name}" for line, name in names if forbidden(name)]
    assert not bad, f"{path.relative_to(PACKAGE_DIR.parent)} imports {', '.join(bad)}"


def test_the_static_check_sees_lazy_relative_and_dynamic_imports() -> None:
    """The reader itself, on a module of sector_cli.runs hiding its imports every way."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sector_cli.cli.output import Output\n"
        "def later():\n    import typer\n    from ..cli import run\n"
        "    import importlib\n    importlib.import_module('sector_cli.cli.app')\n"
        "    from . import service\n"
    )
    names = [name for _, name in imported_names(source.encode(), "sector_cli.runs")]
    assert [name for name in names if forbidden(name)] == [
        "sector_cli.cli.output",
        "sector_cli.cli.output.Output",
        "typer",
        "sector_cli.cli",
        "sector_cli.cli.run",
        "sector_cli.cli.app",
    ]
    assert "sector_cli.runs.service" in names and not forbidden("sector_cli.client")
