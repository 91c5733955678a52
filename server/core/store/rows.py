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
