"""Show reports: the audience's events collected without a database round trip each, and the
report computed from the durable record (live while the show runs, stored when it ends).

The room tells `ShowMetrics` what it sees (a socket joined or left a show's room, a card was
shown, likes were counted); those wait in memory and leave in one insert per flush (the room
flushes every 2 s, chat/show_metrics.py), so a busy room costs one transaction per flush per
node, not one per event.
Every node writes its own rows, so the database holds every node's counts. A node's last
events can arrive after the show ended: a flush that wrote rows of an ended show computes its
stored report again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import distinct, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.error_codes import StreamCode
from server.core.domain.errors import NotFound
from server.core.domain.orders import OrderStatus
from server.core.domain.recordings import EventKind
from server.core.domain.roles import Principal, Role
from server.core.domain.show_reports import (
    AuctionHeld,
    ChatLine,
    Commission,
    Deal,
    Likes,
    Pin,
    ProductEvent,
    ProductInfo,
    ProductKind,
    SaleLine,
    ShowFacts,
    Source,
    ViewerEvent,
    ViewerKind,
    Window,
    build_report,
    check_started,
    report_scope,
)
from server.core.domain.streams import StreamStatus
from server.core.events import DomainEvent, OrderChanged, PurchasePlaced, StreamStatusChanged
from server.core.store.db import Database
from server.core.store.rows import (
    Auction,
    AuctionBid,
    Base,
    ChatMessage,
    CommissionEntry,
    Coupon,
    FlashDeal,
    Order,
    OrderLine,
    Product,
    Seller,
    ShowEvent,
    ShowReport,
    Stream,
    StreamEvent,
    StreamProduct,
    as_utc,
    utcnow,
)

logger = logging.getLogger(__name__)

COUNTED = (OrderStatus.PAID, OrderStatus.FULFILLED)
SHOW_EVENTS = Base.metadata.tables[ShowEvent.__tablename__]
LIKES = "likes"
REPLAY = "replay"
STORED_RECHECK_S = 5.0
MAX_KNOWN_SHOWS = 10_000


class ShowMetrics:
    """This node's audience events not yet written: appended on the room's hot path (no I/O),
    written together by `flush`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._rows: list[dict[str, Any]] = []
        # (show, second) -> [the second's first tap, taps]: one row a second per show
        self._likes: dict[tuple[int, int], list[Any]] = {}
        self.flushes = 0  # inserts made, for tests and the benchmark

    def joined(self, stream_id: int, session: str, viewer: str) -> None:
        self._event(stream_id, ViewerKind.JOIN, viewer, session=session)

    def left(self, stream_id: int, session: str, viewer: str) -> None:
        self._event(stream_id, ViewerKind.LEAVE, viewer, session=session)

    def seen(self, stream_id: int, product_id: int, viewer: str) -> None:
        self._event(stream_id, ProductKind.SEEN, viewer, product_id=product_id)

    def replayed(self, stream_id: int, viewer: str) -> None:
        """The show's replay was opened (GET /api/streams/{id}/replay answered)."""
        self._event(stream_id, REPLAY, viewer)

    def liked(self, stream_id: int, taps: int) -> None:
        now = utcnow()
        counted = self._likes.setdefault((stream_id, int(now.timestamp())), [now, 0])
        counted[1] += taps

    @property
    def pending(self) -> int:
        return len(self._rows) + len(self._likes)

    async def flush(self) -> set[int]:
        """Write what waits, in one transaction; the shows it wrote rows of. A failed write
        keeps the rows for the next flush."""
        rows, self._rows = self._rows, []
        likes, self._likes = self._likes, {}
        rows += [
            {
                "stream_id": stream_id,
                "at": first,
                "kind": LIKES,
                "viewer": None,
                "session": None,
                "product_id": None,
                "count": taps,
            }
            for (stream_id, _), (first, taps) in likes.items()
        ]
        if not rows:
            return set()
        try:
            async with self._db.writing() as session:
                # Core's executemany: one statement for the batch, no ORM objects per row.
                await session.execute(insert(SHOW_EVENTS), rows)
        except Exception:
            logger.exception(
                "show metrics: %d events not written; kept for the next flush", len(rows)
            )
            self._rows = rows + self._rows
            return set()
        self.flushes += 1
        return {row["stream_id"] for row in rows}

    def _event(
        self,
        stream_id: int,
        kind: str,
        viewer: str,
        session: str | None = None,
        product_id: int | None = None,
    ) -> None:
        self._rows.append(
            {
                "stream_id": stream_id,
                "at": utcnow(),
                "kind": str(kind),
                "viewer": viewer[:40],
                "session": session,
                "product_id": product_id,
                "count": 1,
            }
        )


