"""The viz families are sub-packages with a public surface (`__all__` in their `__init__`), and
they reach each other only through it: `from sector_cli.viz.trace import value_text`, never
`from sector_cli.viz.trace.tutor_format import value_text` from another family."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import sector_cli.viz
from tests.test_cli_process import FRONT_ENDS, HEAVY, STORAGE

VIZ = Path(sector_cli.viz.__file__).parent
FAMILIES = sorted(p.parent.name for p in VIZ.glob("*/__init__.py"))
MODULES = sorted(p for p in VIZ.rglob("*.py") if p.parent != VIZ)


def _module_name(path: Path) -> str:
    parts = path.relative_to(VIZ.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """What an import statement takes, as dotted names (`module.name` for each name of a
    `from module import name`), relative imports made absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" for alias in node.names]


def _public(family: str) -> set[str]:
    return set(importlib.import_module(f"sector_cli.viz.{family}").__all__)


def violations(source: str, importer: str, is_package: bool = False) -> list[str]:
    """Imports in `source` (the module `importer`) of another family's modules, or of names
    its package does not export. `from sector_cli.viz import phases` takes the package."""
    family = importer.split(".")[2]
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for name in _imported(node, importer, is_package):
            parts = name.split(".")
            if parts[:2] != ["sector_cli", "viz"] or len(parts) < 3 or parts[2] == family:
                continue
            is_name = isinstance(node, ast.ImportFrom)
            if len(parts) == 3 or (len(parts) == 4 and is_name and parts[3] in _public(parts[2])):
                continue
            found.append(f"{importer}:{node.lineno} takes {name}")
    return found


def test_every_viz_module_belongs_to_a_family() -> None:
    loose = sorted(p.name for p in VIZ.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"put {loose} in a family's sub-package"
    assert set(FAMILIES) >= {"trace", "phases", "network", "structures", "syntax", "calltree"}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_exports_its_public_surface(family: str) -> None:
    package = importlib.import_module(f"sector_cli.viz.{family}")
    exported = getattr(package, "__all__", None)
    assert exported, f"sector_cli.viz.{family} has no __all__"
    assert len(set(exported)) == len(exported), "a name is exported twice"
    missing = [name for name in exported if not hasattr(package, name)]
    assert not missing, f"sector_cli.viz.{family}.__all__ names what it lacks: {missing}"


def test_families_import_each_other_through_their_packages() -> None:
    found = []
    for path in MODULES:
        importer = _module_name(path)
        found += violations(path.read_text(encoding="utf-8"), importer, path.name == "__init__.py")
    assert not found, "import through the family's package instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "from sector_cli.viz.trace.tutor_format import value_text",
        "import sector_cli.viz.trace.model",
        "from sector_cli.viz.drawing import svg",  # a module, not an exported name
        "from sector_cli.viz.trace import _LiveReader",
        "from ..trace.model import Trace",
        "def f():\n    from sector_cli.viz.syntax.tree import Span",
        "if TYPE_CHECKING:\n    from sector_cli.viz.trace.model import Trace",
    ],
)
def test_an_import_into_another_familys_module_is_caught(line: str) -> None:
    assert violations(line, "sector_cli.viz.calltree.model"), line


@pytest.mark.parametrize(
    "line",
    [
        "from sector_cli.viz.trace import value_text",
        "from sector_cli.viz.calltree.render import terminal",  # its own family
        "from .render import terminal",
        "from sector_cli.viz import phases",
        "import sector_cli.viz.trace",
        "from sector_cli.errors import UsageError",
    ],
)
def test_an_import_through_a_package_or_within_the_family_is_allowed(line: str) -> None:
    assert not violations(line, "sector_cli.viz.calltree.model"), line


def test_importing_the_families_loads_nothing_heavy() -> None:
    """`sector viz ...` pays only for what it draws: torch, onnx, rich, tree-sitter and
    storage load when a function needs them, never when a family is imported."""
    imports = "; ".join(f"import sector_cli.viz.{family}" for family in FAMILIES)
    code = f"import sys; {imports}; sys.stderr.write('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in done.stderr.splitlines()}
    assert not loaded & (HEAVY | FRONT_ENDS | STORAGE | {"onnx"}), loaded & (HEAVY | FRONT_ENDS)
