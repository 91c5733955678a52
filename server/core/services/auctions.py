"""Auctions of a show: started by its host or staff, bid on by signed-in buyers, settled once.

The bids are decided in the auction book (server/core/stock/auction_book*.py: in process, or
one Redis Lua script per bid shared by every node), on the book's clock. Every bid it decides,
accepted or refused, is written to `auction_bids` with its time and sequence number: in
batches every `log_period_s` (a bidding storm costs one insert per batch, not one per bid), and
always before the auction is settled.

When the book says an auction is over, the first node to `close` it settles it: the result
(server/core/domain/auctions.py `outcome`) is written, and a sale becomes the winner's order at
the winning price (reserved with the normal hold, paid and commissioned like any sale). If that
order is cancelled unpaid (it expired), the auction offers the item to the next bidder at their
maximum (a second chance) or ends unsold, as the host chose; each offer is an order of its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.accounts import require_account
from server.core.domain.auctions import (
    REFUSALS,
    AuctionState,
    AuctionTerms,
    Band,
    Bid,
    BidKind,
    Result,
    Unpaid,
    check_bidder,
    opening,
    outcome,
    replay,
    second_chance,
)
from server.core.domain.error_codes import AuctionCode, StreamCode
from server.core.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from server.core.domain.orders import OrderStatus
from server.core.domain.roles import Principal, Role, can_pin
from server.core.domain.streams import StreamStatus
from server.core.domain.variants import pick_by_sku
from server.core.events import (
    AuctionChange,
    AuctionChanged,
    DomainEvent,
    DomainEvents,
    OrderChanged,
)
from server.core.services.orders import OrderService
from server.core.stock.auction_book import AuctionBook, BidRequest, Decided
from server.core.store.db import Database
from server.core.store.rows import (
    Auction,
    AuctionBid,
    Product,
    Seller,
    Stream,
    StreamProduct,
    User,
    as_utc,
)

logger = logging.getLogger(__name__)

LOG_BATCH = 2_000  # bids written in one insert at most
RUNNING_REFRESH_S = 1.0  # how often a node looks for auctions started elsewhere
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AuctionSpec:
    """An auction as asked (server/contract/auctions.py checked its fields)."""

    product_id: int
    terms: AuctionTerms
    sku: str | None = None


@dataclass(frozen=True)
class BidAnswer:
    auction: Auction
    decided: Decided
    leader_name: str | None


@dataclass
class _Known:
    """What a node keeps of an auction it takes bids for."""

    row: Auction
    terms: AuctionTerms
    seller_user_id: int | None
    host_id: int
    stream: Stream | None  # as read then: its id, host and language do not change


def terms_of(row: Auction) -> AuctionTerms:
    return AuctionTerms(
        start_minor=row.start_minor,
        ladder=tuple(Band(a, b) for a, b in json.loads(row.ladder)),
        duration_s=row.duration_s,
        anti_snipe_s=row.anti_snipe_s,
        sudden_death=row.sudden_death,
        reserve_minor=row.reserve_minor,
        buy_now_minor=row.buy_now_minor,
        unpaid=Unpaid(row.unpaid),
    )


def bid_of(row: AuctionBid) -> Bid:
    return Bid(row.bidder_id, row.amount_minor, _ms(row.at), BidKind(row.kind), row.max_minor)


class AuctionService:
    def __init__(
        self,
        db: Database,
        book: AuctionBook,
        orders: OrderService,
        events: DomainEvents,
        *,
        log_period_s: float = 0.1,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self._db = db
        self.book = book
        self._orders = orders
        self._events = events
        self._log_period_s = log_period_s
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._known: dict[int, _Known] = {}
        self._reading_known: dict[int, asyncio.Lock] = {}
        self._names: dict[int, str] = {}
        self._log: list[dict] = []
        self._writing = asyncio.Lock()
        self._running_ids: set[int] = set()
        self._running_read = 0.0

    # -- starting and stopping ---------------------------------------------------------------

    async def start(
        self, principal: Principal | None, stream_id: int, spec: AuctionSpec
    ) -> Auction:
        """Start an auction in a show. `principal` None: the caller checked who may (the live
        room's permission matrix); else its host, moderators and admins."""
        now_ms = self._clock_ms()
        terms = spec.terms
        async with self._db.writing() as session:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            if principal is not None and not can_pin(principal, stream.host_id):
                raise Forbidden("only the host and moderators can start auctions")
            if stream.status == StreamStatus.ENDED:
                raise Conflict("the show has ended", code=StreamCode.STREAM_ENDED)
            if await session.get(StreamProduct, (stream_id, spec.product_id)) is None:
                raise ValidationError(
                    "this product is not in the show's line-up", code=StreamCode.NOT_IN_LINEUP
                )
            product = await session.get(Product, spec.product_id)
            if product is None:
                raise NotFound("no such product")
            variant = pick_by_sku(product.variants, spec.sku)
            running = await session.scalar(
                select(Auction.id).where(
                    Auction.stream_id == stream_id, Auction.status == "running"
                )
            )
            if running is not None:
                raise Conflict(
                    "an auction is running in this show: end it first",
                    code=AuctionCode.AUCTION_RUNNING,
                )
            started = opening(terms, now_ms)
            row = Auction(
                stream_id=stream_id,
                product_id=product.id,
                variant_id=variant.id,
                currency=product.currency,
                start_minor=terms.start_minor,
                ladder=json.dumps([[b.from_minor, b.increment_minor] for b in terms.ladder]),
                duration_s=terms.duration_s,
                anti_snipe_s=terms.anti_snipe_s,
                sudden_death=terms.sudden_death,
                reserve_minor=terms.reserve_minor,
                buy_now_minor=terms.buy_now_minor,
                unpaid=terms.unpaid.value,
                status="running",
                started_by=principal.user_id if principal is not None else None,
                started_at=_at(now_ms),
                ends_at=_at(started.ends_at_ms),
                bids=0,
                offered="[]",
            )
            session.add(row)
            await session.flush()
        await self.book.open(row.id, terms, started)
        self._running_ids.add(row.id)
        await self._events.publish(AuctionChanged(row, started, None, AuctionChange.STARTED))
        return row

    async def stop(self, principal: Principal | None, auction_id: int) -> Auction:
        """End a running auction now: what stands is the result (settled at once)."""
        known = await self._know(auction_id)
        if principal is not None:
            await self.authorize_staff(principal, known.row.stream_id)
        if known.row.status == "running":
            await self.book.stop(auction_id)
            await self.settle(auction_id)
        return await self.get(auction_id)

    async def authorize_staff(self, principal: Principal, stream_id: int) -> Stream:
        async with self._db.reading() as session:
            stream = await session.get(Stream, stream_id)
        if stream is None:
            raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
        if not can_pin(principal, stream.host_id):
            raise Forbidden("only the host and moderators run auctions")
        return stream

    # -- bidding ------------------------------------------------------------------------------

    async def bid(self, principal: Principal, auction_id: int, request: BidRequest) -> BidAnswer:
        """Decide one bid (`request.bidder` is replaced by the principal's account). A refusal
        is logged like an acceptance, then raised as a Conflict with the rule's code."""
        bidder = require_account(principal, "bid")
        known = await self._know(auction_id)
        if known.row.status != "running":
            raise Conflict("the auction has ended", code=AuctionCode.AUCTION_ENDED)
        check_bidder(bidder, known.host_id, known.seller_user_id)
        self._names.setdefault(bidder, principal.display_name)
        asked = BidRequest(
            bidder, request.amount_minor, request.key, request.kind, request.max_minor
        )
        decided = await self.book.bid(auction_id, asked)
        decision = decided.decision
        if not decided.replayed:
            self._remember(auction_id, decided)
        leader = decision.state.leader
        name = await self._name(leader) if leader is not None else None
        if decision.accepted and not decided.replayed:
            event = AuctionChanged(known.row, decision.state, name, AuctionChange.BID)
            await self._events.publish(event)
            if decision.state.ended:  # bought now: settle at once
                await self.settle(auction_id)
        if not decision.accepted:
            code = decision.code or AuctionCode.AUCTION_ENDED
            raise Conflict(REFUSALS.get(code, str(code)), code=code)
        return BidAnswer(known.row, decided, name)

    async def show_of(self, auction_id: int) -> Stream:
        """The show an auction is in, as this node read it once (its id, host and language,
        which never change): a bid asks it without a database read."""
        stream = (await self._know(auction_id)).stream
        if stream is None:
            raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
        return stream

    async def remove_bidder(
        self, principal: Principal | None, auction_id: int, bidder: int
    ) -> None:
        """A moderator stops a bidder's further bids in this auction (what they bid stands)."""
        known = await self._know(auction_id)
        if principal is not None:
            await self.authorize_staff(principal, known.row.stream_id)
        await self.book.remove_bidder(auction_id, bidder)

    def _remember(self, auction_id: int, decided: Decided) -> None:
        bid, state = decided.bid, decided.decision.state
        self._log.append(
            {
                "auction_id": auction_id,
                "seq": decided.seq,
                "bidder_id": bid.bidder,
                "kind": bid.kind.value,
                "amount_minor": bid.amount_minor,
                "max_minor": bid.max_minor,
                "at": _at(bid.at_ms),
                "code": None if decided.decision.code is None else str(decided.decision.code),
                "price_minor": state.price_minor,
                "leader_id": state.leader,
            }
        )

    async def flush_log(self) -> None:
        """Write the bids decided here so far (a failed insert is kept for the next try)."""
        async with self._writing:
            while self._log:
                batch, self._log = self._log[:LOG_BATCH], self._log[LOG_BATCH:]
                try:
                    async with self._db.writing() as session:
                        await session.execute(insert(AuctionBid), batch)
                except Exception:
                    self._log[:0] = batch
                    raise

    # -- reading ------------------------------------------------------------------------------

    async def get(self, auction_id: int) -> Auction:
        async with self._db.reading() as session:
            row = await session.get(Auction, auction_id)
        if row is None:
            raise NotFound("no such auction", code=AuctionCode.AUCTION_NOT_FOUND)
        return row

    async def live_state(self, row: Auction) -> tuple[AuctionState, str | None]:
        """The running auction's state as its book has it (an ended one's, from its row)."""
        state = await self.book.state(row.id) if row.status == "running" else None
        if state is None:
            state = AuctionState(
                row.price_minor if row.price_minor is not None else row.start_minor,
                _ms(row.ends_at),
                row.winner_id,
                0,
                row.bids,
                row.status != "running",
            )
        name = await self._name(state.leader) if state.leader is not None else None
        return state, name

    async def of_stream(self, stream_id: int, limit: int = 20) -> list[Auction]:
        query = (
            select(Auction)
            .where(Auction.stream_id == stream_id)
            .order_by(Auction.id.desc())
            .limit(limit)
        )
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def history(
        self, principal: Principal | None, auction_id: int, limit: int = 500
    ) -> list[AuctionBid]:
        """The latest bids decided (up to `limit`, in order), for the show's staff and the
        product's seller (disputes). `principal` None: the caller checked who may."""
        row = await self.get(auction_id)
        async with self._db.reading() as session:
            stream = await session.get(Stream, row.stream_id)
            seller_user = await _seller_user(session, row.product_id)
        if principal is not None and not _may_read_bids(principal, stream, seller_user):
            raise Forbidden("the bid history is for the show's staff and the seller")
        await self.flush_log()
        return (await self._bids(auction_id, limit))[::-1]

    async def replayed(self, auction_id: int) -> AuctionState:
        """The state the persisted bid log leads to through the domain rules (audits, tests)."""
        row = await self.get(auction_id)
        terms = terms_of(row)
        logged = [b for b in await self._bids(auction_id) if b.code != AuctionCode.BIDDER_REMOVED]
        return replay(terms, opening(terms, _ms(row.started_at)), [bid_of(b) for b in logged])

    async def _bids(self, auction_id: int, limit: int | None = None) -> list[AuctionBid]:
        """In the order decided; with `limit`, the latest `limit` of them, newest first."""
        query = select(AuctionBid).where(AuctionBid.auction_id == auction_id)
        if limit is None:
            query = query.order_by(AuctionBid.seq)
        else:
            query = query.order_by(AuctionBid.seq.desc()).limit(limit)
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    # -- settling -----------------------------------------------------------------------------

    async def run(self, period_s: float = 0.1) -> None:
        """Write the bid log and settle the auctions that are over, every `period_s`."""
        try:
            while True:
                await asyncio.sleep(period_s)
                try:
                    await self.tick()
                except Exception:
                    logger.exception("auction upkeep failed")
        except asyncio.CancelledError:
            try:  # the bids decided here since the last tick, before the node stops
                await self.flush_log()
            except Exception:
                logger.exception("writing the last auction bids failed")
            raise

    async def tick(self) -> None:
        await self.flush_log()
        for auction_id in await self._running():
            if await self.book.state(auction_id) is None:
                await self._rebuild(auction_id)
            await self.settle(auction_id)

    async def settle(self, auction_id: int) -> None:
        """Settle an auction the book says is over, if this call is the first to close it."""
        state = await self.book.close(auction_id)
        if state is None:
            return
        await self.flush_log()
        known = await self._know(auction_id)
        done = outcome(known.terms, state)
        async with self._db.writing() as session:
            await session.execute(
                update(Auction)
                .where(Auction.id == auction_id)
                .values(
                    status="ended",
                    result=done.result.value,
                    price_minor=done.price_minor,
                    winner_id=done.winner,
                    bids=state.bids,
                    ends_at=_at(state.ends_at_ms),
                    offered=json.dumps([done.winner] if done.winner is not None else []),
                )
            )
        self._running_ids.discard(auction_id)
        if done.result == Result.SOLD and done.winner is not None:
            await self._offer(auction_id, done.winner, done.price_minor)
        row = await self.get(auction_id)
        self._known[auction_id].row = row
        name = await self._name(state.leader) if state.leader is not None else None
        await self._events.publish(AuctionChanged(row, state, name, AuctionChange.ENDED))

    async def _offer(self, auction_id: int, buyer: int, price_minor: int) -> None:
        row = (await self._know(auction_id)).row
        try:
            purchase = await self._orders.place_at_price(
                buyer, row.stream_id, row.variant_id, price_minor, f"auction-{auction_id}-{buyer}"
            )
        except DomainError as exc:  # sold out meanwhile: the auction ends unsold
            logger.warning("auction %s: no order for %s: %s", auction_id, buyer, exc.message)
            await self._set(auction_id, result="unsold", order_id=None)
            return
        await self._set(
            auction_id, order_id=purchase.order.id, winner_id=buyer, price_minor=price_minor
        )

    async def on_event(self, event: DomainEvent) -> None:
        """An auction's order cancelled unpaid (expired): the next bidder, or unsold."""
        if not isinstance(event, OrderChanged) or event.order.status != OrderStatus.CANCELLED:
            return
        async with self._db.reading() as session:
            row = await session.scalar(select(Auction).where(Auction.order_id == event.order.id))
        if row is None or row.result != Result.SOLD:
            return
        offered = json.loads(row.offered)
        terms = terms_of(row)
        accepted = [bid_of(b) for b in await self._bids(row.id) if b.code is None]
        offer = (
            second_chance(terms, accepted, offered)
            if terms.unpaid == Unpaid.SECOND_CHANCE
            else None
        )
        if offer is None:
            await self._set(row.id, result="unsold", order_id=None)
        else:
            await self._set(row.id, offered=json.dumps([*offered, offer.bidder]))
            await self._offer(row.id, offer.bidder, offer.price_minor)
        fresh = await self.get(row.id)
        state, name = await self.live_state(fresh)
        await self._events.publish(AuctionChanged(fresh, state, name, AuctionChange.OFFERED))

    async def _set(self, auction_id: int, **values: object) -> None:
        async with self._db.writing() as session:
            await session.execute(update(Auction).where(Auction.id == auction_id).values(**values))

    async def _rebuild(self, auction_id: int) -> None:
        """The book lost a running auction (a restart of the embedded default, Redis flushed):
        its state again from the persisted log."""
        known = await self._know(auction_id)
        state = await self.replayed(auction_id)
        await self.book.open(auction_id, known.terms, state)
        logger.warning("auction %s rebuilt from its bid log", auction_id)

    async def _running(self) -> Sequence[int]:
        now = time.monotonic()
        if now - self._running_read >= RUNNING_REFRESH_S:
            self._running_read = now
            async with self._db.reading() as session:
                found = await session.scalars(select(Auction.id).where(Auction.status == "running"))
                self._running_ids = set(found)
        return sorted(self._running_ids)

    async def _know(self, auction_id: int) -> _Known:
        """The auction as this node keeps it: read once (its bids are the book's to decide;
        its row is read again when it is settled here). The first bids of a storm all miss
        at once: one reads, the others wait for it."""
        known = self._known.get(auction_id)
        if known is not None:
            return known
        async with self._reading_known.setdefault(auction_id, asyncio.Lock()):
            known = self._known.get(auction_id)
            if known is None:
                known = await self._read_known(auction_id)
        self._reading_known.pop(auction_id, None)
        return known

    async def _read_known(self, auction_id: int) -> _Known:
        async with self._db.reading() as session:
            row = await session.get(Auction, auction_id)
            if row is None:
                raise NotFound("no such auction", code=AuctionCode.AUCTION_NOT_FOUND)
            stream = await session.get(Stream, row.stream_id)
            seller_user = await _seller_user(session, row.product_id)
        host_id = stream.host_id if stream is not None else -1
        known = _Known(row, terms_of(row), seller_user, host_id, stream)
        self._known[auction_id] = known
        return known

    async def _name(self, user_id: int) -> str:
        name = self._names.get(user_id)
        if name is None:
            async with self._db.reading() as session:
                name = await session.scalar(select(User.display_name).where(User.id == user_id))
            name = name or ""
            self._names[user_id] = name
        return name


def _may_read_bids(principal: Principal, stream: Stream | None, seller_user: int | None) -> bool:
    if principal.role == Role.ADMIN or principal.user_id == seller_user:
        return True
    return stream is not None and can_pin(principal, stream.host_id)


async def _seller_user(session: AsyncSession, product_id: int) -> int | None:
    query = (
        select(Seller.user_id)
        .join(Product, Product.seller_id == Seller.id)
        .where(Product.id == product_id)
    )
    return await session.scalar(query)


def _at(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def _ms(moment: datetime) -> int:
    return (as_utc(moment) - EPOCH) // timedelta(milliseconds=1)