class ShowReports:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.metrics = ShowMetrics(db)
        self._writing = asyncio.Lock()  # a flush and a show's end: one at a time
        self._stored: dict[int, tuple[bool, float]] = {}  # show -> (stored report?, when known)

    async def report(self, principal: Principal, stream_id: int) -> dict[str, Any]:
        """The report as `principal` may read it: the whole show for its host and staff, a
        seller's own products' lines for a seller with products in it."""
        stream = await self._stream(stream_id)
        seller_id, products = await self._seller_products(principal, stream_id)
        scope = report_scope(principal, stream.host_id, seller_id, bool(products))
        if scope == "all":
            async with self._db.reading() as session:
                stored = await session.get(ShowReport, stream_id)
            if stored is not None:
                return dict(json.loads(stored.body))
            return await self._compute(stream, None)
        return await self._compute(stream, products)

    async def finish(self, stream_id: int) -> dict[str, Any]:
        """Compute the ended show's report from every node's rows and store it."""
        stream = await self._stream(stream_id)
        report = await self._compute(stream, None)
        async with self._db.writing() as session:
            row = await session.get(ShowReport, stream_id)
            body = json.dumps(report, separators=(",", ":"))
            if row is None:
                session.add(ShowReport(stream_id=stream_id, computed_at=utcnow(), body=body))
            else:
                row.computed_at, row.body = utcnow(), body
        return report

    async def flush(self) -> None:
        """Write this node's waiting events; the stored report of an ended show they belong
        to is computed again with them."""
        async with self._writing:
            written = await self.metrics.flush()
            if written:
                await self._refresh_ended(written)

    async def _refresh_ended(self, written: set[int]) -> None:
        async with self._db.reading() as session:
            ended = list(
                await session.scalars(
                    select(ShowReport.stream_id).where(ShowReport.stream_id.in_(written))
                )
            )
        for stream_id in ended:
            await self.finish(stream_id)

    async def on_event(self, event: DomainEvent) -> None:
        """Listener on the services' events: a show that ended gets its report stored, and
        an order of an ended show (bought from its replay, paid, refunded) updates it."""
        if isinstance(event, StreamStatusChanged) and event.status == StreamStatus.ENDED:
            if (await self._stream(event.stream_id)).started_at is None:
                return  # ended before it ever went live: there is nothing to report
            async with self._writing:
                await self.metrics.flush()
                await self.finish(event.stream_id)
                self._stored[event.stream_id] = (True, time.monotonic())
        elif isinstance(event, PurchasePlaced | OrderChanged) and event.order.stream_id:
            if await self._has_stored(event.order.stream_id):
                async with self._writing:
                    await self.finish(event.order.stream_id)

    async def _has_stored(self, stream_id: int) -> bool:
        """Whether the show has a stored report; a show without one is asked again after
        STORED_RECHECK_S (a live show's purchases cost one read per show that often)."""
        known = self._stored.get(stream_id)
        if known is not None and (known[0] or time.monotonic() - known[1] < STORED_RECHECK_S):
            return known[0]
        async with self._db.reading() as session:
            stored = await session.get(ShowReport, stream_id) is not None
        if len(self._stored) > MAX_KNOWN_SHOWS:
            self._stored.clear()
        self._stored[stream_id] = (stored, time.monotonic())
        return stored

    async def _stream(self, stream_id: int) -> Stream:
        async with self._db.reading() as session:
            stream = await session.get(Stream, stream_id)
        if stream is None:
            raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
        return stream

    async def _seller_products(
        self, principal: Principal, stream_id: int
    ) -> tuple[int | None, set[int]]:
        """A seller's shop and their products in the show (its line-up or its orders)."""
        if principal.role != Role.SELLER or principal.user_id is None:
            return None, set()
        async with self._db.reading() as session:
            seller_id = await session.scalar(
                select(Seller.id).where(Seller.user_id == principal.user_id)
            )
            if seller_id is None:
                return None, set()
            in_lineup = await session.scalars(
                select(StreamProduct.product_id)
                .join(Product, Product.id == StreamProduct.product_id)
                .where(StreamProduct.stream_id == stream_id, Product.seller_id == seller_id)
            )
            sold = await session.scalars(
                select(OrderLine.product_id)
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.stream_id == stream_id, OrderLine.seller_id == seller_id)
            )
            return seller_id, set(in_lineup) | set(sold)

    async def _compute(self, stream: Stream, scope: set[int] | None) -> dict[str, Any]:
        started = as_utc(check_started(stream.started_at))
        ended = as_utc(stream.ended_at) if stream.ended_at else utcnow()
        facts = await self._facts(stream, Window(started, max(started, ended)))
        report = build_report(facts.scoped(scope))
        head = {
            "stream_id": stream.id,
            "title": stream.title,
            "host_id": stream.host_id,
            "status": stream.status,
            "started_at": _iso(started),
            "ended_at": _iso(as_utc(stream.ended_at)) if stream.ended_at else None,
            "final": stream.status == StreamStatus.ENDED,
            "computed_at": _iso(utcnow()),
            "scope": "all" if scope is None else "seller",
        }
        return head | report

    async def _facts(self, stream: Stream, window: Window) -> ShowFacts:
        sid = stream.id
        async with self._db.reading() as session:
            events = list(
                await session.scalars(select(ShowEvent).where(ShowEvent.stream_id == sid))
            )
            chat = (
                await session.execute(
                    select(
                        ChatMessage.created_at, ChatMessage.question, ChatMessage.answered_at
                    ).where(ChatMessage.stream_id == sid, ChatMessage.shadowed.is_(False))
                )
            ).all()
            marks = list(
                await session.scalars(
                    select(StreamEvent)
                    .where(StreamEvent.stream_id == sid)
                    .order_by(StreamEvent.at, StreamEvent.id)
                )
            )
            source = getattr(Order, "source", None)
            columns: list[Any] = [OrderLine, Order.created_at, Coupon.code]
            if source is not None:
                columns.append(source)
            sold = (
                await session.execute(
                    select(*columns)
                    .join(Order, Order.id == OrderLine.order_id)
                    .outerjoin(Coupon, Coupon.id == Order.coupon_id)
                    .where(Order.stream_id == sid, Order.status.in_([str(s) for s in COUNTED]))
                )
            ).all()
            deals = list(await session.scalars(select(FlashDeal).where(FlashDeal.stream_id == sid)))
            earned = (
                await session.execute(
                    select(CommissionEntry, OrderLine.product_id)
                    .join(OrderLine, OrderLine.id == CommissionEntry.order_line_id)
                    .where(CommissionEntry.stream_id == sid)
                )
            ).all()
            lineup = set(
                await session.scalars(
                    select(StreamProduct.product_id).where(StreamProduct.stream_id == sid)
                )
            )
            auctions = await _auctions(session, sid)
            ids = (
                lineup
                | {row[0].product_id for row in sold}
                | {m.product_id for m in marks if m.product_id}
                | {a.product_id for a in auctions}
            )
            products = list(await session.scalars(select(Product).where(Product.id.in_(ids))))
        viewer_events, product_events, likes, replays = _audience_rows(events)
        return ShowFacts(
            window=window,
            host=f"u:{stream.host_id}",
            products=[ProductInfo(p.id, p.title, p.seller_id) for p in products],
            viewer_events=viewer_events,
            product_events=product_events,
            likes=likes,
            chat=[ChatLine(as_utc(at), bool(q), answered is not None) for at, q, answered in chat],
            pins=_pins(marks),
            sales=[_sale(row) for row in sold],
            deals=[Deal(d.id, d.product_id, as_utc(d.starts_at), d.quantity) for d in deals],
            commissions=_commissions(earned),
            replay_views=replays,
            auctions=auctions,
        )


