"""commerce: variants, carts, flash deals, coupons, payments and the commission ledger

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=True),
        sa.Column("percent_bp", sa.Integer(), nullable=True),
        sa.Column("fixed_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("min_order_minor", sa.BigInteger(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("per_buyer_limit", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_coupons_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
        sa.CheckConstraint("used >= 0", name=op.f("ck_coupons_used_not_negative")),
    )
    op.create_table(
        "product_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("option_values", sa.Text(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_product_variants_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_variants_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
        sa.UniqueConstraint("product_id", "sku", name="product_sku"),
    )
    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_variants_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "cart_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_cart_items_buyer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_cart_items_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_cart_items_stream_id_streams")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variants.id"],
            name=op.f("fk_cart_items_variant_id_product_variants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_items")),
        sa.UniqueConstraint("buyer_id", "stream_id", "variant_id", name="buyer_stream_variant"),
    )
    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cart_items_buyer_id"), ["buyer_id"], unique=False)

    op.create_table(
        "flash_deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("per_buyer_limit", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "sold >= 0 AND sold <= quantity", name=op.f("ck_flash_deals_sold_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_flash_deals_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_flash_deals_stream_id_streams")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variants.id"],
            name=op.f("fk_flash_deals_variant_id_product_variants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flash_deals")),
    )
    with op.batch_alter_table("flash_deals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flash_deals_stream_id"), ["stream_id"], unique=False)

    op.create_table(
        "payment_events",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payment_events_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
    )
    op.create_table(
        "commission_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gmv_minor", sa.BigInteger(), nullable=False),
        sa.Column("commission_minor", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"], ["users.id"], name=op.f("fk_commission_entries_host_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_commission_entries_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_commission_entries_seller_id_sellers")
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_commission_entries_stream_id_streams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_entries")),
        sa.UniqueConstraint("order_line_id", "kind", name="line_kind"),
    )
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commission_entries_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_commission_entries_host_id"), ["host_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commission_entries_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commission_entries_seller_id"), ["seller_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commission_entries_stream_id"), ["stream_id"], unique=False
        )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("sku", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("discount_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("deal_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("commission_bp", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_order_lines_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_variant_id"), ["variant_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_variant_id_product_variants"),
            "product_variants",
            ["variant_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_deal_id_flash_deals"), "flash_deals", ["deal_id"], ["id"]
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "payment_state", sa.String(length=16), server_default="reserved", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("subtotal_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("discount_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("coupon_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("gateway", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("authorization_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_orders_authorization_id"), ["authorization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_coupon_id"), ["coupon_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_host_id"), ["host_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_host_id_users"), "users", ["host_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_coupon_id_coupons"), "coupons", ["coupon_id"], ["id"]
        )

    # Stock moves onto variants: each existing product becomes one variant, SKU "P<id>".
    op.execute(
        "INSERT INTO product_variants (product_id, sku, option_values, stock, position) "
        "SELECT id, 'P' || id, '[]', stock, 0 FROM products"
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), server_default="en", nullable=False)
        )
        batch_op.add_column(sa.Column("title_i18n", sa.Text(), server_default="{}", nullable=False))
        batch_op.add_column(
            sa.Column("description_i18n", sa.Text(), server_default="{}", nullable=False)
        )
        batch_op.add_column(sa.Column("options", sa.Text(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("commission_bp", sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f("ck_products_stock_not_negative"), type_="check")
        batch_op.drop_column("stock")

    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commission_bp", sa.Integer(), nullable=True))

    with op.batch_alter_table("stream_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stream_products", schema=None) as batch_op:
        batch_op.drop_column("pinned_at")

    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.drop_column("commission_bp")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint("stock_not_negative", "stock >= 0")
        batch_op.drop_column("commission_bp")
        batch_op.drop_column("options")
        batch_op.drop_column("description_i18n")
        batch_op.drop_column("title_i18n")
        batch_op.drop_column("language")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_orders_coupon_id_coupons"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_orders_host_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index(batch_op.f("ix_orders_host_id"))
        batch_op.drop_index(batch_op.f("ix_orders_expires_at"))
        batch_op.drop_index(batch_op.f("ix_orders_authorization_id"))
        batch_op.drop_index(batch_op.f("ix_orders_coupon_id"))
        batch_op.drop_column("closed_at")
        batch_op.drop_column("paid_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("authorization_id")
        batch_op.drop_column("gateway")
        batch_op.drop_column("coupon_id")
        batch_op.drop_column("discount_minor")
        batch_op.drop_column("subtotal_minor")
        batch_op.drop_column("payment_state")
        batch_op.drop_column("host_id")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_deal_id_flash_deals"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_variant_id_product_variants"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_order_lines_variant_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_deal_id"))
        batch_op.drop_column("commission_bp")
        batch_op.drop_column("deal_id")
        batch_op.drop_column("discount_minor")
        batch_op.drop_column("sku")
        batch_op.drop_column("variant_id")

    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commission_entries_stream_id"))
        batch_op.drop_index(batch_op.f("ix_commission_entries_seller_id"))
        batch_op.drop_index(batch_op.f("ix_commission_entries_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_commission_entries_host_id"))
        batch_op.drop_index(batch_op.f("ix_commission_entries_at"))

    op.drop_table("commission_entries")
    op.drop_table("payment_events")
    with op.batch_alter_table("flash_deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flash_deals_stream_id"))

    op.drop_table("flash_deals")
    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cart_items_buyer_id"))

    op.drop_table("cart_items")
    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_variants_product_id"))

    op.execute(
        "UPDATE products SET stock = (SELECT COALESCE(SUM(stock), 0) FROM product_variants "
        "WHERE product_variants.product_id = products.id)"
    )
    op.drop_table("product_variants")
    op.drop_table("coupons")
