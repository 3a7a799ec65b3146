"""`export conversation N` and `export answer N`: questions and answers as they were, each
message a section (its Markdown as blocks, code coloured), an answer's sources with the ones
it cited, whether each sentence is supported by them, and how the answer was produced."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from sector_cli.assistant.mentions import cited_numbers
from sector_cli.errors import NotFoundError
from sector_cli.export.kinds import ExportRequest, meta_for
from sector_cli.export.kinds.run import run_number
from sector_cli.export.markdown_blocks import blocks_of
from sector_cli.export.model import (
    Block,
    Document,
    Heading,
    Note,
    Paragraph,
    Section,
    Span,
    Table,
)

if TYPE_CHECKING:
    from sector_cli.assistant.mentions import Grounding
    from sector_cli.assistant.service import Assistant, Checks
    from sector_cli.services import Services
    from sector_cli.store.models import Conversation
    from sector_cli.store.models import Message as MessageRow

MAX_MESSAGES = 300  # of one conversation: the rest is named, not exported
MAX_SENTENCES = 200  # grounding rows of one answer
# The Sources block an answer is saved with (assistant.service.sources_block).
SOURCES = re.compile(r"\n\nSources:\n((?:\[\d+\] [^\n]*(?:\n|$))+)\Z")
SOURCE_LINE = re.compile(r"\[(\d+)\] (.*)")
STATUS = {
    "interrupted": "It was interrupted before it finished.",
    "truncated": "It was cut at the answer's token limit (--max-tokens).",
    "error": "The model failed while writing it; this is what it had written.",
    "streaming": "It was still being written (or its Sector stopped) when this was exported.",
}


def build_conversation(ref: str, request: ExportRequest, services: Services) -> Document:
    assistant = services.assistant
    number = run_number(ref, "conversation")
    found = assistant.conversation(number) if number is not None else _latest(assistant)
    assert found.id is not None
    rows = [row for row in assistant.messages(found.id) if row.role != "system"]
    notes: tuple[Note, ...] = ()
    if len(rows) > MAX_MESSAGES:
        notes = (
            Note(
                f"The first {MAX_MESSAGES} of {len(rows):,} messages; all of them: "
                f"`sector history show {found.id}`.",
                "warning",
            ),
        )
        rows = rows[:MAX_MESSAGES]
    sections = tuple(message_section(row) for row in rows) or (
        Section("Messages", (Paragraph.of("This conversation has no messages."),)),
    )
    meta = meta_for(
        "conversation", f"conversation #{found.id}", services, _project(services, found)
    )
    return Document(found.title or f"Conversation #{found.id}", meta, sections, notes=notes)


def build_answer(ref: str, request: ExportRequest, services: Services) -> Document:
    """One exchange: an answer with the question before it, or a question with its answer."""
    assistant = services.assistant
    number = run_number(ref, "message")
    chosen = assistant.message(number) if number is not None else _last_answer(assistant)
    found = assistant.conversation(chosen.conversation_id)
    question, answer = _exchange(assistant, chosen)
    sections = [message_section(row) for row in (question, answer) if row is not None]
    notes: tuple[Note, ...] = ()
    if answer is None:
        notes = (Note("This question has no answer.", "warning"),)
    if question is None:
        notes = (Note("The question this answers is no longer kept.", "warning"),)
    title = (question.content if question else found.title).strip().split("\n")[0][:80]
    meta = meta_for("answer", f"message #{chosen.id}", services, _project(services, found))
    return Document(title or f"Message #{chosen.id}", meta, tuple(sections), notes=notes)


def _latest(assistant: Assistant) -> Conversation:
    try:
        return assistant.latest()
    except NotFoundError:
        raise NotFoundError(
            "there are no conversations yet", 'Ask first: sector ask "..."'
        ) from None


def _last_answer(assistant: Assistant) -> MessageRow:
    latest = _latest(assistant)
    assert latest.id is not None
    rows = assistant.messages(latest.id)
    answers = [row for row in rows if row.role == "assistant"] or rows
    if not answers:
        raise NotFoundError(f"conversation #{latest.id} has no messages", 'Ask: sector ask "..."')
    return answers[-1]


def _exchange(
    assistant: Assistant, chosen: MessageRow
) -> tuple[MessageRow | None, MessageRow | None]:
    """(the question, its answer) around `chosen`, either of them missing when it is."""
    rows = assistant.messages(chosen.conversation_id)
    at = next(i for i, row in enumerate(rows) if row.id == chosen.id)
    if chosen.role == "user":
        following = rows[at + 1] if at + 1 < len(rows) else None
        return chosen, following if following and following.role == "assistant" else None
    earlier = rows[at - 1] if at > 0 else None
    return (earlier if earlier and earlier.role == "user" else None), chosen


def _project(services: Services, conversation: Conversation) -> str | None:
    from sector_cli.store.models import Project

    if conversation.project_id is None:
        return None
    with services.store.session() as session:
        project = session.get(Project, conversation.project_id)
    return project.name if project is not None else None


# one message


def message_section(row: MessageRow) -> Section:
    """A message: who wrote it, its text as blocks, and for an answer its sources, checks
    and stats; an answer that did not finish says so."""
    if row.role == "user":
        return Section("You", tuple(blocks_of(row.content)) or (Paragraph.of("(empty)"),))
    heading = f"Sector ({row.backend or '?'}, {row.model or '?'})"
    if row.status != "complete":
        heading += f" · {row.status}"
    text, listed = split_sources(row.content)
    blocks: list[Block] = []
    if row.status in STATUS:
        blocks.append(Note(f"This answer is {row.status}. {STATUS[row.status]}", "warning"))
    blocks += blocks_of(text) or [Paragraph.of("(no text)")]
    blocks += _sources(text, listed, _checks(row))
    blocks += _stats(row.stats)
    return Section(heading, tuple(blocks))


def split_sources(content: str) -> tuple[str, list[tuple[int, str]]]:
    """An answer's text, and the sources listed in the Sources block saved after it."""
    match = SOURCES.search(content)
    if match is None:
        return content, []
    listed = [
        (int(found.group(1)), found.group(2))
        for line in match.group(1).splitlines()
        if (found := SOURCE_LINE.fullmatch(line))
    ]
    return content[: match.start()], listed


