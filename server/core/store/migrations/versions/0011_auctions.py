"""auctions: an auction per line-up product of a show, and every bid decided (accepted or not)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auctions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("start_minor", sa.BigInteger(), nullable=False),
        sa.Column("ladder", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("anti_snipe_s", sa.Integer(), nullable=False),
        sa.Column("sudden_death", sa.Boolean(), nullable=False),
        sa.Column("reserve_minor", sa.BigInteger(), nullable=True),
        sa.Column("buy_now_minor", sa.BigInteger(), nullable=True),
        sa.Column("unpaid", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("winner_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("bids", sa.Integer(), nullable=False),
        sa.Column("offered", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name="fk_auctions_stream_id_streams"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_auctions_product_id_products"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["product_variants.id"], name="fk_auctions_variant_id_product_variants"
        ),
        sa.ForeignKeyConstraint(["winner_id"], ["users.id"], name="fk_auctions_winner_id_users"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_auctions_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_auctions"),
    )
    op.create_index("ix_auctions_stream_id", "auctions", ["stream_id"])
    op.create_table(
        "auction_bids",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("auction_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("max_minor", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["auction_id"], ["auctions.id"], name="fk_auction_bids_auction_id_auctions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_auction_bids"),
        sa.UniqueConstraint("auction_id", "seq", name="uq_auction_bids_auction_id"),
    )
    op.create_index("ix_auction_bids_auction_id", "auction_bids", ["auction_id"])


def downgrade() -> None:
    op.drop_index("ix_auction_bids_auction_id", table_name="auction_bids")
    op.drop_table("auction_bids")
    op.drop_index("ix_auctions_stream_id", table_name="auctions")
    op.drop_table("auctions")
