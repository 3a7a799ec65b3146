"""What every plugin has, whatever its kind.

A plugin is a class registered under an entry point group `sector.<kind>`. Required parts are
abstract methods or class attributes that the kind's contract names; optional parts have safe
defaults. `contract_problems()` lists what a class gets wrong, and the shared contract tests
(`sector_cli.plugins.testing`) run it for every registered plugin.
"""

from __future__ import annotations

import re
from abc import ABC
from dataclasses import dataclass
from typing import ClassVar

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_+-]*$")


@dataclass(frozen=True)
class Availability:
    """Whether a plugin can work on this machine, and what fixes it when it cannot."""

    ok: bool
    detail: str = ""
    fix: str = ""


class Plugin(ABC):
    """Base of every plugin kind."""

    kind: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str] = ""

    def availability(self) -> Availability:
        """Whether this plugin can work here. Never raises; the default says yes."""
        return Availability(True)

    @classmethod
    def contract_problems(cls) -> list[str]:
        """What this class gets wrong against its kind's contract (empty when it is fine)."""
        problems = []
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            problems.append(f"name must be a lowercase identifier, got {name!r}")
        if not cls.summary:
            problems.append("summary must say in a few words what the plugin does")
        abstract = sorted(getattr(cls, "__abstractmethods__", ()))
        if abstract:
            problems.append(f"abstract methods not implemented: {', '.join(abstract)}")
        return problems
