"""The local context index's catalog: documents, and sessions that scope `@context`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "context_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("generation", sa.String(length=32), nullable=False),
        sa.Column("pending", sa.String(length=32), nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("path", name="uq_context_documents_path"),
    )
    op.create_table(
        "context_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("name", name="uq_context_sessions_name"),
    )
    op.create_table(
        "context_session_documents",
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey(
                "context_sessions.id",
                ondelete="CASCADE",
                name="fk_context_session_documents_session_id_context_sessions",
            ),
            nullable=False,
        ),
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey(
                "context_documents.id",
                ondelete="CASCADE",
                name="fk_context_session_documents_document_id_context_documents",
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("session_id", "document_id", name="pk_context_session_documents"),
    )


def downgrade() -> None:
    op.drop_table("context_session_documents")
    op.drop_table("context_sessions")
    op.drop_table("context_documents")
