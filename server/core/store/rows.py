"""SQLAlchemy 2 models: the durable record. Schema changes go through migrations/."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime: SQLite hands back naive ones, and every time
    stored here is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Tokens carry the version they were issued at; a role change or a ban bumps it, which
    # refuses every older token (server/core/services/accounts.py AccountStanding).
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Seller(Base):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    # What hosts earn on this shop's sales unless a product sets its own (basis points).
    commission_bp: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Product(Base):
    """What a seller lists. Stock lives on its variants (a product without options has one)."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_minor >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    # `title` and `description` are in `language`; the *_i18n columns hold JSON
    # {language: text} for the other show languages (server/core/domain/variants.py Localized).
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    title_i18n: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    description_i18n: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    image_url: Mapped[str] = mapped_column(String(2000), default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # JSON [{"name": "size", "values": ["S", "M"]}]; "[]" for a product without options.
    options: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    commission_bp: Mapped[int | None] = mapped_column(Integer)  # None: the seller's default
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    seller: Mapped[Seller] = relationship(lazy="joined")
    variants: Mapped[list[ProductVariant]] = relationship(
        lazy="selectin", order_by="ProductVariant.position", back_populates="product"
    )

    @property
    def stock(self) -> int:
        return sum(variant.stock for variant in self.variants)


class ProductVariant(Base):
    """One SKU of a product: its own stock and, optionally, its own price.

    `stock` is what is on the shelf: units held for a buyer who is paying are already taken
    off it, and go back if the order is cancelled, expires or is refunded."""

    __tablename__ = "product_variants"
    __table_args__ = (
        UniqueConstraint("product_id", "sku", name="product_sku"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    option_values: Mapped[str] = mapped_column(Text, default="[]")  # JSON, one per option
    stock: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int | None] = mapped_column(BigInteger)  # None: the product's price
    position: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship(back_populates="variants")


class Stream(Base):
    __tablename__ = "streams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    stream_key: Mapped[str] = mapped_column(String(64), unique=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pinned_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    # A chat message (usually an answered question) shown to everyone above the chat.
    pinned_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # After the show: "on" (listed), "unlisted" (by link only) or "off"; staff can take a
    # replay down whatever its host says (server/core/domain/replays.py).
    replay: Mapped[str] = mapped_column(String(16), default="on", server_default="on")
    replay_taken_down_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    host: Mapped[User] = relationship(lazy="joined")


class StreamProduct(Base):
    """The stream's line-up: which products the host may pin and viewers may buy."""

    __tablename__ = "stream_products"

    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    # Set while the product is pinned (up to MAX_PINS at once); the oldest pin goes first.
    pinned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    # "u:<id>" for accounts, "g:<hex>" for guests: guests have no users row.
    author: Mapped[str] = mapped_column(String(40), index=True)
    display_name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A viewer's question for the host; answered when the host or a moderator says so.
    question: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    # Said by a shadow-banned author: shown to its author only.
    shadowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Order(Base):
    """A purchase. `status` is what buyers and sellers see; `payment_state` is the finer
    state of server/core/domain/payments.py it is derived from."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("buyer_id", "idempotency_key", name="buyer_idempotency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("streams.id"), index=True)
    # The show's host when bought in a show: who earns the commission.
    host_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    payment_state: Mapped[str] = mapped_column(
        String(16), default="reserved", server_default="reserved"
    )
    subtotal_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"), index=True)
    gateway: Mapped[str | None] = mapped_column(String(16))
    authorization_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # Unpaid by then, the order is cancelled and its stock goes back on the shelf.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # cancel/refund
    # Bought during the show ("live") or from its replay ("replay"): attributed to the show alike.
    source: Mapped[str] = mapped_column(String(8), default="live", server_default="live")

    lines: Mapped[list[OrderLine]] = relationship(lazy="selectin", order_by="OrderLine.id")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("product_variants.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64), default="", server_default="")
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("flash_deals.id"), index=True)
    # The host's rate at the time of sale, frozen here (server/core/domain/commissions.py).
    commission_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CartItem(Base):
    """A viewer's cart in one show: variants picked from the pins, bought at checkout."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("buyer_id", "stream_id", "variant_id", name="buyer_stream_variant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FlashDeal(Base):
    """A pinned product at a deal price for a window of server time (domain/deals.py)."""

    __tablename__ = "flash_deals"
    __table_args__ = (CheckConstraint("sold >= 0 AND sold <= quantity", name="sold_in_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("product_variants.id"))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    quantity: Mapped[int] = mapped_column(Integer)
    per_buyer_limit: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Coupon(Base):
    """A discount code (server/core/domain/coupons.py); `used` counts orders not cancelled."""

    __tablename__ = "coupons"
    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # stream, seller, platform
    scope_id: Mapped[int | None] = mapped_column(Integer)
    percent_bp: Mapped[int | None] = mapped_column(Integer)
    fixed_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))  # of fixed_minor and min_order
    min_order_minor: Mapped[int | None] = mapped_column(BigInteger)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_uses: Mapped[int | None] = mapped_column(Integer)
    per_buyer_limit: Mapped[int | None] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CommissionEntry(Base):
    """The ledger: one row per order line paid (sale) or refunded (reversal)."""

    __tablename__ = "commission_entries"
    # A line is sold once and reversed once, whatever retries or redelivered webhooks do.
    __table_args__ = (UniqueConstraint("order_line_id", "kind", name="line_kind"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # sale, reversal
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    gmv_minor: Mapped[int] = mapped_column(BigInteger)
    commission_minor: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class PaymentEvent(Base):
    """A gateway webhook already applied: a redelivery with the same id changes nothing."""

    __tablename__ = "payment_events"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # "<gateway>:<event id>"
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Recording(Base):
    """A file a host's session was recorded to (media/recording.py)."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    path: Mapped[str] = mapped_column(String(1000))
    container: Mapped[str] = mapped_column(String(8))  # "mp4" or "webm"
    status: Mapped[str] = mapped_column(String(16))  # complete, failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the first frame
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    bytes: Mapped[int] = mapped_column(BigInteger)
    # The machine writing it (status recording, interrupted): it alone can read the file.
    node: Mapped[str | None] = mapped_column(String(255))


class StreamEvent(Base):
    """A moment of a show's timeline: started, ended, pinned or unpinned (a product)."""

    __tablename__ = "stream_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))


class ModerationAudit(Base):
    """One moderation action (chat/moderation.py AuditEntry): who did what to whom, and when."""

    __tablename__ = "moderation_audit"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # None for platform-wide actions (platform bans, the platform's word list).
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("streams.id"), index=True)
    actor: Mapped[str] = mapped_column(String(40))  # a subject, or "system"
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(100))  # a subject, a term, a held id
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Review(Base):
    """A coach's (or an admin's) review of one recording of a show (domain/reviews.py)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewClip(Base):
    """A span of the review's recording, `[start_ms, end_ms)`; a review's clips never overlap."""

    __tablename__ = "review_clips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewComment(Base):
    """Feedback at a moment of the review's recording; `read_at`: when its host read it."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    offset_ms: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(32))
    rating: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReviewReply(Base):
    """An answer to a timed comment: the host's, or a reviewer's back."""

    __tablename__ = "review_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("review_comments.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShowEvent(Base):
    """What a show's audience did, as the room saw it, written in batches by each node: a
    socket's join and leave (`session` its id), a product card shown, a product put in a cart,
    the likes counted in one second (`count`). server/core/domain/show_reports.py reads them."""

    __tablename__ = "show_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))  # join, leave, seen, cart, likes
    viewer: Mapped[str | None] = mapped_column(String(40))  # a subject, or "s:<socket>"
    session: Mapped[str | None] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ShowReport(Base):
    """A show's report as computed when it ended (and again if a node's last events came
    after): the whole show's figures, JSON (docs/protocol.md "Show reports")."""

    __tablename__ = "show_reports"

    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[str] = mapped_column(Text)


# -- buyers: profiles, addresses, shipping --------------------------------------------------


class BuyerProfile(Base):
    """A buyer's preferences: the language of the pages and the country they buy from (the
    viewer page says before the tap when a shop does not ship there)."""

    __tablename__ = "buyer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(2))
    country: Mapped[str | None] = mapped_column(String(2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShippingAddress(Base):
    """A buyer's address, in its country's format (server/core/domain/addresses.py). Orders
    keep a copy of the address they ship to: editing or deleting one changes no order."""

    __tablename__ = "shipping_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    line1: Mapped[str] = mapped_column(String(120))
    line2: Mapped[str] = mapped_column(String(120), default="", server_default="")
    city: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(80), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(24), default="", server_default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShippingRateRow(Base):
    """Where a shop ships: one fee per country, in the shop's shipping currency."""

    __tablename__ = "shipping_rates"
    __table_args__ = (CheckConstraint("fee_minor >= 0", name="fee_not_negative"),)

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class OrderShipping(Base):
    """Where an order goes: the address as it was when bought (JSON of its fields), and what
    shipping added to the order's total (the sum of its lines)."""

    __tablename__ = "order_shipping"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    address: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class OrderShippingLine(Base):
    """One shop's shipping fee in an order."""

    __tablename__ = "order_shipping_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


# -- the seller-influencer marketplace (server/core/domain/offers.py) ---------------------------


class Offer(Base):
    """A shop's offer to hosts: one product (or all, `product_id` None) at a commission rate."""

    __tablename__ = "offers"
    __table_args__ = (CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_bp"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    rate_bp: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16), default="other", server_default="other")
    # Comma-separated ISO codes; "" for every country / every show language.
    countries: Mapped[str] = mapped_column(Text, default="", server_default="")
    languages: Mapped[str] = mapped_column(String(40), default="", server_default="")
    policy: Mapped[str] = mapped_column(String(16))  # open, approval
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    seller: Mapped[Seller] = relationship(lazy="joined")
    product: Mapped[Product | None] = relationship(lazy="joined")


class OfferMember(Base):
    """A host who joined an offer (or applied to): one row per host and offer."""

    __tablename__ = "offer_members"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, approved, rejected
    country: Mapped[str | None] = mapped_column(String(2))  # as the host said when joining
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- following and notifications (issue 18) ---------------------------------------------------


class Follow(Base):
    """A signed-in viewer follows a host: told when the host goes live."""

    __tablename__ = "follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShowReminder(Base):
    """A viewer asked to be reminded: emailed at the show's scheduled time."""

    __tablename__ = "show_reminders"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EmailOptOut(Base):
    """An account that unsubscribed (the link in every email): no more follow or reminder
    emails. Password resets, which the owner asks for, still go."""

    __tablename__ = "email_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShowAnnouncement(Base):
    """A show's followers (`kind` live) or reminded viewers (`kind` reminder) were queued their
    notifications: once per show, whichever node got there first."""

    __tablename__ = "show_announcements"

    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Notification(Base):
    """One message waiting to go, or gone: an email to an account or a webhook to a URL.
    A node claims due ones (`due_at`), leasing them forward while it sends; a failure moves
    `due_at` by the backoff, and after the last attempt the status is `failed`."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email, webhook
    kind: Mapped[str] = mapped_column(String(24))  # host_live, reminder, password_reset
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("streams.id"))
    target: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordReset(Base):
    """An emailed reset link: only the SHA-256 of its token is kept; used once, before expiry."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- giveaways and polls (issue 16) ----------------------------------------------------------


class Giveaway(Base):
    """A show's giveaway (server/core/domain/giveaways.py): the seed stays secret until the draw
    (`drawn_at`); `commitment` is published from the start; `winners` the JSON list drawn."""

    __tablename__ = "giveaways"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    prize_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    prize_text: Mapped[str | None] = mapped_column(String(120))
    eligibility: Mapped[str] = mapped_column(String(16))
    keyword: Mapped[str | None] = mapped_column(String(30))
    winner_count: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    entrants: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # counted
    winners: Mapped[str | None] = mapped_column(Text)


class GiveawayEntry(Base):
    """One entry per account and giveaway, whichever node took it (the unique constraint)."""

    __tablename__ = "giveaway_entries"
    __table_args__ = (UniqueConstraint("giveaway_id", "entrant", name="giveaway_entrant"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    giveaway_id: Mapped[int] = mapped_column(ForeignKey("giveaways.id"), index=True)
    entrant: Mapped[str] = mapped_column(String(40))  # u:<id>
    counted: Mapped[bool] = mapped_column(Boolean)  # not a banned or shadow-banned person's
    way: Mapped[str] = mapped_column(String(8))  # tap, keyword
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))  # a winner's prize


class Poll(Base):
    """A show's poll; `results` the final JSON results, stored when it closes."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    question: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    results: Mapped[str | None] = mapped_column(Text)

    options: Mapped[list[PollChoice]] = relationship(
        lazy="selectin", order_by="PollChoice.position"
    )


class PollChoice(Base):
    """An option of a poll and its votes so far (one conditional UPDATE per vote)."""

    __tablename__ = "poll_options"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str | None] = mapped_column(String(80))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PollVote(Base):
    """One vote per voter (and per guest device) and poll, on any node."""

    __tablename__ = "poll_votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "voter", name="poll_voter"),
        UniqueConstraint("poll_id", "device", name="poll_device"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    voter: Mapped[str] = mapped_column(String(40))
    device: Mapped[str | None] = mapped_column(String(64))  # a guest's fingerprint
    position: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# -- auctions (server/core/domain/auctions.py, server/core/services/auctions.py) ---------------


class Auction(Base):
    """An auction of a line-up product (or one variant) in a show. While it runs, its bids are
    decided in the auction book (server/core/stock/auction_book*.py); its result is written here
    when it ends. `ladder`: JSON [[from_minor, increment_minor], ...]; `offered`: JSON list of
    the bidders the item was offered to (the winner first, then each second chance)."""

    __tablename__ = "auctions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"))
    currency: Mapped[str] = mapped_column(String(3))
    start_minor: Mapped[int] = mapped_column(BigInteger)
    ladder: Mapped[str] = mapped_column(Text)
    duration_s: Mapped[int] = mapped_column(Integer)
    anti_snipe_s: Mapped[int] = mapped_column(Integer)
    sudden_death: Mapped[bool] = mapped_column(Boolean, default=False)
    reserve_minor: Mapped[int | None] = mapped_column(BigInteger)
    buy_now_minor: Mapped[int | None] = mapped_column(BigInteger)
    unpaid: Mapped[str] = mapped_column(String(16))  # second_chance | unsold
    status: Mapped[str] = mapped_column(String(16))  # running | ended
    started_by: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # as planned, then final
    result: Mapped[str | None] = mapped_column(String(16))  # sold, reserve_not_met, no_bids, unsold
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    winner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    bids: Mapped[int] = mapped_column(Integer, default=0)
    offered: Mapped[str] = mapped_column(Text, default="[]")


class AuctionBid(Base):
    """Every bid the book decided, accepted or refused, at the book's time (`at`) and in its
    order (`seq`): the audit log, which replays through the domain rules to the result."""

    __tablename__ = "auction_bids"
    __table_args__ = (UniqueConstraint("auction_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    bidder_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # bid, max, buy_now
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    max_minor: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    code: Mapped[str | None] = mapped_column(String(32))  # None: accepted
    price_minor: Mapped[int] = mapped_column(BigInteger)  # the price after it
    leader_id: Mapped[int | None] = mapped_column(Integer)  # the leader after it
