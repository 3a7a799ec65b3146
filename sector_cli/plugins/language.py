"""Contract for `sector.languages` plugins: how to recognise, parse, build and run a language.

Commands are templates whose placeholders are filled per job:
`{source}` the source file, `{binary}` the file a compiler writes, `{dir}` the work folder,
`{stem}` the source file name without its extension.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import ClassVar

from sector_cli.plugins.base import Availability, Plugin


@dataclass(frozen=True)
class Grammar:
    """A tree-sitter grammar package: `import module; Language(module.function())`."""

    package: str
    module: str
    function: str = "language"


@dataclass(frozen=True)
class BuildPlan:
    """The commands that compile (optional) and run one source file."""

    compile: list[str] | None
    run: list[str]


class Language(Plugin):
    """A programming language Sector can detect, parse and run."""

    kind: ClassVar[str] = "languages"
    extensions: ClassVar[tuple[str, ...]] = ()
    shebangs: ClassVar[tuple[str, ...]] = ()  # interpreter names seen in a `#!` line
    grammar: ClassVar[Grammar | None] = None
    compile_command: ClassVar[tuple[str, ...] | None] = None
    run_command: ClassVar[tuple[str, ...]] = ()
    docker_image: ClassVar[str] = ""  # an image a user can pull that has the toolchain
    install_hint: ClassVar[str] = ""  # what installs the toolchain on Debian/Ubuntu

    def source_name(self, stem: str) -> str:
        """File name a snippet is saved under (some languages tie it to the code)."""
        return f"{stem}{self.extensions[0]}"

    def plan(self, source: str, binary: str = "main.out") -> BuildPlan:
        """The compile and run commands for `source` (a path inside the work folder)."""
        path = PurePosixPath(source)
        values = {"source": source, "binary": binary, "dir": str(path.parent), "stem": path.stem}
        compile_ = [part.format(**values) for part in self.compile_command or ()]
        return BuildPlan(compile_ or None, [part.format(**values) for part in self.run_command])

    def toolchain(self) -> list[str]:
        """The programs this language needs on PATH to build and run."""
        commands = [self.compile_command, self.run_command]
        programs = [command[0] for command in commands if command]
        return [program for program in programs if not program.startswith("{")]

    def availability(self) -> Availability:
        missing = [program for program in self.toolchain() if shutil.which(program) is None]
        if not missing:
            return Availability(True, "toolchain: " + ", ".join(self.toolchain()))
        return Availability(False, f"not on PATH: {', '.join(missing)}", self.install_hint)

    @classmethod
    def contract_problems(cls) -> list[str]:
        problems = super().contract_problems()
        if not cls.extensions or not all(
            ext.startswith(".") and ext == ext.lower() for ext in cls.extensions
        ):
            problems.append("extensions must be non-empty, lowercase and start with '.'")
        if not cls.run_command:
            problems.append("run_command must say how to run a program")
        if not cls.docker_image:
            problems.append("docker_image must name an image with the toolchain")
        return problems
