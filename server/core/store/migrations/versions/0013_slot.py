"""slot 13: reserved for a change being built in parallel (filled in by its owner)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:45:00.000000
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
