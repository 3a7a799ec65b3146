"""Runs' files as content-addressed blobs (identical files across runs stored once), and the
verdict's reason on the run itself.

Runs recorded before keep working: their files move out of the job's JSON into blobs, and the
reason is read back from their `finished` event.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import base64
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

runs = sa.table(
    "runs", sa.column("id", sa.Integer), sa.column("job", sa.LargeBinary), sa.column("detail")
)
blobs = sa.table(
    "blobs",
    sa.column("sha256", sa.String),
    sa.column("size", sa.BigInteger),
    sa.column("data", sa.LargeBinary),
)
run_files = sa.table(
    "run_files",
    sa.column("run_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("path", sa.LargeBinary),
    sa.column("sha256", sa.String),
)
events = sa.table(
    "run_events",
    sa.column("run_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("data", sa.LargeBinary),
)


def upgrade() -> None:
    op.add_column("runs", sa.Column("detail", sa.Text(), nullable=True))
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    op.create_table(
        "run_files",
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_files_run_id_runs"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("path", sa.LargeBinary(), nullable=False),
        sa.Column(
            "sha256",
            sa.String(length=64),
            sa.ForeignKey("blobs.sha256", name="fk_run_files_sha256_blobs"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("run_id", "position", name="pk_run_files"),
    )
    op.create_index("ix_run_files_sha256", "run_files", ["sha256"])
    _move_files_to_blobs(op.get_bind())
    _backfill_details(op.get_bind())


def _move_files_to_blobs(connection: sa.Connection) -> None:
    stored: set[str] = set()
    for run_id, raw in connection.execute(sa.select(runs.c.id, runs.c.job)).all():
        job = json.loads(raw)
        for position, (name, encoded) in enumerate(job.get("files", {}).items()):
            data = base64.b64decode(encoded)
            digest = hashlib.sha256(data).hexdigest()
            if digest not in stored:
                connection.execute(blobs.insert().values(sha256=digest, size=len(data), data=data))
                stored.add(digest)
            path = name.encode("utf-8", "surrogateescape")
            row = {"run_id": run_id, "position": position, "path": path, "sha256": digest}
            connection.execute(run_files.insert().values(**row))
        job["files"] = {}
        connection.execute(
            runs.update().where(runs.c.id == run_id).values(job=json.dumps(job).encode())
        )


def _backfill_details(connection: sa.Connection) -> None:
    finished = sa.select(events.c.run_id, events.c.data).where(events.c.kind == "finished")
    for run_id, raw in connection.execute(finished).all():
        detail = json.loads(raw).get("detail") or None
        if detail:
            connection.execute(runs.update().where(runs.c.id == run_id).values(detail=detail))


def downgrade() -> None:
    _files_back_into_jobs(op.get_bind())
    op.drop_index("ix_run_files_sha256", "run_files")
    op.drop_table("run_files")
    op.drop_table("blobs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("detail")


def _files_back_into_jobs(connection: sa.Connection) -> None:
    query = (
        sa.select(run_files.c.run_id, run_files.c.path, blobs.c.data)
        .join(blobs, blobs.c.sha256 == run_files.c.sha256)
        .order_by(run_files.c.run_id, run_files.c.position)
    )
    files: dict[int, dict[str, str]] = {}
    for run_id, path, data in connection.execute(query).all():
        name = bytes(path).decode("utf-8", "surrogateescape")
        files.setdefault(run_id, {})[name] = base64.b64encode(data).decode()
    for run_id, raw in connection.execute(sa.select(runs.c.id, runs.c.job)).all():
        job = json.loads(raw)
        job["files"] = files.get(run_id, {})
        connection.execute(
            runs.update().where(runs.c.id == run_id).values(job=json.dumps(job).encode())
        )
