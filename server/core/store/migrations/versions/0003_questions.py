"""chat questions, message language and the pinned message

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "chat_messages",
        sa.Column("question", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "chat_messages", sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "chat_messages",
        sa.Column("language", sa.String(length=2), server_default="en", nullable=False),
    )
    op.add_column("streams", sa.Column("pinned_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("streams") as batch:
        batch.drop_column("pinned_message_id")
    with op.batch_alter_table("chat_messages") as batch:
        batch.drop_column("language")
        batch.drop_column("answered_at")
        batch.drop_column("question")
