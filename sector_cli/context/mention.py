"""`@context` and `@doc:NAME` in a question: retrieve the best passages and send them as
numbered sources; the answer is then checked against them (the grounding check)."""

from __future__ import annotations

from collections.abc import Callable

from sector_cli.assistant.mentions import Citation, MentionRegistry, Section
from sector_cli.context.grounding import check
from sector_cli.context.hits import Hit
from sector_cli.context.service import Context
from sector_cli.context.sessions import Sessions
from sector_cli.errors import NotFoundError, UsageError

# Below this cosine similarity a passage is about something else (all-MiniLM-L6-v2: unrelated
# text scores 0.0-0.2, a passage that answers the question usually 0.35 and up).
MIN_SIMILARITY = 0.3
NOTHING_FOUND = (
    "I found nothing about this in {scope}, so I will not guess. Add material that covers it "
    "with `sector context add PATH`, or ask without @context."
)


def relevant(hits: list[Hit]) -> list[Hit]:
    return [hit for hit in hits if hit.similarity >= MIN_SIMILARITY]


def sources(context: Context, question: str, documents: list[str], k: int) -> tuple[list[Hit], str]:
    """The relevant passages for the question, and a phrase naming where they were sought."""
    if not context.documents():
        raise NotFoundError(
            "@context: the context index is empty", "Add documents first: sector context add PATH"
        )
    if documents:
        scope_ids: list[int] | None = context.resolve(documents)
        scope = ", ".join(context.document(d).path.rsplit("/", 1)[-1] for d in documents)
    else:
        active = Sessions(context).active()
        scope_ids = active.documents if active else None
        scope = f"the session {active.name}" if active else "the indexed documents"
        if active and not active.documents:
            raise NotFoundError(
                f"@context: the session {active.name} has no documents left (they were removed)",
                f"Give it some: sector context session start {active.name} --docs DOC..., "
                "or end it: sector context session end",
            )
    return relevant(context.search(question, k, scope_ids)), scope


def sections_for(hits: list[Hit], scope: str) -> list[Section]:
    if not hits:
        text = NOTHING_FOUND.format(scope=scope)
        return [Section("Sources", "", "context", short_answer=text)]
    return [
        Section(
            f"Source [{number}]",
            hit.body,
            hit.label,
            priority=20 + number,
            citation=Citation(
                number, hit.label, hit.path, hit.page, hit.line_start, hit.line_end, hit.body
            ),
        )
        for number, hit in enumerate(hits, start=1)
    ]


def register_context(
    registry: MentionRegistry, context: Callable[[], Context], k: Callable[[], int]
) -> None:
    """Add `@context` and `@doc:NAME`; the index is opened only when one is used."""

    def resolve(mentions: list[tuple[str, str | None]], question: str) -> list[Section]:
        documents = []
        for name, argument in mentions:
            if name == "doc":
                if not argument:
                    raise UsageError(
                        "@doc needs a document", "Write @doc:book.pdf (see `sector context ls`)"
                    )
                documents.append(argument)
            elif argument:
                raise UsageError(
                    f"@context takes no argument (got @context:{argument})",
                    f"To limit it to one document write @doc:{argument}",
                )
        hits, scope = sources(context(), question, documents, k())
        return sections_for(hits, scope)

    registry.register_group(
        {"context": "@context", "doc": "@doc:NAME (limits @context to a document)"}, resolve
    )
    registry.grounding = lambda answer, citations: check(answer, citations, context().embedder)
