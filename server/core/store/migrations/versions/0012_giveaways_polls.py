"""giveaways and polls: giveaways with their entries, polls with their options and votes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "giveaways",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("prize_product_id", sa.Integer(), nullable=True),
        sa.Column("prize_text", sa.String(length=120), nullable=True),
        sa.Column("eligibility", sa.String(length=16), nullable=False),
        sa.Column("keyword", sa.String(length=30), nullable=True),
        sa.Column("winner_count", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("opens_at", _WHEN, nullable=False),
        sa.Column("ends_at", _WHEN, nullable=False),
        sa.Column("drawn_at", _WHEN, nullable=True),
        sa.Column("entrants", sa.Integer(), server_default="0", nullable=False),
        sa.Column("winners", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_giveaways_stream_id_streams")
        ),
        sa.ForeignKeyConstraint(
            ["prize_product_id"],
            ["products.id"],
            name=op.f("fk_giveaways_prize_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_giveaways")),
    )
    op.create_index(op.f("ix_giveaways_stream_id"), "giveaways", ["stream_id"], unique=False)
    op.create_index(op.f("ix_giveaways_ends_at"), "giveaways", ["ends_at"], unique=False)
    op.create_table(
        "giveaway_entries",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("giveaway_id", sa.Integer(), nullable=False),
        sa.Column("entrant", sa.String(length=40), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("way", sa.String(length=8), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["giveaway_id"],
            ["giveaways.id"],
            name=op.f("fk_giveaway_entries_giveaway_id_giveaways"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_giveaway_entries_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_giveaway_entries")),
        sa.UniqueConstraint("giveaway_id", "entrant", name="giveaway_entrant"),
    )
    op.create_index(
        op.f("ix_giveaway_entries_giveaway_id"), "giveaway_entries", ["giveaway_id"], unique=False
    )
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("opened_at", _WHEN, nullable=False),
        sa.Column("ends_at", _WHEN, nullable=True),
        sa.Column("closed_at", _WHEN, nullable=True),
        sa.Column("results", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_polls_stream_id_streams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    op.create_index(op.f("ix_polls_stream_id"), "polls", ["stream_id"], unique=False)
    op.create_index(op.f("ix_polls_ends_at"), "polls", ["ends_at"], unique=False)
    op.create_table(
        "poll_options",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=80), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("votes", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_options_poll_id_polls")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_poll_options_product_id_products")
        ),
        sa.PrimaryKeyConstraint("poll_id", "position", name=op.f("pk_poll_options")),
    )
    op.create_table(
        "poll_votes",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter", sa.String(length=40), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_votes_poll_id_polls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
        sa.UniqueConstraint("poll_id", "voter", name="poll_voter"),
        sa.UniqueConstraint("poll_id", "device", name="poll_device"),
    )
    op.create_index(op.f("ix_poll_votes_poll_id"), "poll_votes", ["poll_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_poll_votes_poll_id"), table_name="poll_votes")
    op.drop_table("poll_votes")
    op.drop_table("poll_options")
    op.drop_index(op.f("ix_polls_ends_at"), table_name="polls")
    op.drop_index(op.f("ix_polls_stream_id"), table_name="polls")
    op.drop_table("polls")
    op.drop_index(op.f("ix_giveaway_entries_giveaway_id"), table_name="giveaway_entries")
    op.drop_table("giveaway_entries")
    op.drop_index(op.f("ix_giveaways_ends_at"), table_name="giveaways")
    op.drop_index(op.f("ix_giveaways_stream_id"), table_name="giveaways")
    op.drop_table("giveaways")
