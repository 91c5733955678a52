"""recording state: which machine writes a recording, so a live one is listed while it grows
and one left by a crash is recovered by its own machine

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("recordings", sa.Column("node", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("node")
