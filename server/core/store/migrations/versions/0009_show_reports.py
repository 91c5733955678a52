"""show reports: viewer sessions, product events and stored reports

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "show_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("viewer", sa.String(length=40), nullable=True),
        sa.Column("session", sa.String(length=64), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_show_events_stream_id_streams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_show_events")),
    )
    op.create_index(op.f("ix_show_events_stream_id"), "show_events", ["stream_id"], unique=False)
    op.create_table(
        "show_reports",
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_show_reports_stream_id_streams")
        ),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_show_reports")),
    )


def downgrade() -> None:
    op.drop_table("show_reports")
    op.drop_index(op.f("ix_show_events_stream_id"), table_name="show_events")
    op.drop_table("show_events")
