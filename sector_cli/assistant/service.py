"""The assistant service: ask, continue conversations, keep history. Front ends call only this."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any, ClassVar

from sqlalchemy import func
from sqlmodel import col, select

from sector_cli.assistant.mentions import (
    Citation,
    Grounding,
    MentionRegistry,
    SentenceCheck,
    cited_numbers,
)
from sector_cli.assistant.prompt import PromptPlan, assemble
from sector_cli.config import keys
from sector_cli.config.settings import Settings
from sector_cli.errors import NotFoundError, SectorError
from sector_cli.plugins.backend import (
    Backend,
    Done,
    GenerateOptions,
    Message,
    Token,
    Usage,
)
from sector_cli.plugins.registry import Registry
from sector_cli.store.engine import Store
from sector_cli.store.models import Conversation
from sector_cli.store.models import Message as MessageRow
from sector_cli.timeutil import utcnow
from sector_cli.wire import WireEvent

TITLE_LENGTH = 60


@dataclass(frozen=True)
class Stats(WireEvent):
    """How an answer was produced, for `-v`, `--json` and history."""

    wire_name: ClassVar[str] = "stats"

    backend: str
    model: str
    time_to_first_token: float | None
    tokens_per_second: float | None
    prompt_tokens: int | None
    completion_tokens: int
    seconds: float


@dataclass(frozen=True)
class Sources(WireEvent):
    """The numbered sources the answer was given, after it is complete: which it cited."""

    wire_name: ClassVar[str] = "sources"

    citations: list[Citation]
    cited: list[int]


@dataclass(frozen=True)
class Checks:
    """What was checked of a sourced answer, kept with it in history (and exported): the
    sources it was given, which it cited, and whether each sentence is supported (None when
    no grounding check ran)."""

    citations: list[Citation]
    cited: list[int]
    grounding: Grounding | None = None

    def to_json(self) -> str:
        grounding = self.grounding.to_wire() if self.grounding else None
        return json.dumps(
            {"citations": [asdict(c) for c in self.citations], "cited": self.cited}
            | {"grounding": grounding}
        )

    @classmethod
    def from_json(cls, text: str | None) -> Checks | None:
        """The checks a message keeps; None for none, or for a record this Sector cannot
        read (history is shown without them rather than not at all)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            citations = [Citation(**c) for c in data["citations"]]
            grounding = data.get("grounding")
            sentences = [SentenceCheck(**s) for s in grounding["sentences"]] if grounding else None
            return cls(
                citations,
                [int(n) for n in data["cited"]],
                Grounding(sentences) if sentences is not None else None,
            )
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Notice(WireEvent):
    """Said once per answer, after it: the model that answered is not to be trusted much
    (the bundled demo model), and how to get a better one."""

    wire_name: ClassVar[str] = "notice"

    text: str


@dataclass(frozen=True)
class ModelReport:
    """What `sector models ls` shows of a backend: its models, or why it does not answer."""

    backend: str
    default: str | None
    models: list[str]
    problem: str = ""

    def to_wire(self) -> dict[str, Any]:
        shown = [f"{m} (default)" if m == self.default else m for m in self.models]
        return {
            "backend": self.backend,
            "default": self.default,
            "models": self.models,
            "shown": ", ".join(shown),
            "answers": not self.problem,
            "problem": self.problem,
        }


AnswerEvent = Token | Usage | Done | Stats | Sources | Grounding | Notice
# Longest sourced (@context) answer from a weak model: kept short, quoted from the sources.
WEAK_SOURCED_TOKENS = 160


