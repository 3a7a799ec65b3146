"""Prompt assembly within the model's token budget. Nothing is cut or left out silently:
every section's fate is in the plan, which `sector ask --dry-run` shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sector_cli.assistant.mentions import Citation, Section
from sector_cli.errors import UsageError
from sector_cli.plugins.backend import Message
from sector_cli.wire import jsonable

SYSTEM_PROMPT = (
    "You are Sector, a patient programming tutor in the terminal. Answer the learner's "
    "question clearly and correctly, with short examples in Markdown code blocks when they "
    "help. Use the context below when it is relevant, and say so when it is not enough."
)
CITING_PROMPT = (
    " Answer only from the numbered sources below. After each sentence, cite the source that "
    "supports it by its number in brackets, like [1]. If the sources do not answer the "
    "question, say that they do not."
)
# For a model too small to explain (the bundled one): repeat the sources, do not improvise.
QUOTING_PROMPT = " Keep the answer to two or three sentences, each quoting the words of a source."
TRUNCATION_NOTE = "[... cut to fit the model's context: {shown} of {total} lines shown ...]"
CONTEXT_HEADER = "\n\n# Context\n"
# What a chat template adds around each message (role markers, separators): counted apart
# from the text, so that the plan never promises room the model does not have.
TEMPLATE_TOKENS_PER_MESSAGE = 8
MAX_CHARS_PER_TOKEN = 12  # no tokenizer packs more: bounds the text worth measuring


@dataclass(frozen=True)
class PlannedSection:
    title: str
    source: str
    tokens: int  # as sent (after any cut)
    original_tokens: int
    status: str  # included | truncated | dropped
    text: str  # what is sent (empty when dropped)
    citation: Citation | None = None


@dataclass
class PromptPlan:
    """What would be sent, section by section, and what was left out to fit."""

    messages: list[Message]
    sections: list[PlannedSection]
    window: int
    reserved_for_answer: int
    system_tokens: int
    question_tokens: int
    history_tokens: int
    history_kept: int
    history_dropped: int
    notes: list[str] = field(default_factory=list)
    # The answer itself, when a mention settled it (nothing is sent to the model).
    short_answer: str | None = None

    @property
    def citations(self) -> list[Citation]:
        """The numbered sources actually sent (a dropped one cannot be cited)."""
        return [s.citation for s in self.sections if s.citation and s.status != "dropped"]

    @property
    def prompt_tokens(self) -> int:
        sent = sum(s.tokens for s in self.sections if s.status != "dropped")
        return self.system_tokens + self.question_tokens + self.history_tokens + sent

    def to_wire(self, model: str, backend: str) -> dict[str, Any]:
        """The plan as `sector ask --dry-run --json` gives it: who would answer, then it."""
        return {
            "backend": backend,
            "model": model,
            **jsonable(self),
            "prompt_tokens": self.prompt_tokens,
        }


def _fit(section: Section, room: int, count: Callable[[str], int]) -> str | None:
    """The longest head of a divisible section that fits `room` tokens, marked as cut."""
    if not section.divisible or room <= 0:
        return None
    lines, chars = [], 0
    for line in section.text.splitlines():  # measure only what could possibly fit
        chars += len(line) + 1
        if chars > room * MAX_CHARS_PER_TOKEN:
            break
        lines.append(line)
    total = len(section.text.splitlines())
    low, high, best = 1, min(len(lines), total - 1), None
    while low <= high:  # binary search on the number of lines kept
        middle = (low + high) // 2
        note = TRUNCATION_NOTE.format(shown=middle, total=total)
        candidate = "\n".join([*lines[:middle], note])
        if count(_block(section, candidate)) <= room:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _block(section: Section, text: str) -> str:
    return f"## {section.title} (source: {section.source})\n{text}\n"


def assemble(
    question: str,
    sections: list[Section],
    history: list[Message],
    window: int,
    reserve: int,
    count: Callable[[str], int],
    quote: bool = False,
) -> PromptPlan:
    """Fit system prompt, question, context sections (by priority) and recent history;
    `quote` asks a weak model to answer from sources by quoting them."""
    citing = any(s.citation for s in sections)
    instructions = SYSTEM_PROMPT + (CITING_PROMPT if citing else "")
    instructions += QUOTING_PROMPT if citing and quote else ""
    system_tokens = count(instructions + CONTEXT_HEADER) + 2 * TEMPLATE_TOKENS_PER_MESSAGE
    question_tokens = count(question)
    budget = window - reserve
    if budget <= system_tokens:
        raise UsageError(
            f"an answer of up to {reserve} tokens leaves no room for the question in the "
            f"model's {window}-token window",
            "Lower --max-tokens (or assistant.max_tokens)",
        )
    if system_tokens + question_tokens > budget:
        raise UsageError(
            f"the question takes {question_tokens} tokens; the model reads {window} in all, "
            f"{reserve} of them kept for the answer",
            "Shorten the question, lower --max-tokens, or choose a model with a larger context",
        )
    room = budget - system_tokens - question_tokens
    planned: dict[int, PlannedSection] = {}
    for index in sorted(range(len(sections)), key=lambda i: sections[i].priority):
        section = sections[index]
        whole = _block(section, section.text)
        tokens = count(whole)
        if tokens <= room:
            planned[index] = PlannedSection(
                section.title, section.source, tokens, tokens, "included", whole, section.citation
            )
            room -= tokens
            continue
        cut = _fit(section, room, count)
        if cut is not None:
            block = _block(section, cut)
            used = count(block)
            planned[index] = PlannedSection(
                section.title, section.source, used, tokens, "truncated", block, section.citation
            )
            room -= used
        else:
            planned[index] = PlannedSection(
                section.title, section.source, 0, tokens, "dropped", "", section.citation
            )
    kept: list[Message] = []
    history_tokens = 0
    for message in reversed(history):  # the most recent exchanges matter most
        tokens = count(message.content) + TEMPLATE_TOKENS_PER_MESSAGE
        if tokens > room:
            break
        kept.insert(0, message)
        room -= tokens
        history_tokens += tokens
    ordered = [planned[i] for i in range(len(sections))]
    context = "".join(p.text for p in ordered if p.status != "dropped")
    system = instructions + (f"{CONTEXT_HEADER}{context}" if context else "")
    plan = PromptPlan(
        messages=[Message("system", system), *kept, Message("user", question)],
        sections=ordered,
        window=window,
        reserved_for_answer=reserve,
        system_tokens=system_tokens,
        question_tokens=question_tokens,
        history_tokens=history_tokens,
        history_kept=len(kept),
        history_dropped=len(history) - len(kept),
        short_answer=next((s.short_answer for s in sections if s.short_answer), None),
    )
    for fate in ordered:
        if fate.status != "included":
            plan.notes.append(
                f"{fate.title}: {fate.status} ({fate.tokens} of {fate.original_tokens} tokens sent)"
            )
    if plan.history_dropped:
        plan.notes.append(f"{plan.history_dropped} earlier messages left out to fit")
    return plan
