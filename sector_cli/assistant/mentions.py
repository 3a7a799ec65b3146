"""`@name[:argument]` mentions in a question, resolved into context sections.

The registry is open: a feature adds its mention with `register` (the context feature adds
`@context` and `@doc:NAME`), and every front end resolves mentions through the same registry.
Mentions registered together with `register_group` are resolved by one call that sees all of
them (`@doc:a.pdf @doc:b.pdf @context` is one retrieval, limited to two documents).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sector_cli.errors import UsageError
from sector_cli.wire import WireEvent

# A citation is [n] standing alone: not items[1], not inside `code` or a code block.
CITATION = re.compile(r"(?<![\w\])\[`'\"])\[(\d{1,3})\]")
FENCED = re.compile(r"```.*?(?:```|$)", re.DOTALL)
CODE = re.compile(rf"{FENCED.pattern}|`[^`\n]*`", re.DOTALL)


def cited_numbers(text: str) -> list[int]:
    """The source numbers a text cites, in order of appearance."""
    return [int(n) for n in CITATION.findall(CODE.sub(" ", text))]


@dataclass(frozen=True)
class Citation:
    """A numbered source sent with the question, that the answer can cite as [n]."""

    number: int
    label: str  # "notes/closures.md:40-58", "book.pdf, p. 212"
    path: str
    page: int | None
    line_start: int | None
    line_end: int | None
    text: str  # the passage as retrieved


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
    citation: Citation | None = None
    # When set, this is the answer and no model is asked (e.g. @context found nothing: saying
    # so beats letting the model invent).
    short_answer: str | None = None


# A resolver gets the mention's argument (`@file:ARG`) and the question without mentions.
Resolver = Callable[[str | None, str], list[Section]]
# A group resolver gets every (name, argument) of its group in the question, in order.
GroupResolver = Callable[[list[tuple[str, str | None]], str], list[Section]]


@dataclass(frozen=True)
class Grounding(WireEvent):
    """Whether each sentence of an answer is supported by the sources it was given."""

    wire_name: ClassVar[str] = "grounding"

    sentences: list[SentenceCheck]

    @property
    def unsupported(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]

    def to_wire(self) -> dict[str, Any]:
        """The checks, and how many failed (a script need not count them)."""
        return {**super().to_wire(), "unsupported": len(self.unsupported)}


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    supported: bool
    source: int | None  # the best supporting source's number
    similarity: float
    reason: str


GroundingCheck = Callable[[str, list[Citation]], Grounding]


@dataclass
class MentionRegistry:
    resolvers: dict[str, GroupResolver] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    # Checks an answer against the citations it was given (the context feature sets it).
    grounding: GroundingCheck | None = None

    def register(self, name: str, resolver: Resolver, help: str) -> None:
        def each(mentions: list[tuple[str, str | None]], question: str) -> list[Section]:
            return [s for _, argument in mentions for s in resolver(argument, question)]

        self.resolvers[name] = each
        self.help[name] = help

    def register_group(self, names: dict[str, str], resolver: GroupResolver) -> None:
        """Register mentions resolved together; `names` maps each name to its help."""
        for name, text in names.items():
            self.resolvers[name] = resolver
            self.help[name] = text

    def _pattern(self) -> re.Pattern[str]:
        names = "|".join(sorted(map(re.escape, self.resolvers), key=len, reverse=True))
        # The argument stops before trailing punctuation: "@run:4?" is run 4.
        return re.compile(rf"(?<![\w@])@({names})(?::(\S+?))?(?=[,.;:!?)]*(?:\s|$))")

    def resolve(self, question: str) -> tuple[str, list[Section]]:
        """The question without its mentions, and their sections in order of appearance."""
        if not self.resolvers:
            return question, []
        pattern = self._pattern()
        found = [(m.group(1), m.group(2)) for m in pattern.finditer(question)]
        # Resolvers (retrieval, ranking) see the question without mentions, as typed.
        bare = re.sub(r"\s{2,}", " ", pattern.sub("", question)).strip()
        # Each mention leaves a readable reference ("run #5", the file's path), so the
        # sentence around it still means something to the model.
        remaining = _tidy(pattern.sub(lambda m: reference(m.group(1), m.group(2)), question))
        if not bare and found:
            named = [reference(n, a) for n, a in found if reference(n, a)]
            remaining = f"Explain {', '.join(named)}." if named else "Explain this."
        if not remaining:
            raise UsageError("the question is empty", 'Ask something: sector ask "why ...?"')
        sections: list[Section] = []
        called: set[int] = set()
        for name, _ in found:
            resolver = self.resolvers[name]
            if id(resolver) in called:
                continue
            called.add(id(resolver))
            group = [(n, a) for n, a in found if self.resolvers[n] is resolver]
            sections.extend(resolver(group, bare or remaining))
        return remaining, sections


def reference(name: str, argument: str | None) -> str:
    """What a mention reads as once resolved: `@run:5` "run #5", `@file:a.py:3-9` "a.py:3-9",
    `@project` "the project"; `@context` nothing (its sources are the context itself)."""
    if argument is None:
        return "" if name == "context" else f"the {name}"
    if argument.isdigit():
        return f"{name} #{argument}"
    return argument if "/" in argument or "." in argument else f"{name} {argument}"


def _tidy(text: str) -> str:
    """Spaces left by a removed mention collapsed, none before punctuation."""
    return re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