@dataclass
class Answer:
    """An answer in progress: it is produced as `events` is iterated."""

    conversation_id: int
    message_id: int
    backend: str
    model: str
    plan: PromptPlan
    events: AsyncGenerator[AnswerEvent, None]

    def _ids(self) -> dict[str, int]:
        return {"conversation": self.conversation_id, "message": self.message_id}

    def wire(self, event: AnswerEvent) -> dict[str, Any]:
        """An event of this answer on the wire: its own form; `done` also names the
        conversation and the message, so that a script can continue or show it."""
        return {**event.to_wire(), **(self._ids() if isinstance(event, Done) else {})}

    def stopped_wire(self) -> dict[str, Any]:
        """The last event of an answer stopped before its `done` (Ctrl-C, SIGTERM)."""
        return self.wire(Done("interrupted"))

    def error_wire(self, error: SectorError) -> dict[str, Any]:
        """The last event of an answer the backend failed to give."""
        return {"event": "error", "message": error.message, "hint": error.hint, **self._ids()}


class Assistant:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        registry: Registry,
        mentions: MentionRegistry,
        project_id: int | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.registry = registry
        self.mentions = mentions
        self.project_id = project_id

    def backend(self, name: str | None = None) -> Backend:
        chosen = name or self.settings.get(keys.ASSISTANT_BACKEND)
        plugin = self.registry.get(Backend, chosen).plugin_class()
        plugin.configure(self.settings)
        return plugin

    def model_reports(self, name: str | None = None) -> list[ModelReport]:
        """The models of every backend, or of the one named (a SectorError when that one
        does not answer: it was asked for by name)."""
        names = [name] if name else [info.name for info in self.registry.of_kind(Backend)]
        reports = [self._model_report(backend) for backend in names]
        if name and reports[0].problem:
            raise SectorError(reports[0].problem)
        return reports

    def _model_report(self, name: str) -> ModelReport:
        engine = self.backend(name)
        try:
            offered = engine.models()  # asked first: it is what finds a server gone
            return ModelReport(name, engine.default_model(), offered)
        except SectorError as exc:
            return ModelReport(name, None, [], exc.one_line())

    def options(
        self,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> GenerateOptions:
        """Options from flags (checked like the settings they override), else settings."""
        chosen_temperature = self.settings.get(keys.ASSISTANT_TEMPERATURE)
        chosen_max = self.settings.get(keys.ASSISTANT_MAX_TOKENS)
        if temperature is not None:
            chosen_temperature = keys.ASSISTANT_TEMPERATURE.convert(temperature, "--temperature")
        if max_tokens is not None:
            chosen_max = keys.ASSISTANT_MAX_TOKENS.convert(max_tokens, "--max-tokens")
        penalty = self.settings.get(keys.ASSISTANT_REPEAT_PENALTY)
        return GenerateOptions(model, chosen_temperature, chosen_max, seed, penalty)

    # conversations

    def conversation(self, conversation_id: int) -> Conversation:
        with self.store.session() as session:
            found = session.get(Conversation, conversation_id)
        if found is None:
            raise NotFoundError(
                f"no conversation #{conversation_id}", "Run `sector history ls` to see them"
            )
        return found

    def thread(self, conversation_id: int | None, continue_latest: bool) -> Conversation | None:
        """The conversation a question continues: the one named, the latest, or none (new)."""
        if conversation_id is not None:
            return self.conversation(conversation_id)
        return self.latest() if continue_latest else None

    def latest(self) -> Conversation:
        with self.store.session() as session:
            query = select(Conversation).order_by(col(Conversation.updated_at).desc())
            found = session.exec(query).first()
        if found is None:
            raise NotFoundError(
                "there is no conversation to continue", 'Ask first: sector ask "..."'
            )
        return found

    def conversations(self, limit: int = 50) -> list[tuple[Conversation, int]]:
        """Conversations, most recent first, with how many messages each has."""
        with self.store.session() as session:
            query = select(Conversation).order_by(col(Conversation.updated_at).desc()).limit(limit)
            found = list(session.exec(query).all())
            counted = session.exec(
                select(MessageRow.conversation_id, func.count())
                .where(col(MessageRow.conversation_id).in_([c.id for c in found]))
                .group_by(col(MessageRow.conversation_id))
            ).all()
        counts = dict(counted)
        return [(c, counts.get(c.id or 0, 0)) for c in found]

    def messages(self, conversation_id: int) -> list[MessageRow]:
        self.conversation(conversation_id)
        with self.store.session() as session:
            query = (
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id)
                .order_by(col(MessageRow.id))
            )
            return list(session.exec(query).all())

    def message(self, message_id: int) -> MessageRow:
        """One message, by its number (`done` events and `history show --json` give it)."""
        with self.store.session() as session:
            found = session.get(MessageRow, message_id)
        if found is None:
            raise NotFoundError(
                f"no message #{message_id}",
                "Run `sector history show CONVERSATION --json` to see the messages' numbers",
            )
        return found

    def remove(self, conversation_id: int) -> Conversation:
        found = self.conversation(conversation_id)
        with self.store.session() as session:
            row = session.get(Conversation, conversation_id)
            session.delete(row)
        return found

    def markdown(self, conversation_id: int) -> str:
        """A conversation as a Markdown document (for /save and, later, export)."""
        found = self.conversation(conversation_id)
        parts = [f"# {found.title}\n"]
        for row in self.messages(conversation_id):
            who = "You" if row.role == "user" else f"Sector ({row.backend}, {row.model})"
            note = "" if row.status == "complete" else f" *({row.status})*"
            parts.append(f"## {who}{note}\n\n{row.content}\n")
        return "\n".join(parts)

    def _history(self, conversation: Conversation | None) -> list[Message]:
        """Earlier exchanges: a question with the answer it got (a cut-off answer is marked);
        a question left without an answer is left out, so roles keep alternating."""
        if conversation is None or conversation.id is None:
            return []
        history: list[Message] = []
        question: str | None = None
        for row in self.messages(conversation.id):
            if row.role == "user":
                question = row.content
            elif row.role == "assistant" and question is not None and row.content:
                note = "" if row.status == "complete" else " [this answer was cut off]"
                history += [Message("user", question), Message("assistant", row.content + note)]
                question = None
        return history

    # asking

    def plan(
        self,
        question: str,
        backend: Backend,
        options: GenerateOptions,
        conversation: Conversation | None = None,
    ) -> tuple[str, PromptPlan]:
        """The model, and exactly what would be sent (what `--dry-run` shows)."""
        model = options.model or backend.default_model()
        clean, sections = self.mentions.resolve(printable(question))
        weak = backend.advice(model) is not None
        sourced = weak and any(s.citation for s in sections)
        plan = assemble(
            clean,
            sections,
            self._history(conversation),
            backend.context_window(model),
            min(options.max_tokens, WEAK_SOURCED_TOKENS) if sourced else options.max_tokens,
            partial(backend.count_tokens, model=model),
            quote=sourced,
        )
        return model, plan

    def ask(
        self,
        question: str,
        backend: Backend,
        options: GenerateOptions,
        conversation: Conversation | None = None,
    ) -> Answer:
        question = printable(question)
        model, plan = self.plan(question, backend, options, conversation)
        backend_name = backend.name if plan.short_answer is None else "sector"
        model = model if plan.short_answer is None else "-"
        with self.store.session() as session:
            if conversation is None:
                conversation = Conversation(
                    project_id=self.project_id, title=question[:TITLE_LENGTH]
                )
                session.add(conversation)
                session.flush()
            conversation_id = conversation.id
            assert conversation_id is not None
            session.add(MessageRow(conversation_id=conversation_id, role="user", content=question))
            answer = MessageRow(
                conversation_id=conversation_id,
                role="assistant",
                content="",
                status="streaming",
                backend=backend_name,
                model=model,
            )
            session.add(answer)
            session.flush()
            message_id = answer.id
        assert message_id is not None
        options = replace(options, model=model, max_tokens=plan.reserved_for_answer)
        advice = backend.advice(model) if plan.short_answer is None else None
        events = self._drive(conversation_id, message_id, backend, model, plan, options, advice)
        return Answer(conversation_id, message_id, backend_name, model, plan, events)

    async def _drive(
        self,
        conversation_id: int,
        message_id: int,
        backend: Backend,
        model: str,
        plan: PromptPlan,
        options: GenerateOptions,
        advice: str | None = None,
    ) -> AsyncGenerator[AnswerEvent, None]:
        started = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        usage: Usage | None = None
        status = "interrupted"  # unless the stream finishes or fails
        name = backend.name if plan.short_answer is None else "sector"
        checks: Checks | None = None
        try:
            async for event in self._generate(backend, plan, options):
                if isinstance(event, Token):
                    first = first if first is not None else time.perf_counter() - started
                    parts.append(event.text)
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Done):
                    # Cut at --max-tokens: kept, but not as a whole answer.
                    status = "truncated" if event.finish_reason == "length" else "complete"
                yield event
            yield _stats(name, model, started, first, len(parts), usage)
            if advice:
                yield Notice(advice)
            if status in {"complete", "truncated"} and plan.citations:
                async for check in self._check_sources("".join(parts), plan.citations):
                    checks = _checked(checks, check)
                    yield check
        except (KeyboardInterrupt, GeneratorExit, asyncio.CancelledError):
            raise  # interrupted: the status says so
        except BaseException:
            status = "error"
            raise
        finally:
            stats = _stats(name, model, started, first, len(parts), usage)
            text = "".join(parts) + sources_block(plan.citations, bool(parts))
            self._save(conversation_id, message_id, text, status, stats, checks)

    def _generate(
        self, backend: Backend, plan: PromptPlan, options: GenerateOptions
    ) -> AsyncIterator[Token | Usage | Done]:
        if plan.short_answer is not None:
            return _said(plan.short_answer)
        return backend.stream(plan.messages, options)

    async def _check_sources(
        self, answer: str, citations: list[Citation]
    ) -> AsyncGenerator[Sources | Grounding, None]:
        """Which sources the answer cited, then whether its sentences are supported."""
        numbers = {c.number for c in citations}
        cited = sorted(set(cited_numbers(answer)) & numbers)
        yield Sources(citations, cited)
        if self.mentions.grounding is not None:
            yield await asyncio.to_thread(self.mentions.grounding, answer, citations)

    def _save(
        self,
        conversation_id: int,
        message_id: int,
        text: str,
        status: str,
        stats: Stats,
        checks: Checks | None = None,
    ) -> None:
        with self.store.session() as session:
            row = session.get(MessageRow, message_id)
            if row is not None:
                row.content, row.status, row.stats = text, status, json.dumps(asdict(stats))
                row.checks = checks.to_json() if checks else None
            conversation = session.get(Conversation, conversation_id)
            if conversation is not None:
                conversation.updated_at = utcnow()


