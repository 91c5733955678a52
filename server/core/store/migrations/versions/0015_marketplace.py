"""marketplace: sellers' offers to hosts and the hosts who joined them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), server_default="other", nullable=False),
        sa.Column("countries", sa.Text(), server_default="", nullable=False),
        sa.Column("languages", sa.String(length=40), server_default="", nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name=op.f("ck_offers_rate_bp")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_offers_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_offers_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    op.create_index(op.f("ix_offers_product_id"), "offers", ["product_id"], unique=False)
    op.create_index(op.f("ix_offers_seller_id"), "offers", ["seller_id"], unique=False)
    op.create_table(
        "offer_members",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_id"], ["users.id"], name=op.f("fk_offer_members_host_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_members_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("offer_id", "host_id", name=op.f("pk_offer_members")),
    )
    op.create_index(op.f("ix_offer_members_host_id"), "offer_members", ["host_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_offer_members_host_id"), table_name="offer_members")
    op.drop_table("offer_members")
    op.drop_index(op.f("ix_offers_seller_id"), table_name="offers")
    op.drop_index(op.f("ix_offers_product_id"), table_name="offers")
    op.drop_table("offers")
