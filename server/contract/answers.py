"""What the HTTP API answers, as models for the OpenAPI document (server/edge/http/openapi.py).

The answers are built by server/contract/serializers.py as plain dicts (the buy and chat paths
pay for no model); these models name them field for field and forbid any other, and
tests/server/edge/test_openapi.py validates every JSON answer the app sends, route by route,
against the model the document names for it, so the two cannot drift apart (docs/protocol.md
has the prose)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.contract.body import Id
from server.contract.shapes import Language, Rate, Sku, Time
from server.core.domain.payments import PaymentState

Texts = dict[Language, str]
OrderStatus = Literal["reserved", "paid", "cancelled", "refunded", "fulfilled"]
Scope = Literal["stream", "seller", "platform"]
Date = Annotated[str, Field(json_schema_extra={"format": "date"})]


class Answer(BaseModel):
    """Fields an answer carries, and no other (clients still ignore what they do not know, so
    a field may be added: here first, the test says so)."""

    model_config = ConfigDict(extra="forbid")


class Problem(Answer):
    code: str
    message: str


class Error(Answer):
    """Every refusal: a stable `code` (docs/protocol.md) and a message for people."""

    error: Problem


class User(Answer):
    id: Id | None = None
    email: str | None = None
    display_name: str | None = None
    role: str | None = None
    guest: bool | None = None


class Session(Answer):
    user: User | None = None
    token: str | None = None
    expires_in: int | None = None


class Me(Answer):
    subject: str | None = None
    display_name: str | None = None
    role: str | None = None
    user_id: Id | None = None
    guest: bool | None = None


class ChangedUser(User):
    disabled: bool | None = None


class ChangedAccount(Answer):
    user: ChangedUser | None = None


class Shop(Answer):
    id: Id | None = None
    name: str | None = None
    country: str | None = None
    commission_bp: Rate | None = None


class Option(Answer):
    name: str
    values: list[str]


class Variant(Answer):
    id: Id | None = None
    sku: Sku | None = None
    options: dict[str, str] | None = None
    stock: int | None = None
    price_minor: int | None = None


class Product(Answer):
    id: Id | None = None
    seller_id: Id | None = None
    seller_name: str | None = None
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    price_minor: int | None = None
    currency: str | None = None
    stock: int | None = None
    language: Language | None = None
    titles: Texts | None = None
    descriptions: Texts | None = None
    options: list[Option] | None = None
    variants: list[Variant] | None = None
    commission_bp: Rate | None = None
    effective_commission_bp: Rate | None = None


class Products(Answer):
    products: list[Product] | None = None


class Host(Answer):
    id: Id | None = None
    display_name: str | None = None


class Stream(Answer):
    id: Id | None = None
    title: str | None = None
    language: str | None = None
    status: Literal["scheduled", "live", "ended"] | None = None
    host: Host | None = None
    scheduled_at: Time | None = None
    started_at: Time | None = None
    ended_at: Time | None = None
    pinned_product_id: int | None = None
    replay: Literal["on", "off", "unlisted"] | None = None
    lineup: list[Product] | None = None
    stream_key: str | None = Field(None, description="to its host, once: the show just scheduled")


class Streams(Answer):
    streams: list[Stream] | None = None


class StreamKey(Answer):
    stream_key: str | None = None
    whip_url: str | None = None


class OrderLine(Answer):
    product_id: Id | None = None
    sku: str | None = None
    seller_id: Id | None = None
    title: str | None = None
    unit_price_minor: int | None = None
    currency: str | None = None
    quantity: int | None = None
    discount_minor: int | None = None
    deal_id: Id | None = None
    commission_bp: Rate | None = None


class NextAction(Answer):
    """The provider's step the page runs (its library takes `client_secret`)."""

    type: str | None = None
    client_secret: str | None = None
    provider: str | None = None
    publishable_key: str | None = None
    script_url: str | None = None