def _checked(checks: Checks | None, event: Sources | Grounding) -> Checks | None:
    """The checks so far, with one more result of `_check_sources`."""
    if isinstance(event, Sources):
        return Checks(event.citations, event.cited)
    return replace(checks, grounding=event) if checks else None


async def _said(text: str) -> AsyncGenerator[Token | Usage | Done, None]:
    yield Token(text)
    yield Done()


def sources_block(citations: list[Citation], answered: bool) -> str:
    """The Sources list kept with an answer in history: each number, where it points."""
    if not citations or not answered:
        return ""
    lines = [f"[{c.number}] {c.label}" for c in citations]
    return "\n\nSources:\n" + "\n".join(lines)


def printable(text: str) -> str:
    """Text that can be stored and tokenized: bytes that were not UTF-8 become U+FFFD."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _stats(
    backend: str, model: str, started: float, first: float | None, tokens: int, usage: Usage | None
) -> Stats:
    elapsed = time.perf_counter() - started
    completion = usage.completion_tokens if usage and usage.completion_tokens else tokens
    generating = elapsed - (first or 0.0)
    rate = (
        (completion - 1) / generating
        if first is not None and completion > 1 and generating > 0
        else None
    )
    return Stats(
        backend, model, first, rate, usage.prompt_tokens if usage else None, completion, elapsed
    )
