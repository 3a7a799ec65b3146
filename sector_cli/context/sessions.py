"""Context sessions: a named set of documents that `@context` is limited to while active.

At most one session is active; starting one ends the one before. A session can be started
again by name, with the same documents or new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from sector_cli.config.keys import PROJECT_NAME_PATTERN
from sector_cli.context.service import Context
from sector_cli.errors import NotFoundError, UsageError
from sector_cli.store.models import ContextSession, ContextSessionDocument
from sector_cli.timeutil import utcnow


@dataclass(frozen=True)
class SessionInfo:
    name: str
    active: bool
    documents: list[int]
    created_at: str
    ended_at: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "active": self.active,
            "documents": self.documents,
            "created_at": self.created_at,
            "ended_at": self.ended_at,
        }


class Sessions:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store

    def start(self, name: str, refs: list[str]) -> tuple[SessionInfo, str | None]:
        """Start (or restart) a session; returns it and the name of the session it ended."""
        if not PROJECT_NAME_PATTERN.match(name):
            raise UsageError(
                f"{name!r} is not a valid session name",
                "Use letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        ids = self.context.resolve(refs)

        def write(session: Session) -> str | None:
            previous = session.exec(
                select(ContextSession).where(col(ContextSession.active).is_(True))
            ).first()
            ended = None
            if previous is not None and previous.name != name:
                previous.active, previous.ended_at, ended = False, utcnow(), previous.name
            row = session.exec(select(ContextSession).where(ContextSession.name == name)).first()
            if row is None:
                if not ids:
                    raise UsageError(
                        f"a new session needs documents: {name} has none",
                        f"Name them: sector context session start {name} --docs book.pdf",
                    )
                row = ContextSession(name=name)
                session.add(row)
                session.flush()
            row.active, row.ended_at = True, None
            assert row.id is not None
            if ids:
                for old in session.exec(
                    select(ContextSessionDocument).where(
                        ContextSessionDocument.session_id == row.id
                    )
                ).all():
                    session.delete(old)
                session.flush()
                for document_id in dict.fromkeys(ids):
                    session.add(ContextSessionDocument(session_id=row.id, document_id=document_id))
            return ended

        ended = self.store.transaction(write)
        return self.get(name), ended

    def end(self) -> SessionInfo:
        def write(session: Session) -> str:
            row = session.exec(
                select(ContextSession).where(col(ContextSession.active).is_(True))
            ).first()
            if row is None:
                raise NotFoundError(
                    "no context session is active",
                    "Start one: sector context session start NAME --docs DOC...",
                )
            row.active, row.ended_at = False, utcnow()
            return row.name

        return self.get(self.store.transaction(write))

    def list(self) -> list[SessionInfo]:
        with self.store.session() as session:
            rows = session.exec(select(ContextSession).order_by(col(ContextSession.name))).all()
            return [self._info(session, row) for row in rows]

    def get(self, name: str) -> SessionInfo:
        with self.store.session() as session:
            row = session.exec(select(ContextSession).where(ContextSession.name == name)).first()
            if row is None:
                raise NotFoundError(
                    f"no context session {name!r}", "See them with `sector context session ls`"
                )
            return self._info(session, row)

    def active(self) -> SessionInfo | None:
        return next((s for s in self.list() if s.active), None)

    def _info(self, session: Session, row: ContextSession) -> SessionInfo:
        ids = session.exec(
            select(ContextSessionDocument.document_id).where(
                ContextSessionDocument.session_id == row.id
            )
        ).all()
        return SessionInfo(
            row.name,
            row.active,
            sorted(ids),
            row.created_at.isoformat(timespec="seconds"),
            row.ended_at.isoformat(timespec="seconds") if row.ended_at else None,
        )