class Order(Answer):
    id: Id | None = None
    buyer_id: Id | None = None
    stream_id: Id | None = None
    host_id: Id | None = None
    status: OrderStatus | None = None
    payment_state: PaymentState | None = None
    idempotency_key: str | None = None
    subtotal_minor: int | None = None
    discount_minor: int | None = None
    total_minor: int | None = None
    currency: str | None = None
    coupon_id: Id | None = None
    source: Literal["live", "replay"] | None = None
    created_at: Time | None = None
    expires_at: Time | None = None
    paid_at: Time | None = None
    lines: list[OrderLine] | None = None
    next_action: NextAction | None = Field(None, description="with 202: the provider's step")


class Orders(Answer):
    orders: list[Order] | None = None


class CartLine(Answer):
    product_id: Id | None = None
    variant_id: Id | None = None
    quantity: int | None = None


class Cart(Answer):
    items: list[CartLine] | None = None


class Deal(Answer):
    id: Id | None = None
    deal_id: Id | None = None  # the same: the countdown's own name for it
    stream_id: Id | None = None
    product_id: Id | None = None
    variant_id: Id | None = None
    price_minor: int | None = None
    currency: str | None = None
    quantity: int | None = None
    per_buyer_limit: int | None = None
    sold: int | None = None
    left: int | None = None
    phase: Literal["upcoming", "active", "sold_out", "ended"] | None = None
    server_time: str | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    remaining_ms: int | None = None


class DealAnswer(Answer):
    """`server_time` comes with the bounds: count down from it, not from the device's clock."""

    deal: Deal | None = None


class Deals(Answer):
    server_time: Time | None = None
    deals: list[Deal] | None = None


class Marker(Answer):
    kind: Literal["started", "ended", "pinned", "unpinned"] | None = None
    product_id: int | None = None
    offset_ms: Annotated[int, Field(ge=0)] | None = None


class Recording(Answer):
    id: Id | None = None
    stream_id: Id | None = None
    status: Literal["recording", "complete", "failed", "interrupted"] | None = None
    container: Literal["mp4", "webm"] | None = None
    content_type: Literal["video/mp4", "video/webm"] | None = None
    started_at: Time | None = None
    ended_at: Time | None = None
    duration_ms: int | None = None
    bytes: int | None = None
    file_url: str | None = None
    markers: list[Marker] | None = None


class Recordings(Answer):
    recordings: list[Recording] | None = None


class Coupon(Answer):
    id: Id | None = None
    code: str | None = None
    scope: Scope | None = None
    scope_id: int | None = None
    percent_bp: int | None = None
    fixed_minor: int | None = None
    currency: str | None = None
    min_order_minor: int | None = None
    starts_at: Time | None = None
    ends_at: Time | None = None
    max_uses: int | None = None
    per_buyer_limit: int | None = None
    used: int | None = None
    created_by: Id | None = None
    created_at: Time | None = None


class Coupons(Answer):
    coupons: list[Coupon] | None = None


class LedgerRow(Answer):
    """host_id, seller_id, stream_id and period appear when grouped by."""

    currency: str
    host_id: Id | None = None
    seller_id: Id | None = None
    stream_id: Id | None = None
    period: Date | None = None
    source: Literal["live", "replay"] = Field(description="where its orders were bought")
    sales: int
    refunds: int
    gmv_minor: int
    commission_minor: int


class LedgerReport(Answer):
    as_: Literal["host", "seller", "admin"] | None = Field(None, alias="as")
    by: list[Literal["host", "period", "seller", "stream"]] | None = None
    period: Literal["day", "week", "month"] | None = None
    since: Time | None = None
    until: Time | None = None
    rows: list[LedgerRow] | None = None


class PaymentSetup(Answer):
    provider: str | None = None
    publishable_key: str | None = None
    script_url: str | None = None


class WebhookAnswer(Answer):
    order_id: Id | None = None


class Health(Answer):
    status: str | None = None
    database: str | None = None
    redis: str | None = None
