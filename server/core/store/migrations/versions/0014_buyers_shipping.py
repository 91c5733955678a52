"""buyers: profiles, shipping addresses, shops' shipping rates, orders' shipping and its lines

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buyer_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_buyer_profiles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_buyer_profiles")),
    )
    op.create_table(
        "shipping_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("line1", sa.String(length=120), nullable=False),
        sa.Column("line2", sa.String(length=120), server_default="", nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=80), server_default="", nullable=False),
        sa.Column("postal_code", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=24), server_default="", nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shipping_addresses_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_addresses")),
    )
    op.create_index(
        op.f("ix_shipping_addresses_user_id"), "shipping_addresses", ["user_id"], unique=False
    )
    op.create_table(
        "shipping_rates",
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("fee_minor >= 0", name=op.f("ck_shipping_rates_fee_not_negative")),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_shipping_rates_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("seller_id", "country", name=op.f("pk_shipping_rates")),
    )
    op.create_table(
        "order_shipping",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_shipping_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_shipping")),
    )
    op.create_table(
        "order_shipping_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_shipping_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_order_shipping_lines_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_shipping_lines")),
    )
    op.create_index(
        op.f("ix_order_shipping_lines_order_id"), "order_shipping_lines", ["order_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_order_shipping_lines_order_id"), table_name="order_shipping_lines")
    op.drop_table("order_shipping_lines")
    op.drop_table("order_shipping")
    op.drop_table("shipping_rates")
    op.drop_index(op.f("ix_shipping_addresses_user_id"), table_name="shipping_addresses")
    op.drop_table("shipping_addresses")
    op.drop_table("buyer_profiles")
