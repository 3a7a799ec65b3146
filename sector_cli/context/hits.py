"""A retrieved passage with its provenance: which document, where in it, how it was found."""

from __future__ import annotations

from dataclasses import dataclass

from sector_cli.context.targets import display_path


@dataclass(frozen=True)
class Hit:
    document_id: int
    path: str  # absolute
    format: str
    title: str | None
    body: str
    page: int | None
    line_start: int | None
    line_end: int | None
    score: float  # the reranker's: higher is better
    similarity: float  # cosine similarity between the query and the passage
    retrievers: tuple[str, ...]  # which retrievers found it: vector, bm25

    @property
    def location(self) -> str:
        return location(self.format, self.page, self.line_start, self.line_end)

    @property
    def label(self) -> str:
        """What a citation shows: `notes/closures.md:40-58`, `book.pdf, p. 212`."""
        name = display_path(self.path)
        if self.page is not None:
            return f"{name}, {self.location}"
        if self.line_start is not None and self.format != "docx":
            end = f"-{self.line_end}" if self.line_end not in (None, self.line_start) else ""
            return f"{name}:{self.line_start}{end}"
        return f"{name}, {self.location}" if self.location else name

    def to_json(self) -> dict[str, object]:
        return {
            "document_id": self.document_id,
            "path": self.path,
            "format": self.format,
            "title": self.title,
            "page": self.page,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "label": self.label,
            "score": round(self.score, 6),
            "similarity": round(self.similarity, 4),
            "retrievers": list(self.retrievers),
            "text": self.body,
        }


def location(format: str, page: int | None, start: int | None, end: int | None) -> str:
    """Where a passage is, in the document's own terms: pages, paragraphs or lines."""
    if page is not None:
        return f"chapter {page}" if format == "epub" else f"p. {page}"
    if start is None:
        return ""
    unit = "¶" if format == "docx" else "lines" if end not in (None, start) else "line"
    span = f"{start}-{end}" if end not in (None, start) else f"{start}"
    return f"{unit} {span}"
