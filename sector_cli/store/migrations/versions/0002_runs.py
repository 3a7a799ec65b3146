"""Runs and their recorded event streams.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("projects.id", ondelete="SET NULL", name="fk_runs_project_id_projects"),
            nullable=True,
        ),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("language", sa.String(length=40), nullable=False),
        sa.Column("runner", sa.String(length=40), nullable=False),
        sa.Column("job", sa.LargeBinary(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("wall", sa.Float(), nullable=True),
        sa.Column("cpu", sa.Float(), nullable=True),
        sa.Column("peak_memory", sa.BigInteger(), nullable=True),
        sa.Column(
            "replay_of",
            sa.Integer(),
            sa.ForeignKey("runs.id", ondelete="SET NULL", name="fk_runs_replay_of_runs"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_runs_project_id", "runs", ["project_id"])
    op.create_index("ix_runs_verdict", "runs", ["verdict"])
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("runs.id", ondelete="CASCADE", name="fk_run_events_run_id_runs"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_run_events_run_id", "run_events", ["run_id"])


def downgrade() -> None:
    op.drop_table("run_events")
    op.drop_table("runs")
