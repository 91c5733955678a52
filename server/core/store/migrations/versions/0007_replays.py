"""shoppable replays: the replay setting, take-downs and replay orders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "streams", sa.Column("replay", sa.String(length=16), server_default="on", nullable=False)
    )
    op.add_column(
        "streams", sa.Column("replay_taken_down_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "orders", sa.Column("source", sa.String(length=8), server_default="live", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("streams") as batch:
        batch.drop_column("replay_taken_down_at")
        batch.drop_column("replay")
