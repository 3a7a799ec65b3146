"""`export document QUERY`: what the local context index finds for a question, each passage
with its provenance (the file, its page or lines), its score and the retrievers that found it:
code as code, in its language's colours; other text as paragraphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sector_cli.errors import UsageError
from sector_cli.export.kinds import ExportRequest, meta_for
from sector_cli.export.kinds.run import capped, language_of
from sector_cli.export.markdown_blocks import blocks_of
from sector_cli.export.model import Block, Code, Document, Paragraph, Section, Span, Table

if TYPE_CHECKING:
    from sector_cli.context.hits import Hit
    from sector_cli.services import Services

# The loaders' formats of text that is read, not run; the others are code in a language.
PROSE = frozenset({"text", "markdown", "rst", "html", "pdf", "epub", "docx"})
MAX_RESULTS = 100  # what the index is asked for at most (as `sector context search -k`)


def build_search(ref: str, request: ExportRequest, services: Services) -> Document:
    query = " ".join(ref.split())
    if not query:
        raise UsageError("the question is empty", 'Ask something: sector export document "..."')
    context = services.context
    if not context.documents():
        raise UsageError(
            "the context index is empty", "Add documents first: sector context add PATH"
        )
    hits = context.search(query, max(1, min(request.limit, MAX_RESULTS)))
    if not hits:
        raise UsageError(
            f"nothing in the indexed documents matches {query!r}",
            "Try other words, or index more: sector context add PATH",
        )
    sections = (_overview(hits), *(hit_section(n, hit) for n, hit in enumerate(hits, 1)))
    meta = meta_for("document", f"search: {query[:80]}", services)
    return Document(f"Search: {query[:120]}", meta, sections)


def _overview(hits: list[Hit]) -> Section:
    rows = tuple(
        (f"[{n}]", hit.label, f"{hit.score:.4f}", f"{hit.similarity:.2f}", "+".join(hit.retrievers))
        for n, hit in enumerate(hits, 1)
    )
    table = Table(("#", "Where", "Score", "Similarity", "Found by"), rows, monospace=frozenset({1}))
    intro = Paragraph.of(
        f"{len(hits)} passage{'s' if len(hits) != 1 else ''}, best first; the score is the "
        "reranker's (higher is better), the similarity the passage's to the question."
    )
    return Section("Results", (intro, table))


def hit_section(number: int, hit: Hit) -> Section:
    """One passage: where it is, how it was found, and its text."""
    found = Span(
        f"score {hit.score:.4f} · similarity {hit.similarity:.2f} · found by "
        + " and ".join(hit.retrievers),
        italic=True,
    )
    # The heading's label names the file as the user knows it; the absolute path (a home
    # folder's name) stays out of a document that is handed in.
    blocks: list[Block] = [Paragraph((found,))]
    if hit.title:
        blocks.append(Paragraph((Span(hit.title, bold=True),)))
    text, note = capped(hit.body.strip("\n"), "The passage has", "See it whole in the file")
    language = "" if hit.format in PROSE else language_of(hit.path, hit.format)
    if language:
        blocks.append(Code(text, language, hit.line_start or 1, numbered=True))
    elif hit.format == "markdown":
        blocks += blocks_of(text)
    else:
        blocks += [Paragraph.of(part) for part in text.split("\n\n") if part.strip()]
    blocks += [note] if note else []
    return Section(f"[{number}] {hit.label}", tuple(blocks))
