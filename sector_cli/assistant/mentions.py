"""`@name[:argument]` mentions in a question, resolved into context sections.

The registry is open: a feature adds its mention with `register` (the context issue adds
`@context`), and every front end resolves mentions through the same registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sector_cli.errors import UsageError


@dataclass(frozen=True)
class Section:
    """A piece of context for the prompt, with where it came from."""

    title: str
    text: str
    source: str  # what a citation points at: a path with lines, a run number, ...
    # Lower is more important: kept first when the budget is tight.
    priority: int = 50
    # Whether the text may be cut to fit (a file may; a run's verdict may not).
    divisible: bool = True


# A resolver gets the mention's argument (`@file:ARG`) and the whole question.
Resolver = Callable[[str | None, str], list[Section]]


@dataclass
class MentionRegistry:
    resolvers: dict[str, Resolver] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)

    def register(self, name: str, resolver: Resolver, help: str) -> None:
        self.resolvers[name] = resolver
        self.help[name] = help

    def _pattern(self) -> re.Pattern[str]:
        names = "|".join(sorted(map(re.escape, self.resolvers), key=len, reverse=True))
        # The argument stops before trailing punctuation: "@run:4?" is run 4.
        return re.compile(rf"(?<![\w@])@({names})(?::(\S+?))?(?=[,.;:!?)]*(?:\s|$))")

    def resolve(self, question: str) -> tuple[str, list[Section]]:
        """The question without its mentions, and their sections in order of appearance."""
        if not self.resolvers:
            return question, []
        sections: list[Section] = []
        pattern = self._pattern()
        for match in pattern.finditer(question):
            name, argument = match.group(1), match.group(2)
            sections.extend(self.resolvers[name](argument, question))
        remaining = re.sub(r"\s{2,}", " ", pattern.sub("", question)).strip()
        if not remaining and sections:
            remaining = "Explain this."
        if not remaining:
            raise UsageError("the question is empty", 'Ask something: sector ask "why ...?"')
        return remaining, sections
