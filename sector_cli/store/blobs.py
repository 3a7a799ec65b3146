"""Content-addressed file contents for runs' snapshots: a file is stored once, by its SHA-256,
however many runs took it into their sandbox."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

from sqlalchemy import delete, exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from sector_cli.store.models import Blob, RunFile


def _insert_missing(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert blobs that are not there yet; a concurrent run adding the same one is fine."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Blob).values(rows).on_conflict_do_nothing(index_elements=["sha256"]))


def save_files(session: Session, run_id: int, files: Mapping[str, bytes]) -> None:
    """Record a run's files, in their order; contents already stored are not stored again."""
    if not files:
        return
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    unique = {digests[name]: data for name, data in files.items()}
    # FOR KEY SHARE (PostgreSQL): a blob found is kept until this run's files point at it, and
    # one that `runs rm` is collecting is waited for, then not found, so stored again
    query = (
        select(Blob.sha256)
        .where(col(Blob.sha256).in_(list(unique)))
        .with_for_update(read=True, key_share=True)
    )
    present = set(session.exec(query).all())
    missing = [
        {"sha256": digest, "size": len(data), "data": data}
        for digest, data in unique.items()
        if digest not in present
    ]
    if missing:
        _insert_missing(session, missing)
    session.add_all(
        RunFile(run_id=run_id, position=position, path=os.fsencode(name), sha256=digests[name])
        for position, name in enumerate(files)
    )


def load_files(session: Session, run_id: int) -> dict[str, bytes]:
    """A run's files, name -> content, in the order they were given."""
    query = (
        select(RunFile.path, Blob.data)
        .join(Blob, col(Blob.sha256) == col(RunFile.sha256))
        .where(RunFile.run_id == run_id)
        .order_by(col(RunFile.position))
    )
    return {os.fsdecode(bytes(path)): bytes(data) for path, data in session.exec(query).all()}


def remove_unused(session: Session) -> int:
    """Delete blobs no run refers to any more; returns how many went."""
    used = exists().where(col(RunFile.sha256) == col(Blob.sha256))
    result = session.execute(delete(Blob).where(~used))
    return int(getattr(result, "rowcount", 0) or 0)
