"""Which paths under a project folder are left alone: `.gitignore`, `.sectorignore`, and the
folders no one wants scanned (version control, virtual environments, caches)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

IGNORE_FILES = (".gitignore", ".sectorignore")
ALWAYS_IGNORED = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".sector",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".idea",
        ".vscode",
    }
)


class IgnoreRules:
    """Gitignore semantics: each folder's ignore files apply below it, deeper files win."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._specs: dict[Path, Any] = {}

    def _spec(self, folder: Path) -> Any:
        if folder not in self._specs:
            lines = []
            for name in IGNORE_FILES:
                try:
                    lines += (
                        (folder / name).read_text(encoding="utf-8", errors="replace").splitlines()
                    )
                except OSError:
                    continue
            spec = None
            if lines:
                import pathspec

                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether `path` (inside the root) is ignored."""
        if path.name in ALWAYS_IGNORED and is_dir:
            return True
        relative = path.relative_to(self.root)
        verdict = False
        folder = self.root
        for part in (None, *relative.parts[:-1]):
            if part is not None:
                folder = folder / part
            spec = self._spec(folder)
            if spec is None:
                continue
            candidate = path.relative_to(folder).as_posix() + ("/" if is_dir else "")
            result = spec.check_file(candidate)
            if result.include is not None:
                verdict = result.include
        return verdict
