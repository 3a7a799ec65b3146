"""Which language a file is in: by extension first, then by its `#!` line."""

from __future__ import annotations

import re
from pathlib import Path

from sector_cli.plugins.language import Language

_VERSION_SUFFIX = re.compile(r"[\d.]+$")


def interpreter_of(first_line: str) -> str | None:
    """The interpreter a shebang names: `#!/usr/bin/env -S python3 -u` gives `python`."""
    if not first_line.startswith("#!"):
        return None
    words = first_line[2:].split()
    if not words:
        return None
    program = Path(words[0]).name
    if program == "env":
        rest = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
        if not rest:
            return None
        program = Path(rest[0]).name
    return _VERSION_SUFFIX.sub("", program) or None


class LanguageIndex:
    """Looks languages up by extension and shebang interpreter."""

    def __init__(self, languages: list[Language]) -> None:
        """`languages` in order of precedence: the first to claim an extension keeps it."""
        self.languages = {language.name: language for language in languages}
        self._by_extension: dict[str, Language] = {}
        self._by_interpreter: dict[str, Language] = {}
        for language in languages:
            for extension in language.extensions:
                self._by_extension.setdefault(extension, language)
            for name in language.shebangs:
                self._by_interpreter.setdefault(_VERSION_SUFFIX.sub("", name), language)

    def by_extension(self, path: Path) -> Language | None:
        return self._by_extension.get(path.suffix.lower())

    def by_shebang(self, first_line: str) -> Language | None:
        interpreter = interpreter_of(first_line)
        return self._by_interpreter.get(interpreter) if interpreter else None

    def detect(self, path: Path, head: bytes) -> Language | None:
        """The language of a file, given its first bytes; None when nothing matches."""
        found = self.by_extension(path)
        if found:
            return found
        first_line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
        return self.by_shebang(first_line)