async def _auctions(session: AsyncSession, stream_id: int) -> list[AuctionHeld]:
    """The show's auctions, with their accepted bids and bidders counted from the bid log."""
    rows = list(await session.scalars(select(Auction).where(Auction.stream_id == stream_id)))
    if not rows:
        return []
    counts = {
        auction_id: (bids, bidders)
        for auction_id, bids, bidders in await session.execute(
            select(
                AuctionBid.auction_id,
                func.count(),
                func.count(distinct(AuctionBid.bidder_id)),
            )
            .where(AuctionBid.auction_id.in_([r.id for r in rows]), AuctionBid.code.is_(None))
            .group_by(AuctionBid.auction_id)
        )
    }
    return [
        AuctionHeld(
            id=r.id,
            product_id=r.product_id,
            currency=r.currency,
            start_minor=r.start_minor,
            started_at=as_utc(r.started_at),
            ends_at=as_utc(r.ends_at),
            running=r.status == "running",
            result=r.result,
            price_minor=r.price_minor,
            # the settled count, else the log's (written in batches while it runs)
            bids=r.bids if r.status != "running" else counts.get(r.id, (0, 0))[0],
            bidders=counts.get(r.id, (0, 0))[1],
        )
        for r in rows
    ]


def _audience_rows(
    events: list[ShowEvent],
) -> tuple[list[ViewerEvent], list[ProductEvent], list[Likes], list[ViewerEvent]]:
    replays: list[ViewerEvent] = []
    viewers: list[ViewerEvent] = []
    products: list[ProductEvent] = []
    likes: list[Likes] = []
    for row in events:
        at = as_utc(row.at)
        if row.kind in (ViewerKind.JOIN, ViewerKind.LEAVE):
            viewers.append(
                ViewerEvent(at, ViewerKind(row.kind), row.session or "", row.viewer or "")
            )
        elif row.kind in (ProductKind.SEEN, ProductKind.CART) and row.product_id is not None:
            products.append(
                ProductEvent(at, ProductKind(row.kind), row.product_id, row.viewer or "")
            )
        elif row.kind == LIKES:
            likes.append(Likes(at, row.count))
        elif row.kind == REPLAY:
            replays.append(ViewerEvent(at, ViewerKind.JOIN, "", row.viewer or ""))
    return viewers, products, likes, replays


