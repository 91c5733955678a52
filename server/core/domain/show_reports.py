"""A show's report: what its audience did and what it sold, from the events the server saw.

Plain functions over plain records (the service reads them from the database): viewer
sessions (a socket's join and leave of the room), card views and add-to-cart, like counts, chat
lines, pins, order lines, flash deals, commission entries and replay views. Everything is
measured inside the show's live window (started to ended, or to now while it runs), in 10 s
buckets from its start.

- Concurrent viewers count sockets in the room, as the room's viewer count does; watch time
  is per viewer (the union of their sockets' time, so two tabs are not twice the time). The
  show's host is not a viewer of their own show.
- Orders, units and GMV count paid (or fulfilled) orders attributed to the show, live and from
  its replay; money is per currency, never summed across currencies.
- Conversion of a product: its orders over the viewers who saw its card.
- A scope (a seller's products) keeps only those products' lines: the sales, pins and funnel of
  the products in it; the audience figures are the show's.
- Auctions held in the show: each with its result (sold, or why not), its final price, its
  accepted bids and bidders; a running one has no result or final price yet. The value sold
  is per currency, and an auction's order counts in the sales once it is paid, like any order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from server.core.domain.auctions import Result
from server.core.domain.error_codes import ReportCode
from server.core.domain.errors import Conflict, Forbidden
from server.core.domain.roles import Principal, Role

BUCKET_S = 10
SOLD = str(Result.SOLD)  # an auction's result
# Platform staff: admins, and coaches (who review hosts' shows; the role may be absent).
STAFF_ROLES = frozenset({str(Role.ADMIN), "coach"})


class ViewerKind(StrEnum):
    JOIN = "join"
    LEAVE = "leave"


class ProductKind(StrEnum):
    SEEN = "seen"  # the viewer's page showed the product's card
    CART = "cart"  # the viewer put the product in their cart


class Source(StrEnum):
    LIVE = "live"
    REPLAY = "replay"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())

    def offset(self, at: datetime) -> float:
        return (at - self.start).total_seconds()

    def clip(self, at: datetime) -> datetime:
        return min(max(at, self.start), self.end)


@dataclass(frozen=True)
class ViewerEvent:
    at: datetime
    kind: ViewerKind
    session: str  # one socket
    viewer: str  # its person: "u:<id>", "g:<hex>", or "s:<socket>" without a token


@dataclass(frozen=True)
class ProductEvent:
    at: datetime
    kind: ProductKind
    product_id: int
    viewer: str


@dataclass(frozen=True)
class Likes:
    at: datetime
    count: int


@dataclass(frozen=True)
class ChatLine:
    at: datetime
    question: bool = False
    answered: bool = False


@dataclass(frozen=True)
class Pin:
    product_id: int
    start: datetime
    end: datetime | None  # None: still pinned


@dataclass(frozen=True)
class SaleLine:
    """One paid order line of the show (a refunded or cancelled order has none)."""

    order_id: int
    at: datetime
    product_id: int
    quantity: int
    gmv_minor: int  # what the buyer paid for the line: price x units - discount
    currency: str
    coupon: str | None = None
    deal_id: int | None = None
    source: Source = Source.LIVE


@dataclass(frozen=True)
class Deal:
    id: int
    product_id: int
    starts_at: datetime
    quantity: int


@dataclass(frozen=True)
class Commission:
    product_id: int
    currency: str
    minor: int  # earned (sales) less reversed (refunds)


@dataclass(frozen=True)
class AuctionHeld:
    """One auction of the show, as its row and its bid log have it."""

    id: int
    product_id: int
    currency: str
    start_minor: int
    started_at: datetime
    ends_at: datetime  # planned while it runs (anti-snipe moves it), the final end after
    running: bool
    result: str | None  # sold, reserve_not_met, no_bids, unsold (its winner never paid)
    price_minor: int | None  # the final price once ended
    bids: int  # accepted bids
    bidders: int  # accounts with at least one accepted bid


@dataclass(frozen=True)
class ProductInfo:
    id: int
    title: str
    seller_id: int


@dataclass(frozen=True)
class ShowFacts:
    """Everything a report is computed from."""

    window: Window
    host: str  # the host's subject: not counted as a viewer
    products: Sequence[ProductInfo] = ()
    viewer_events: Sequence[ViewerEvent] = ()
    product_events: Sequence[ProductEvent] = ()
    likes: Sequence[Likes] = ()
    chat: Sequence[ChatLine] = ()
    pins: Sequence[Pin] = ()
    sales: Sequence[SaleLine] = ()
    deals: Sequence[Deal] = ()
    commissions: Sequence[Commission] = ()
    replay_views: Sequence[ViewerEvent] = ()  # JOIN only: one a replay viewing
    auctions: Sequence[AuctionHeld] = ()

    def scoped(self, product_ids: Iterable[int] | None) -> ShowFacts:
        """Only these products' lines (None: all of them)."""
        if product_ids is None:
            return self
        keep = set(product_ids)
        return ShowFacts(
            window=self.window,
            host=self.host,
            products=[p for p in self.products if p.id in keep],
            viewer_events=self.viewer_events,
            product_events=[e for e in self.product_events if e.product_id in keep],
            likes=self.likes,
            chat=self.chat,
            pins=[p for p in self.pins if p.product_id in keep],
            sales=[s for s in self.sales if s.product_id in keep],
            deals=[d for d in self.deals if d.product_id in keep],
            commissions=[c for c in self.commissions if c.product_id in keep],
            replay_views=self.replay_views,
            auctions=[a for a in self.auctions if a.product_id in keep],
        )