def _checks(row: MessageRow) -> Checks | None:
    from sector_cli.assistant.service import Checks

    return Checks.from_json(row.checks)


def _sources(text: str, listed: list[tuple[int, str]], checks: Checks | None) -> list[Block]:
    """The sources table (number, where, cited or not), then the grounding result."""
    if checks is not None and checks.citations:
        sources = [(c.number, c.label) for c in checks.citations]
        cited = set(checks.cited)
    elif listed:  # saved before the checks were kept: which it cited is in its text
        sources, cited = listed, set(cited_numbers(text))
    else:
        return []
    rows = tuple((f"[{n}]", label, "cited" if n in cited else "not cited") for n, label in sources)
    blocks: list[Block] = [
        Heading("Sources", 3),
        Table(("#", "Source", "Cited"), rows, monospace=frozenset({1})),
    ]
    if not cited:
        blocks.append(Note("The answer cites none of its sources.", "warning"))
    if checks is not None and checks.grounding is not None:
        blocks += _grounding(checks.grounding)
    else:
        blocks.append(Note("This answer was not checked against its sources."))
    return blocks


def _grounding(grounding: Grounding) -> list[Block]:
    sentences = grounding.sentences
    rows = tuple(
        (
            check.sentence,
            "yes" if check.supported else "no",
            f"[{check.source}]" if check.source is not None else "-",
            f"{check.similarity:.2f}",
            check.reason,
        )
        for check in sentences[:MAX_SENTENCES]
    )
    blocks: list[Block] = [
        Heading("Grounding", 3),
        Table(("Sentence", "Supported", "Source", "Similarity", "Why"), rows),
    ]
    if len(sentences) > MAX_SENTENCES:
        blocks.append(Note(f"The first {MAX_SENTENCES} of {len(sentences):,} sentences."))
    unsupported = len(grounding.unsupported)
    if unsupported:
        blocks.append(
            Note(
                f"{unsupported} of {len(sentences)} sentences are not supported by the sources: "
                "check them before relying on them.",
                "warning",
            )
        )
    elif sentences:
        blocks.append(Note(f"Every sentence ({len(sentences)}) is supported by a source."))
    return blocks


def _stats(raw: str | None) -> list[Block]:
    """How the answer was produced, in small print (italics)."""
    try:
        stats = json.loads(raw) if raw else None
    except ValueError:
        stats = None
    if not isinstance(stats, dict):
        return []
    parts = []
    if isinstance(first := stats.get("time_to_first_token"), int | float):
        parts.append(f"first token after {first:.2f} s")
    if isinstance(rate := stats.get("tokens_per_second"), int | float):
        parts.append(f"{rate:.1f} tokens/s")
    if isinstance(tokens := stats.get("completion_tokens"), int):
        parts.append(f"{tokens} tokens")
    if isinstance(seconds := stats.get("seconds"), int | float):
        parts.append(f"{seconds:.1f} s in all")
    return [Paragraph((Span(" · ".join(parts), italic=True),))] if parts else []
