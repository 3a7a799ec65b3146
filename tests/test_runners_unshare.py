"""Which local sandbox runs: bubblewrap when installed, else util-linux `unshare`, or the one
SECTOR_LOCAL_SANDBOX names; `sector doctor` says which. (The hostile suite runs on both through
the `runner` fixture.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sector_cli.plugins.runners.local import LocalRunner, chosen_sandbox


def sandbox_check(sector) -> str:
    """The detail of `sector doctor --json`'s local sandbox check."""
    checks = json.loads(sector("doctor", "--json").output)
    return next(c["detail"] for c in checks if c["check"] == "local sandbox")


def test_without_bubblewrap_the_unshare_sandbox_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sector
) -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("util-linux unshare is not installed")
    (tmp_path / "unshare").symlink_to(unshare)  # a PATH with unshare and no bwrap
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("SECTOR_LOCAL_SANDBOX", raising=False)
    assert chosen_sandbox() == "unshare"
    availability = LocalRunner().availability()
    assert availability.ok, availability
    assert availability.detail.startswith(f"unshare ({tmp_path / 'unshare'})")
    assert sandbox_check(sector).startswith("unshare (")


@pytest.mark.parametrize("name", ["bwrap", "unshare"])
def test_doctor_names_the_chosen_sandbox(
    name: str, monkeypatch: pytest.MonkeyPatch, sector
) -> None:
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed")
    monkeypatch.setenv("SECTOR_LOCAL_SANDBOX", name)
    label = {"bwrap": "bubblewrap (", "unshare": "unshare ("}[name]
    assert sandbox_check(sector).startswith(label)


def test_an_unknown_sandbox_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECTOR_LOCAL_SANDBOX", "chroot")
    availability = LocalRunner().availability()
    assert not availability.ok
    assert "SECTOR_LOCAL_SANDBOX='chroot' is not a sandbox" in availability.detail
    assert "auto, bwrap, unshare" in availability.fix
