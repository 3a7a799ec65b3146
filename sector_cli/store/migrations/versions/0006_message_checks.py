"""What was checked of an answer: the sources it was given and cited, and whether each of its
sentences is supported by them (the grounding result), as JSON on the message.

Answers saved before have no checks (NULL): their Sources block is still in their text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("checks", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("checks")
