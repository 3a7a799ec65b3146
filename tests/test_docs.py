"""docs/ stays true to the code: the CLI reference is regenerated from --help and compared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sector_cli.plugins.declared import key_table

ROOT = Path(__file__).resolve().parent.parent


def _reference_module():
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "scripts/cli_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert committed == _reference_module().render(), "run `make docs` and commit the result"


def test_configuration_reference_lists_every_key_and_variable() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key in key_table():
        assert f"`{key.name}`" in text, key.name
        assert f"`{key.env}`" in text, key.env
