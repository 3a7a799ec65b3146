"""What the context index holds, as one typed record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class IndexStats:
    """The catalog's and the vector table's totals, and whether the two agree."""

    documents: int
    chunks: int
    formats: dict[str, int]  # documents per format
    pages: int
    bytes_indexed: int
    embedder: str
    reranker: str
    table: str
    rows: int
    unreachable_rows: int  # left by an interrupted write; the next add removes them
    documents_out_of_step: int  # catalog rows whose chunk count the table does not match
    indexes: list[str]
    folder: str
    size_on_disk: int

    def to_wire(self) -> dict[str, object]:
        """The JSON object `sector context stats --json` prints, keys in field order."""
        return asdict(self)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
