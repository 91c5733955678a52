"""Show reports on the wire: the answer of GET /api/streams/{id}/report, field for field (built
by server/core/domain/show_reports.py; docs/protocol.md "Show reports"), the CSV's columns, and
the one query a chart takes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from server.contract.answers import Answer
from server.contract.body import Id
from server.contract.shapes import Time
from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import ValidationError


class Chart(StrEnum):
    VIEWERS = "viewers"  # viewers over time, pins shaded
    SALES = "sales"  # orders and GMV over time (the first currency; one chart per currency)
    FUNNEL = "funnel"  # per product: card viewers, add-to-cart, orders


def chart_of(raw: str | None) -> Chart:
    if raw not in set(Chart):
        raise ValidationError(
            f"chart must be one of {', '.join(Chart)}", code=GeneralCode.BAD_QUERY
        )
    return Chart(raw)


class Amount(Answer):
    currency: str
    minor: int


class AmountSeries(Answer):
    currency: str
    minor: list[int]


class Viewers(Answer):
    peak: int
    average: float
    unique: int
    watch_time_total_s: float
    watch_time_median_s: float


class Chat(Answer):
    lines: int
    questions: int
    answered: int


class PinSpan(Answer):
    product_id: Id
    title: str
    start_s: float
    end_s: float
    duration_s: float
    open: bool


class CouponUse(Answer):
    code: str
    orders: int


class Sales(Answer):
    orders: int
    units: int
    gmv: list[Amount]
    commission: list[Amount]
    coupon_uses: int
    coupons: list[CouponUse]
    replay_orders: int
    replay_views: int


class DealSellThrough(Answer):
    deal_id: Id
    quantity: int
    sold: int
    sell_through_s: float | None


class ProductLine(Answer):
    product_id: Id
    title: str
    seller_id: Id
    card_views: int
    card_viewers: int
    add_to_cart: int
    orders: int
    units: int
    gmv: list[Amount]
    conversion: float | None  # orders / card viewers
    coupon_uses: int
    replay_orders: int
    commission: list[Amount]
    pinned_s: float
    deals: list[DealSellThrough]


class AuctionLine(Answer):
    auction_id: Id
    product_id: Id
    title: str
    status: Literal["running", "ended"]
    result: str | None  # sold, reserve_not_met, no_bids, unsold; None while it runs
    currency: str
    start_minor: int
    price_minor: int | None  # the final price; None while it runs
    bids: int
    bidders: int
    start_s: float
    duration_s: float


class Auctions(Answer):
    held: int
    sold: int
    unsold: int
    running: int
    bids: int
    sold_value: list[Amount]
    items: list[AuctionLine]


class Series(Answer):
    bucket_s: int
    t: list[int]
    viewers: list[int]
    chat: list[int]
    likes: list[int]
    orders: list[int]
    units: list[int]
    gmv: list[AmountSeries]


class ShowReport(Answer):
    stream_id: Id
    title: str
    host_id: Id
    status: str
    started_at: Time
    ended_at: Time | None
    final: bool  # the show ended: the stored report
    computed_at: Time
    scope: Literal["all", "seller"]
    duration_s: float
    viewers: Viewers
    chat: Chat
    likes: int
    pins: list[PinSpan]
    sales: Sales
    products: list[ProductLine]
    auctions: Auctions | None = None  # absent from reports stored before auctions existed
    series: Series


CSV_COLUMNS = (
    "product_id",
    "title",
    "seller_id",
    "card_views",
    "card_viewers",
    "add_to_cart",
    "orders",
    "units",
    "currency",
    "gmv_minor",
    "commission_minor",
    "conversion",
    "coupon_uses",
    "replay_orders",
    "pinned_s",
)


def csv_rows(report: dict[str, Any]) -> list[list[object]]:
    """One row per product and currency it sold in (a product that sold nothing: one row with
    an empty currency); money never summed across currencies."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for line in report["products"]:
        gmv = {g["currency"]: g["minor"] for g in line["gmv"]}
        earned = {c["currency"]: c["minor"] for c in line["commission"]}
        currencies = sorted(gmv.keys() | earned.keys()) or [""]
        for currency in currencies:
            rows.append(
                [
                    line["product_id"],
                    _cell(line["title"]),
                    line["seller_id"],
                    line["card_views"],
                    line["card_viewers"],
                    line["add_to_cart"],
                    line["orders"],
                    line["units"],
                    currency,
                    gmv.get(currency, 0),
                    earned.get(currency, 0),
                    "" if line["conversion"] is None else line["conversion"],
                    line["coupon_uses"],
                    line["replay_orders"],
                    line["pinned_s"],
                ]
            )
    return rows


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
