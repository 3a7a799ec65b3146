"""What the MCP tools return: typed results (published as output schemas), built from the
context service's rows, hits and events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from sector_cli.context.hits import Hit
from sector_cli.context.ingest import AddEvent, Indexed, Pruned, Skipped, Summary
from sector_cli.context.targets import display_path
from sector_cli.store.models import Document

DOCUMENT_URI = "sector://documents/{document_id}"


def document_uri(document_id: int | None) -> str:
    return DOCUMENT_URI.format(document_id=document_id)


class Passage(BaseModel):
    rank: int = Field(description="1 is the best match")
    document_id: int
    path: str = Field(description="Absolute path of the document")
    format: str
    title: str | None = Field(description="The heading or definition the passage is under")
    page: int | None = Field(description="Page (PDF) or chapter (EPUB), when the format has them")
    line_start: int | None = Field(description="First line of the passage in the file")
    line_end: int | None = Field(description="Last line of the passage in the file")
    label: str = Field(description="How to cite it: notes/closures.md:40-58, book.pdf, p. 212")
    score: float = Field(description="The reranker's score: higher is better")
    similarity: float = Field(description="Cosine similarity to the query (0.3 and up: on topic)")
    retrievers: list[str] = Field(description="Which retrievers found it: vector, bm25")
    text: str


class SearchResult(BaseModel):
    query: str
    passages: list[Passage]


class DocumentInfo(BaseModel):
    id: int
    uri: str = Field(description="Its MCP resource: the document's text")
    path: str = Field(description="Absolute path of the file")
    name: str = Field(description="The path as shown to the user")
    format: str
    pages: int | None
    chunks: int = Field(description="Passages it was split into")
    size: int = Field(description="File size in bytes")
    sha256: str
    embedder: str
    indexed_at: datetime


class DocumentList(BaseModel):
    documents: list[DocumentInfo]


class ReadResult(BaseModel):
    document_id: int
    path: str
    page: int | None
    start_line: int | None
    end_line: int | None
    text: str


class FileResult(BaseModel):
    path: str
    status: str = Field(description="added, updated, unchanged, skipped or pruned")
    chunks: int | None = None
    reason: str | None = Field(default=None, description="Why it was skipped")


class AddSummary(BaseModel):
    added: int
    updated: int
    unchanged: int
    skipped: int
    pruned: int
    chunks: int = Field(description="Passages embedded")
    seconds: float


class AddResult(BaseModel):
    files: list[FileResult]
    summary: AddSummary


def search_result(query: str, hits: list[Hit]) -> SearchResult:
    passages = [
        Passage.model_validate({"rank": rank, **hit.to_json()})
        for rank, hit in enumerate(hits, start=1)
    ]
    return SearchResult(query=query, passages=passages)


def document_info(document: Document) -> DocumentInfo:
    return DocumentInfo(
        id=document.id or 0,
        uri=document_uri(document.id),
        path=document.path,
        name=display_path(document.path),
        format=document.format,
        pages=document.pages,
        chunks=document.chunks,
        size=document.size,
        sha256=document.sha256,
        embedder=document.embedder,
        indexed_at=document.indexed_at,
    )


def add_result(events: Iterable[AddEvent]) -> AddResult:
    """Per-file results and the summary of an `add` (its progress events left out)."""
    files: list[FileResult] = []
    summary = Summary()
    for event in events:
        if isinstance(event, Indexed):
            files.append(FileResult(path=event.path, status=event.status, chunks=event.chunks))
        elif isinstance(event, Skipped):
            files.append(FileResult(path=event.path, status="skipped", reason=event.reason))
        elif isinstance(event, Pruned):
            files.append(FileResult(path=event.path, status="pruned"))
        elif isinstance(event, Summary):
            summary = event
    return AddResult(
        files=files,
        summary=AddSummary(
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
            skipped=summary.skipped,
            pruned=summary.pruned,
            chunks=summary.chunks,
            seconds=round(summary.seconds, 3),
        ),
    )
