"""SQL tables. Every change here comes with a migration in `store/migrations/versions/`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from sector_cli.timeutil import utcnow

# Named constraints, so that later migrations can alter them on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _timestamp() -> datetime:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True))  # type: ignore[no-any-return]


class Project(SQLModel, table=True):
    """A folder of a learner's code that Sector knows by name."""

    __tablename__: ClassVar[str] = "projects"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    root: str = Field(unique=True)
    created_at: datetime = _timestamp()


class SourceFile(SQLModel, table=True):
    """A file tracked in a project, as it was when last added or synced."""

    __tablename__: ClassVar[str] = "source_files"
    __table_args__ = (UniqueConstraint("project_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE", index=True)
    path: str  # relative to the project root, with forward slashes
    language: str = Field(max_length=40)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    mtime: datetime = Field(sa_type=DateTime(timezone=True))
    added_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class TrackedFolder(SQLModel, table=True):
    """A folder added with `sector file add DIR`: `sync` picks up new files inside it."""

    __tablename__: ClassVar[str] = "tracked_folders"
    __table_args__ = (UniqueConstraint("project_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE", index=True)
    path: str  # relative to the project root; "." is the root itself
    added_at: datetime = _timestamp()


class Run(SQLModel, table=True):
    """One execution of a program in a sandbox, with everything needed to replay it."""

    __tablename__: ClassVar[str] = "runs"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(
        default=None, foreign_key="projects.id", ondelete="SET NULL", index=True
    )
    source: str  # the file's path as given, or "<snippet>"
    language: str = Field(max_length=40)
    runner: str = Field(max_length=40)
    job: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # JSON of the RunJob
    verdict: str | None = Field(default=None, max_length=20, index=True)
    exit_code: int | None = None
    wall: float | None = None
    cpu: float | None = None
    peak_memory: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the why
    replay_of: int | None = Field(default=None, foreign_key="runs.id", ondelete="SET NULL")
    created_at: datetime = _timestamp()
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class RunEventRow(SQLModel, table=True):
    """One event of a run's stream, in order, with its time since the start."""

    __tablename__: ClassVar[str] = "run_events"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", ondelete="CASCADE", index=True)
    seq: int
    t: float
    kind: str = Field(max_length=20)  # started | stdout | stderr | compile | finished
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Blob(SQLModel, table=True):
    """File contents kept once per distinct content: runs' snapshots share them."""

    __tablename__: ClassVar[str] = "blobs"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class RunFile(SQLModel, table=True):
    """One file of a run's snapshot: its name inside the work folder and its content's blob."""

    __tablename__: ClassVar[str] = "run_files"

    run_id: int = Field(foreign_key="runs.id", ondelete="CASCADE", primary_key=True)
    position: int = Field(primary_key=True)  # the program first, as the job lists them
    # The name's exact bytes (os.fsencode): a name need not be UTF-8.
    path: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(foreign_key="blobs.sha256", max_length=64, index=True)


class Conversation(SQLModel, table=True):
    """A thread of questions and answers with the assistant."""

    __tablename__: ClassVar[str] = "conversations"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(
        default=None, foreign_key="projects.id", ondelete="SET NULL", index=True
    )
    title: str = Field(max_length=200)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Message(SQLModel, table=True):
    """One message of a conversation; an answer keeps how it was produced and whether it
    finished (complete), was stopped (interrupted) or failed (error)."""

    __tablename__: ClassVar[str] = "messages"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", ondelete="CASCADE", index=True)
    role: str = Field(max_length=20)  # system | user | assistant
    content: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="complete", max_length=20)
    backend: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=200)
    stats: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    # JSON of the checks of a sourced answer: its citations, which it cited, and the
    # grounding of each sentence (`assistant.service.Checks`); NULL when nothing was checked.
    checks: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _timestamp()


class Document(SQLModel, table=True):
    """A document in the local context index: the catalog row of its chunks in LanceDB.

    A row exists only once its chunks are written; its `generation` names the chunk set that is
    visible, so a document being replaced (or an `add` killed half-way) never shows half.
    """

    __tablename__: ClassVar[str] = "context_documents"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(sa_column=Column(Text, nullable=False, unique=True))  # absolute
    format: str = Field(max_length=40)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    pages: int | None = None
    chunks: int
    embedder: str = Field(max_length=200)  # the embedding model's id
    generation: str = Field(max_length=32)  # "" while a first write is in progress
    # The generation a write in progress is adding (garbage collection leaves it alone).
    pending: str | None = Field(default=None, max_length=32)
    pending_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    indexed_at: datetime = _timestamp()


class ContextSession(SQLModel, table=True):
    """A named set of documents that `@context` is limited to while the session is active."""

    __tablename__: ClassVar[str] = "context_sessions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    active: bool = False
    created_at: datetime = _timestamp()
    ended_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ContextSessionDocument(SQLModel, table=True):
    __tablename__: ClassVar[str] = "context_session_documents"

    session_id: int = Field(foreign_key="context_sessions.id", ondelete="CASCADE", primary_key=True)
    document_id: int = Field(
        foreign_key="context_documents.id", ondelete="CASCADE", primary_key=True
    )
