"""slot 12: reserved for a change being built in parallel (filled in by its owner)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:45:00.000000
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