@dataclass(frozen=True)
class Audience:
    peak: int
    average: float  # socket-seconds over the show's seconds
    unique: int
    watch_total_s: float
    watch_median_s: float


@dataclass
class _Bucketed:
    count: int
    viewers: list[int] = field(init=False)
    chat: list[int] = field(init=False)
    likes: list[int] = field(init=False)
    orders: list[int] = field(init=False)
    units: list[int] = field(init=False)
    gmv: dict[str, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.viewers = [0] * self.count
        self.chat = [0] * self.count
        self.likes = [0] * self.count
        self.orders = [0] * self.count
        self.units = [0] * self.count
        self.gmv = {}


def bucket_count(window: Window) -> int:
    return max(1, math.ceil(window.seconds / BUCKET_S))


def report_scope(
    principal: Principal, host_id: int, seller_id: int | None, sells_in_show: bool
) -> str:
    """Who may read a show's report, and how much: "all" for platform staff and the show's
    host, "seller" for a seller with products in the show (their lines only)."""
    if principal.role in STAFF_ROLES:
        return "all"
    if principal.role == Role.HOST and principal.user_id == host_id:
        return "all"
    if principal.role == Role.SELLER and seller_id is not None and sells_in_show:
        return "seller"
    raise Forbidden(
        "only the show's host, sellers with products in it and staff may read its report",
        code=ReportCode.REPORT_FORBIDDEN,
    )


def check_started(started_at: datetime | None) -> datetime:
    if started_at is None:
        raise Conflict(
            "the show has not started: it has no report yet", code=ReportCode.REPORT_NOT_STARTED
        )
    return started_at


def sessions(
    events: Iterable[ViewerEvent], window: Window, host: str
) -> list[tuple[str, datetime, datetime]]:
    """Each socket's stays in the room, clipped to the window: (viewer, from, to); a stay not
    closed by a leave lasts to the window's end (a node that crashed, a show still running)."""
    ordered = sorted(events, key=lambda e: (e.at, e.kind != ViewerKind.LEAVE))
    open_: dict[str, ViewerEvent] = {}
    stays: list[tuple[str, datetime, datetime]] = []
    for event in ordered:
        if event.viewer == host:
            continue
        if event.kind == ViewerKind.JOIN:
            open_.setdefault(event.session, event)
            continue
        joined = open_.pop(event.session, None)
        if joined is not None:
            stays.append((joined.viewer, joined.at, event.at))
    stays += [(e.viewer, e.at, max(e.at, window.end)) for e in open_.values()]
    inside = [(v, a, b) for v, a, b in stays if a <= window.end and b >= window.start]
    return [(v, window.clip(a), window.clip(b)) for v, a, b in inside]


def audience(stays: Sequence[tuple[str, datetime, datetime]], window: Window) -> Audience:
    per_viewer: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for viewer, start, end in stays:
        per_viewer[viewer].append((start, end))
    watched = sorted(_union_seconds(spans) for spans in per_viewer.values())
    socket_s = sum((end - start).total_seconds() for _, start, end in stays)
    return Audience(
        peak=max((count for _, count in _concurrency(stays)), default=0),
        average=round(socket_s / window.seconds, 2) if window.seconds else 0.0,
        unique=len(per_viewer),
        watch_total_s=round(sum(watched), 3),
        watch_median_s=round(_median(watched), 3),
    )


def _union_seconds(spans: list[tuple[datetime, datetime]]) -> float:
    total = 0.0
    reach: datetime | None = None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return total


def _median(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def _concurrency(stays: Sequence[tuple[str, datetime, datetime]]) -> list[tuple[datetime, int]]:
    """The number of sockets in the room after each change, in time order (leaves first at
    the same moment: a reconnect is not two viewers)."""
    changes = [(start, 1) for _, start, _ in stays] + [(end, -1) for _, _, end in stays]
    changes.sort(key=lambda change: (change[0], change[1]))
    count = 0
    timeline: list[tuple[datetime, int]] = []
    for at, step in changes:
        count += step
        timeline.append((at, count))
    return timeline


def _bucket(window: Window, at: datetime, count: int) -> int | None:
    offset = window.offset(at)
    if offset < 0 or offset > window.seconds:
        return None
    return min(int(offset // BUCKET_S), count - 1)


def _viewer_series(
    stays: Sequence[tuple[str, datetime, datetime]], window: Window, out: list[int]
) -> None:
    """Each bucket: the most sockets in the room at once during it."""
    count = 0
    timeline = _concurrency(stays)
    index = 0
    for bucket in range(len(out)):
        edge = bucket * BUCKET_S
        while index < len(timeline) and window.offset(timeline[index][0]) <= edge:
            count = timeline[index][1]
            index += 1
        peak = count
        while index < len(timeline) and window.offset(timeline[index][0]) < edge + BUCKET_S:
            count = timeline[index][1]
            peak = max(peak, count)
            index += 1
        out[bucket] = peak


def _pins(facts: ShowFacts, names: dict[int, str]) -> list[dict[str, Any]]:
    window = facts.window
    rows = []
    for pin in sorted(facts.pins, key=lambda p: (p.start, p.product_id)):
        start = window.clip(pin.start)
        end = window.clip(pin.end or window.end)
        rows.append(
            {
                "product_id": pin.product_id,
                "title": names.get(pin.product_id, ""),
                "start_s": round(window.offset(start), 3),
                "end_s": round(window.offset(end), 3),
                "duration_s": round((end - start).total_seconds(), 3),
                "open": pin.end is None,
            }
        )
    return rows


def _money(amounts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"currency": c, "minor": amounts[c]} for c in sorted(amounts)]


def _sell_through(deal: Deal, lines: Sequence[SaleLine]) -> float | None:
    """Seconds from the deal's start to the order that sold its last unit (None: not sold out)."""
    sold = 0
    for line in sorted(
        (s for s in lines if s.deal_id == deal.id), key=lambda s: (s.at, s.order_id)
    ):
        sold += line.quantity
        if sold >= deal.quantity:
            return round((line.at - deal.starts_at).total_seconds(), 3)
    return None


def _product_rows(facts: ShowFacts, pin_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[int, set[str]] = defaultdict(set)
    views: dict[int, int] = defaultdict(int)
    carts: dict[int, int] = defaultdict(int)
    for event in facts.product_events:
        if event.viewer == facts.host:
            continue
        if event.kind == ProductKind.SEEN:
            views[event.product_id] += 1
            seen[event.product_id].add(event.viewer)
        else:
            carts[event.product_id] += 1
    rows = []
    for product in sorted(facts.products, key=lambda p: p.id):
        lines = [s for s in facts.sales if s.product_id == product.id]
        orders = {s.order_id for s in lines}
        gmv: dict[str, int] = defaultdict(int)
        for line in lines:
            gmv[line.currency] += line.gmv_minor
        earned: dict[str, int] = defaultdict(int)
        for entry in facts.commissions:
            if entry.product_id == product.id:
                earned[entry.currency] += entry.minor
        viewers = len(seen[product.id])
        deals = [d for d in facts.deals if d.product_id == product.id]
        rows.append(
            {
                "product_id": product.id,
                "title": product.title,
                "seller_id": product.seller_id,
                "card_views": views[product.id],
                "card_viewers": viewers,
                "add_to_cart": carts[product.id],
                "orders": len(orders),
                "units": sum(s.quantity for s in lines),
                "gmv": _money(gmv),
                "conversion": round(len(orders) / viewers, 4) if viewers else None,
                "coupon_uses": len({s.order_id for s in lines if s.coupon}),
                "replay_orders": len({s.order_id for s in lines if s.source == Source.REPLAY}),
                "commission": _money(earned),
                "pinned_s": round(
                    sum(p["duration_s"] for p in pin_rows if p["product_id"] == product.id), 3
                ),
                "deals": [
                    {
                        "deal_id": deal.id,
                        "quantity": deal.quantity,
                        "sold": sum(s.quantity for s in lines if s.deal_id == deal.id),
                        "sell_through_s": _sell_through(deal, lines),
                    }
                    for deal in sorted(deals, key=lambda d: d.id)
                ],
            }
        )
    return rows


def _sales(facts: ShowFacts) -> dict[str, Any]:
    lines = facts.sales
    gmv: dict[str, int] = defaultdict(int)
    for line in lines:
        gmv[line.currency] += line.gmv_minor
    earned: dict[str, int] = defaultdict(int)
    for entry in facts.commissions:
        earned[entry.currency] += entry.minor
    coupons: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        if line.coupon:
            coupons[line.coupon].add(line.order_id)
    return {
        "orders": len({s.order_id for s in lines}),
        "units": sum(s.quantity for s in lines),
        "gmv": _money(gmv),
        "commission": _money(earned),
        "coupon_uses": len({s.order_id for s in lines if s.coupon}),
        "coupons": [{"code": c, "orders": len(coupons[c])} for c in sorted(coupons)],
        "replay_orders": len({s.order_id for s in lines if s.source == Source.REPLAY}),
        "replay_views": len(facts.replay_views),
    }


def _auctions(facts: ShowFacts, names: dict[int, str]) -> dict[str, Any]:
    """Auctions held, sold and not, their bids, and each one's line in the order they started."""
    window = facts.window
    held = sorted(facts.auctions, key=lambda a: (a.started_at, a.id))
    sold = [a for a in held if not a.running and a.result == SOLD]
    value: dict[str, int] = defaultdict(int)
    for auction in sold:
        value[auction.currency] += auction.price_minor or 0
    return {
        "held": len(held),
        "sold": len(sold),
        "unsold": sum(1 for a in held if not a.running and a.result != SOLD),
        "running": sum(1 for a in held if a.running),
        "bids": sum(a.bids for a in held),
        "sold_value": _money(value),
        "items": [
            {
                "auction_id": a.id,
                "product_id": a.product_id,
                "title": names.get(a.product_id, ""),
                "status": "running" if a.running else "ended",
                "result": None if a.running else a.result,
                "currency": a.currency,
                "start_minor": a.start_minor,
                "price_minor": None if a.running else a.price_minor,
                "bids": a.bids,
                "bidders": a.bidders,
                "start_s": round(window.offset(a.started_at), 3),
                "duration_s": round(max(0.0, (a.ends_at - a.started_at).total_seconds()), 3),
            }
            for a in held
        ],
    }


def _series(facts: ShowFacts, stays: Sequence[tuple[str, datetime, datetime]]) -> dict[str, Any]:
    window = facts.window
    count = bucket_count(window)
    out = _Bucketed(count)
    _viewer_series(stays, window, out.viewers)
    for line in facts.chat:
        if (at := _bucket(window, line.at, count)) is not None:
            out.chat[at] += 1
    for like in facts.likes:
        if (at := _bucket(window, like.at, count)) is not None:
            out.likes[at] += like.count
    counted: set[tuple[int, int]] = set()
    for sale in facts.sales:
        at = _bucket(window, sale.at, count)
        if at is None:
            continue
        if (sale.order_id, at) not in counted:
            counted.add((sale.order_id, at))
            out.orders[at] += 1
        out.units[at] += sale.quantity
        out.gmv.setdefault(sale.currency, [0] * count)[at] += sale.gmv_minor
    return {
        "bucket_s": BUCKET_S,
        "t": [i * BUCKET_S for i in range(count)],
        "viewers": out.viewers,
        "chat": out.chat,
        "likes": out.likes,
        "orders": out.orders,
        "units": out.units,
        "gmv": [{"currency": c, "minor": out.gmv[c]} for c in sorted(out.gmv)],
    }


def build_report(facts: ShowFacts) -> dict[str, Any]:
    """The report's figures (JSON-ready; shapes in docs/protocol.md "Show reports")."""
    window = facts.window
    stays = sessions(facts.viewer_events, window, facts.host)
    seen = audience(stays, window)
    names = {p.id: p.title for p in facts.products}
    pin_rows = _pins(facts, names)
    return {
        "duration_s": round(window.seconds, 3),
        "viewers": {
            "peak": seen.peak,
            "average": seen.average,
            "unique": seen.unique,
            "watch_time_total_s": seen.watch_total_s,
            "watch_time_median_s": seen.watch_median_s,
        },
        "chat": {
            "lines": len(facts.chat),
            "questions": sum(1 for c in facts.chat if c.question),
            "answered": sum(1 for c in facts.chat if c.question and c.answered),
        },
        "likes": sum(like.count for like in facts.likes),
        "pins": pin_rows,
        "sales": _sales(facts),
        "products": _product_rows(facts, pin_rows),
        "auctions": _auctions(facts, names),
        "series": _series(facts, stays),
    }