def _pins(marks: list[StreamEvent]) -> list[Pin]:
    """Each pin's span from the show's timeline: pinned, then unpinned (or still pinned)."""
    open_: dict[int, datetime] = {}
    pins: list[Pin] = []
    for mark in marks:
        if mark.product_id is None:
            continue
        if mark.kind == EventKind.PINNED:
            open_.setdefault(mark.product_id, as_utc(mark.at))
        elif mark.kind == EventKind.UNPINNED and mark.product_id in open_:
            pins.append(Pin(mark.product_id, open_.pop(mark.product_id), as_utc(mark.at)))
    pins += [Pin(product_id, start, None) for product_id, start in open_.items()]
    return pins


def _sale(row: Any) -> SaleLine:
    line: OrderLine = row[0]
    source = row[3] if len(row) > 3 else Source.LIVE
    return SaleLine(
        order_id=line.order_id,
        at=as_utc(row[1]),
        product_id=line.product_id,
        quantity=line.quantity,
        gmv_minor=line.unit_price_minor * line.quantity - line.discount_minor,
        currency=line.currency,
        coupon=row[2],
        deal_id=line.deal_id,
        source=Source.REPLAY if source == Source.REPLAY else Source.LIVE,
    )


def _commissions(rows: Any) -> list[Commission]:
    out = []
    for entry, product_id in rows:
        sign = -1 if entry.kind == "reversal" else 1
        out.append(Commission(product_id, entry.currency, sign * entry.commission_minor))
    return out


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def added_to_cart(stream_id: int, product_id: int, viewer: str) -> ShowEvent:
    """The row of a product put in a cart, for the cart's own transaction to add."""
    return ShowEvent(
        stream_id=stream_id,
        at=utcnow(),
        kind=str(ProductKind.CART),
        viewer=viewer[:40],
        product_id=product_id,
        count=1,
    )
