"""Placing orders during a show: buy now and cart checkout, never selling what is not there.

A purchase goes through three steps:

1. A look at a copy of the show's catalogue at most SNAPSHOT_S old (line-up, variants, stock,
   running deals): what is plainly refused (not in the line-up, sold out, deal over) is answered
   without a lock or a write. The copy follows this process's own sales at once.
2. With Redis, the stock gate (server/core/stock/gate.py): one Lua script per key holds the units,
   so of a stampede only the buyers who got units go on.
3. One database transaction decides for good: a conditional UPDATE per flash deal
   (`sold + q <= quantity`, inside its time window) and per variant (`stock >= q`), the coupon,
   then the order. Row locks are always taken in the same order (deals, variants, coupon) so
   two transactions never wait on each other in a cycle.

Prices, deal and commission rate are read fresh inside the transaction: the copy only refuses.
An order starts `reserved`, holding its stock until `expires_at`; paying, cancelling, refunding
and expiry are in server/core/services/order_lifecycle.py.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.accounts import require_account
from server.core.domain.commissions import rate_for
from server.core.domain.coupons import CouponLine
from server.core.domain.deals import DealPhase, check_deal_purchase
from server.core.domain.error_codes import CatalogCode, DealCode, GeneralCode, OrderCode, StreamCode
from server.core.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    SoldOut,
    ValidationError,
)
from server.core.domain.money import Money
from server.core.domain.orders import (
    Item,
    OrderStatus,
    check_buyable,
    check_same_request,
)
from server.core.domain.payments import PaymentState
from server.core.domain.replays import OrderSource
from server.core.domain.replays import is_buyable as replay_sells
from server.core.domain.roles import Principal, Role
from server.core.domain.variants import pick_by_sku
from server.core.events import DomainEvents, PurchasePlaced
from server.core.services.coupons import CouponService
from server.core.services.deals import as_deal
from server.core.services.replays import has_replay_recording
from server.core.services.shipping import attach_shipping
from server.core.stock.gate import Hold, StockGate, deal_key, hold_id, sold_out_message, variant_key
from server.core.store.db import Database
from server.core.store.group_commit import writes_for
from server.core.store.rows import (
    FlashDeal,
    Order,
    OrderLine,
    Product,
    ProductVariant,
    Seller,
    Stream,
    StreamProduct,
    utcnow,
)

SNAPSHOT_S = 0.5
MAX_SNAPSHOTS = 1_000
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Purchase:
    order: Order
    created: bool  # False when an idempotent retry returned the earlier order
    stock: dict[int, int] = field(default_factory=dict)  # product id -> units left, after it
    deals: tuple[FlashDeal, ...] = ()  # the deals it bought from


@dataclass
class _VariantCopy:
    id: int
    sku: str
    stock: int


@dataclass
class _ShowCopy:
    """What step 1 looks at: a show's line-up as read at `taken` (monotonic seconds)."""

    taken: float
    status: str
    lineup: set[int]
    variants: dict[int, list[_VariantCopy]]  # by product id
    deals: list[FlashDeal]
    replay: bool = False  # an ended show whose replay sells (at normal prices)


@dataclass(frozen=True)
class _Chosen:
    item: Item
    variant: _VariantCopy
    deal: FlashDeal | None


class OrderService:
    def __init__(
        self,
        db: Database,
        coupons: CouponService,
        *,
        hold: timedelta = timedelta(minutes=10),
        gate: StockGate | None = None,
        clock: Clock = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        events: DomainEvents | None = None,
    ) -> None:
        self._db = db
        self._writes = writes_for(db)
        self._events = events or DomainEvents()
        self._coupons = coupons
        self.hold = hold
        self.gate = gate
        self._clock = clock
        self._monotonic = monotonic
        self._copies: dict[int, _ShowCopy] = {}
        self._reading: dict[int, asyncio.Future[_ShowCopy]] = {}
        self._keys: dict[int, set[tuple[int, str]]] = {}  # (buyer, key) of orders, per show
        self._keys_meanwhile: dict[int, set[tuple[int, str]]] = {}
        self._loading_keys: dict[int, asyncio.Future[set[tuple[int, str]]]] = {}

    # -- placing ------------------------------------------------------------------------------

    async def place(
        self,
        principal: Principal,
        stream_id: int,
        items: Sequence[Item],
        key: str,
        coupon: str | None = None,
        address_id: int | None = None,
    ) -> Purchase:
        """Order `items` in a show under the buyer's idempotency `key`: a retry of the same
        request returns the same order, whatever happened to the first one's answer.
        `address_id`: the buyer's shipping address, its shops' fees added (services/shipping.py)."""
        buyer_id = _buyer(principal)
        items = _merged(items)
        now = self._clock()
        try:
            chosen, source = await self._precheck(stream_id, items, now)
        except (SoldOut, Conflict):
            earlier = await self._retried(stream_id, buyer_id, key, items)
            if earlier is not None:
                return earlier
            raise
        # A key that got units before finds its own hold in Redis and goes on to its order, so
        # a refusal here is final without a database read: the stampede's losers cost one
        # Redis round trip (or none, once the key is known sold out). Not after Redis failed
        # here within a hold: a buyer let through then holds nothing in Redis.
        try:
            holds = await self._admit(buyer_id, key, chosen, now)
        except (SoldOut, Conflict):
            if self.gate is None or not self.gate.failed_open_within(self.hold.total_seconds()):
                raise
            earlier = await self._by_key(buyer_id, key, items)
            if earlier is None:
                raise
            return earlier
        try:
            purchase = await self._write(
                buyer_id, stream_id, chosen, key, coupon, now, source, address_id
            )
        except (IntegrityError, DomainError):
            # The same key raced in from another tab or node and its order is there now: that
            # is the answer. Holds with that order's ids are its own and stay; any other hold
            # this request took (the key reused for other goods) goes back.
            try:
                earlier = await self._by_key(buyer_id, key, items)
            finally:
                kept = await self._holds_of_key(buyer_id, key)
                await self._give_back_holds([h for h in holds if h.reservation_id not in kept])
            if earlier is None:
                raise
            return earlier
        except BaseException:
            await self._give_back_holds(holds)
            raise
        event = PurchasePlaced(purchase.order, principal.subject, purchase.stock, purchase.deals)
        await self._events.publish(event)
        return purchase

    async def _precheck(
        self, stream_id: int, items: Sequence[Item], now: datetime
    ) -> tuple[list[_Chosen], OrderSource]:
        show = await self._copy(stream_id)
        try:
            _check_open(show.status, show.replay, all(i.product_id in show.lineup for i in items))
        except DomainError:
            # The show may have gone live or changed its line-up since the copy: look again.
            show = await self._copy(stream_id, fresh=True)
            _check_open(show.status, show.replay, all(i.product_id in show.lineup for i in items))
        source = OrderSource.REPLAY if show.replay else OrderSource.LIVE
        return [self._choose(show, item, now) for item in items], source

    def _choose(self, show: _ShowCopy, item: Item, now: datetime) -> _Chosen:
        variant = pick_by_sku(show.variants.get(item.product_id, []), item.sku)
        # A replay shows the show's deals as they ran; it sells at normal prices.
        deal = None if show.replay else _deal_for(show.deals, item.product_id, variant.id, now)
        # With the gate, Redis says who is too late: it also knows whether this key already
        # holds units (a retry), which the copy cannot tell.
        if self.gate is None:
            if deal is not None and deal.quantity - deal.sold < item.quantity:
                check_deal_purchase(as_deal(deal), 0, item.quantity, now)
            if variant.stock < item.quantity:
                raise SoldOut(sold_out_message(variant.stock))
        return _Chosen(item, variant, deal)

    def refusal_from_memory(
        self, principal: Principal, stream_id: int, items: Sequence[Item], key: str
    ) -> DomainError | None:
        """The refusal `place` would answer (sold_out, deal_sold_out), when this process knows
        it without a round trip; None whenever it is unsure (then `place` decides). Never for a
        key that may have an order: its retry must get that order.

        It decides from the same show copy as `place` (`_copy`). With the gate: the copy picks
        the variants and deals, and the gate's board must know a key sold out
        (server/core/stock/gate.py). On the embedded default (no gate): the copy's stock, for a
        key this one process knows has no order."""
        try:
            buyer_id = _buyer(principal)
        except DomainError:
            return None
        show = self._copy_now(stream_id)
        if show is None or show.replay or show.status != "live":
            return None
        items = _merged(items)
        if not all(i.product_id in show.lineup for i in items):
            return None
        now = self._clock()
        try:
            chosen = [self._choose(show, item, now) for item in items]
        except (SoldOut, Conflict) as refusal:  # no gate: the copy's stock refused it
            return refusal if self._has_no_order(stream_id, buyer_id, key) else None
        except DomainError:
            return None
        if self.gate is None or self.gate.failed_open_within(self.hold.total_seconds()):
            return None  # after Redis failed, a refused key may still have an order
        return self.gate.board_refusal(_holds(buyer_id, key, chosen))

    def _copy_now(self, stream_id: int) -> _ShowCopy | None:
        """The copy `_copy` would give `place` now, without waiting: one older than SNAPSHOT_S
        serves while it is read again; None when there is none yet."""
        found = self._copies.get(stream_id)
        if found is None or self._monotonic() - found.taken >= SNAPSHOT_S:
            self._read_soon(stream_id)
        return found

    def _has_no_order(self, stream_id: int, buyer_id: int, key: str) -> bool:
        """Known from memory: the embedded default's one process has seen every order."""
        known = self._keys.get(stream_id)
        if not self._db.url.startswith("sqlite") or known is None:
            return False
        return (buyer_id, key) not in known

    async def _retried(
        self, stream_id: int, buyer_id: int, key: str, items: Sequence[Item]
    ) -> Purchase | None:
        """The earlier order of a request refused as too late, if it is a retry. The embedded
        default is one process, which has seen every order of the show: it only asks the
        database about keys it knows, so a sell-out's losers cost no query."""
        if self._db.url.startswith("sqlite"):
            if (buyer_id, key) not in await self._known_keys(stream_id):
                return None
        return await self._by_key(buyer_id, key, items)

    async def _known_keys(self, stream_id: int) -> set[tuple[int, str]]:
        known = self._keys.get(stream_id)
        if known is not None:
            return known
        loading = self._loading_keys.get(stream_id)
        if loading is None:
            self._keys_meanwhile[stream_id] = set()  # orders placed while the query runs
            loading = asyncio.ensure_future(self._keys_of(stream_id))
            self._loading_keys[stream_id] = loading
        loaded = await asyncio.shield(loading)
        if stream_id not in self._keys:
            self._keys[stream_id] = loaded | self._keys_meanwhile.pop(stream_id, set())
            self._loading_keys.pop(stream_id, None)
        return self._keys[stream_id]

    async def _keys_of(self, stream_id: int) -> set[tuple[int, str]]:
        async with self._db.reading() as session:
            rows = await session.execute(
                select(Order.buyer_id, Order.idempotency_key).where(Order.stream_id == stream_id)
            )
            return {(buyer_id, key) for buyer_id, key in rows}

    async def _admit(
        self, buyer_id: int, key: str, chosen: Sequence[_Chosen], now: datetime
    ) -> list[Hold]:
        if self.gate is None:
            return []
        return await self.gate.admit(_holds(buyer_id, key, chosen), now)

    async def _give_back_holds(self, holds: list[Hold]) -> None:
        if self.gate is not None and holds:
            await self.gate.release(holds)

    async def _write(
        self,
        buyer_id: int,
        stream_id: int,
        chosen: Sequence[_Chosen],
        key: str,
        coupon: str | None,
        now: datetime,
        source: OrderSource = OrderSource.LIVE,
        address_id: int | None = None,
    ) -> Purchase:
        async def write(session: AsyncSession) -> tuple[int, dict[int, int], list[FlashDeal]]:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            replay = source == OrderSource.REPLAY and _replay_open(stream, True)
            _check_open(stream.status, replay, True)
            deals = {} if replay else await _take_deal_units(session, buyer_id, chosen, now)
            lines = await self._take_stock(session, chosen, deals)
            order = _order(buyer_id, stream, key, lines, now + self.hold)
            order.source = source
            if coupon is not None:
                await self._discount(session, order, coupon, now)
            session.add(order)
            await session.flush()
            if address_id is not None:  # after the discount: shipping is not discounted
                await attach_shipping(session, order, address_id)
            stock = await _stock_of(session, {line.product_id for line in lines})
            return order.id, stock, list(deals.values())

        # With other buyers' writes of this moment, in one transaction (group_commit.py).
        order_id, stock, deals = await self._writes.run(write)
        _remember(chosen)
        for known in (self._keys.get(stream_id), self._keys_meanwhile.get(stream_id)):
            if known is not None:
                known.add((buyer_id, key))
        return Purchase(await self.get_by_id(order_id), True, stock, tuple(deals))

    async def _take_stock(
        self,
        session: AsyncSession,
        chosen: Sequence[_Chosen],
        deals: dict[int, FlashDeal],
    ) -> list[OrderLine]:
        lines = []
        for c in sorted(chosen, key=lambda c: c.variant.id):
            if self.gate is None and c.variant.stock < c.item.quantity:
                # Sold out while this request queued for the write: no statement needed. (With
                # the gate, Redis admitted it: its count may be newer than this copy.)
                raise SoldOut(sold_out_message(c.variant.stock))
            left = await session.scalar(
                update(ProductVariant)
                .where(ProductVariant.id == c.variant.id, ProductVariant.stock >= c.item.quantity)
                .values(stock=ProductVariant.stock - c.item.quantity)
                .returning(ProductVariant.stock)
                .execution_options(synchronize_session=False)
            )
            if left is None:
                now_there = await session.scalar(
                    select(ProductVariant.stock).where(ProductVariant.id == c.variant.id)
                )
                c.variant.stock = now_there or 0  # the copy learns it at once
                raise SoldOut(sold_out_message(now_there or 0))
            product = await session.get(Product, c.item.product_id)
            variant = await session.get(ProductVariant, c.variant.id)
            if product is None or variant is None or variant.product_id != product.id:
                raise NotFound("no such product")
            deal = deals.get(c.deal.id) if c.deal is not None else None
            lines.append(_line(product, variant, c.item.quantity, deal))
        _one_currency(lines)
        return lines

    async def _discount(
        self, session: AsyncSession, order: Order, code: str, now: datetime
    ) -> None:
        coupon_lines = [
            CouponLine(line.seller_id, Money(_gross(line), line.currency)) for line in order.lines
        ]
        coupon, discount = await self._coupons.redeem(
            session,
            code,
            buyer_id=order.buyer_id,
            stream_id=order.stream_id,
            lines=coupon_lines,
            now=now,
        )
        for line, off in zip(order.lines, discount.per_line, strict=True):
            line.discount_minor = off.amount_minor
        order.coupon_id = coupon.id
        order.discount_minor = discount.total.amount_minor
        order.total_minor = order.subtotal_minor - order.discount_minor

    async def _copy(self, stream_id: int, fresh: bool = False) -> _ShowCopy:
        """The show's copy; past SNAPSHOT_S one request reads it again while the others go on
        with the old one, so a stampede costs one read, not one per buyer."""
        found = self._copies.get(stream_id)
        if not fresh and found is not None and self._monotonic() - found.taken < SNAPSHOT_S:
            return found
        reading = self._read_soon(stream_id)
        if found is not None and not fresh:
            return found
        return await asyncio.shield(reading)

    def _read_soon(self, stream_id: int) -> asyncio.Future[_ShowCopy]:
        """The read of the show's copy under way, started if none is."""
        reading = self._reading.get(stream_id)
        if reading is None:
            reading = asyncio.ensure_future(self._read_copy(stream_id))
            self._reading[stream_id] = reading
            reading.add_done_callback(lambda done: self._read_done(stream_id, done))
        return reading

    def _read_done(self, stream_id: int, done: asyncio.Future[_ShowCopy]) -> None:
        self._reading.pop(stream_id, None)
        if not done.cancelled():
            done.exception()  # a refresh nobody waited for failed: the next request tries again

    async def _read_copy(self, stream_id: int) -> _ShowCopy:
        now = self._clock()
        async with self._db.reading() as session:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            lineup = set(
                await session.scalars(
                    select(StreamProduct.product_id).where(StreamProduct.stream_id == stream_id)
                )
            )
            rows = await session.execute(
                select(
                    ProductVariant.product_id,
                    ProductVariant.id,
                    ProductVariant.sku,
                    ProductVariant.stock,
                )
                .where(ProductVariant.product_id.in_(lineup))
                .order_by(ProductVariant.position, ProductVariant.id)
            )
            deals = list(
                await session.scalars(
                    select(FlashDeal).where(
                        FlashDeal.stream_id == stream_id, FlashDeal.ends_at > now
                    )
                )
            )
            replay = stream.status == "ended" and _replay_open(
                stream, await has_replay_recording(session, stream_id)
            )
        variants: dict[int, list[_VariantCopy]] = defaultdict(list)
        for product_id, variant_id, sku, stock in rows:
            variants[product_id].append(_VariantCopy(variant_id, sku, stock))
        if len(self._copies) >= MAX_SNAPSHOTS:
            self._copies.clear()
        copy = _ShowCopy(self._monotonic(), stream.status, lineup, dict(variants), deals, replay)
        self._copies[stream_id] = copy
        return copy

    def forget(self, stream_id: int) -> None:
        """Drop the copy of a show (its line-up, stock or deals changed here)."""
        self._copies.pop(stream_id, None)

    # -- auctions -----------------------------------------------------------------------------

    async def place_at_price(
        self, buyer_id: int, stream_id: int, variant_id: int, price_minor: int, key: str
    ) -> Purchase:
        """One unit of a variant at a price decided elsewhere (an auction's winning bid), held
        and paid like any order; a retry of `key` returns the same order."""
        async with self._db.reading() as session:
            found = await session.scalar(
                select(Order).where(Order.buyer_id == buyer_id, Order.idempotency_key == key)
            )
        if found is not None:
            return Purchase(order=found, created=False)
        now = self._clock()
        gate_key = variant_key(variant_id)
        holds = [Hold(hold_id(buyer_id, key, gate_key), gate_key, 1)]
        holds = await self.gate.admit(holds, now) if self.gate is not None else []

        async def write(session: AsyncSession) -> tuple[int, dict[int, int]]:
            stream = await session.get(Stream, stream_id)
            variant = await session.get(ProductVariant, variant_id)
            if stream is None or variant is None:
                raise NotFound("no such stream or variant")
            left = await session.scalar(
                update(ProductVariant)
                .where(ProductVariant.id == variant_id, ProductVariant.stock >= 1)
                .values(stock=ProductVariant.stock - 1)
                .returning(ProductVariant.stock)
                .execution_options(synchronize_session=False)
            )
            if left is None:
                raise SoldOut(sold_out_message(0))
            product = await session.get(Product, variant.product_id)
            assert product is not None
            line = _line(product, variant, 1, None)
            line.unit_price_minor = price_minor
            order = _order(buyer_id, stream, key, [line], now + self.hold)
            session.add(order)
            await session.flush()
            return order.id, await _stock_of(session, {product.id})

        try:
            order_id, stock = await self._writes.run(write)
        except BaseException:
            await self._give_back_holds(holds)
            raise
        self.forget(stream_id)
        purchase = Purchase(await self.get_by_id(order_id), True, stock)
        await self._events.publish(PurchasePlaced(purchase.order, f"u:{buyer_id}", stock))
        return purchase

    # -- reading ------------------------------------------------------------------------------

    async def stock_of(self, product_ids: set[int]) -> dict[int, int]:
        """Units on the shelf per product (all its variants)."""
        async with self._db.reading() as session:
            return await _stock_of(session, product_ids)

    async def _holds_of_key(self, buyer_id: int, key: str) -> set[str]:
        """The gate's hold ids of the order placed under this key, if there is one."""
        if self.gate is None:
            return set()
        async with self._db.reading() as session:
            rows = await session.execute(
                select(OrderLine.variant_id, OrderLine.deal_id)
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.buyer_id == buyer_id, Order.idempotency_key == key)
            )
            keys = [
                k
                for variant_id, deal_id in rows
                for k in (
                    variant_key(variant_id) if variant_id is not None else None,
                    deal_key(deal_id) if deal_id is not None else None,
                )
                if k is not None
            ]
        return {hold_id(buyer_id, key, k) for k in keys}

    async def _by_key(self, buyer_id: int, key: str, items: Sequence[Item]) -> Purchase | None:
        async with self._db.reading() as session:
            order = await session.scalar(
                select(Order).where(Order.buyer_id == buyer_id, Order.idempotency_key == key)
            )
            if order is None:
                return None
            check_same_request(
                [(line.product_id, line.sku, line.quantity) for line in order.lines], tuple(items)
            )
            stock = await _stock_of(session, {line.product_id for line in order.lines})
        return Purchase(order=order, created=False, stock=stock)

    async def placed_under(self, principal: Principal, stream_id: int, key: str) -> Purchase | None:
        """The order this buyer placed in this show under `key`, if any."""
        buyer_id = _buyer(principal)
        async with self._db.reading() as session:
            order = await session.scalar(
                select(Order).where(
                    Order.buyer_id == buyer_id,
                    Order.idempotency_key == key,
                    Order.stream_id == stream_id,
                )
            )
        return None if order is None else Purchase(order=order, created=False)

    async def get_by_id(self, order_id: int) -> Order:
        async with self._db.reading() as session:
            order = await session.get(Order, order_id)
        if order is None:
            raise NotFound("no such order", code=OrderCode.ORDER_NOT_FOUND)
        return order

    async def get(self, principal: Principal, order_id: int) -> Order:
        order = await self.get_by_id(order_id)
        if order.buyer_id != principal.user_id and principal.role != Role.ADMIN:
            if not await self.sells_in(principal, order):
                raise Forbidden("this is someone else's order")
        return order

    async def sells_in(self, principal: Principal, order: Order) -> bool:
        """Whether the caller is the seller of every line of the order."""
        if principal.role != Role.SELLER or principal.user_id is None:
            return False
        async with self._db.reading() as session:
            seller_id = await session.scalar(
                select(Seller.id).where(Seller.user_id == principal.user_id)
            )
        return seller_id is not None and all(line.seller_id == seller_id for line in order.lines)

    async def mine(self, principal: Principal, limit: int = 100) -> list[Order]:
        buyer_id = _buyer(principal)
        query = (
            select(Order).where(Order.buyer_id == buyer_id).order_by(Order.id.desc()).limit(limit)
        )
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def of_seller(
        self, principal: Principal, status: str | None = None, limit: int = 200
    ) -> list[Order]:
        """Orders with at least one line of the caller's shop, newest first."""
        if principal.role != Role.SELLER or principal.user_id is None:
            raise Forbidden("only sellers have a shop's orders")
        async with self._db.reading() as session:
            seller_id = await session.scalar(
                select(Seller.id).where(Seller.user_id == principal.user_id)
            )
            if seller_id is None:
                raise NotFound("open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER)
            query = (
                select(Order)
                .where(
                    Order.id.in_(select(OrderLine.order_id).where(OrderLine.seller_id == seller_id))
                )
                .order_by(Order.id.desc())
                .limit(limit)
            )
            if status is not None:
                if status not in set(OrderStatus):
                    raise ValidationError(
                        f"status must be one of {', '.join(OrderStatus)}",
                        code=GeneralCode.BAD_STATUS,
                    )
                query = query.where(Order.status == status)
            return list(await session.scalars(query))


# -- the transaction's steps ------------------------------------------------------------------


async def _take_deal_units(
    session: AsyncSession, buyer_id: int, chosen: Sequence[_Chosen], now: datetime
) -> dict[int, FlashDeal]:
    """Count the units sold at each deal's price. The UPDATE locks the deal's row, so the
    per-buyer count after it cannot race another purchase from the same deal."""
    wanted: dict[int, int] = defaultdict(int)
    products = {c.item.product_id for c in chosen}
    fresh = list(
        await session.scalars(
            select(FlashDeal)
            .where(
                FlashDeal.product_id.in_(list(products)),
                FlashDeal.starts_at <= now,
                FlashDeal.ends_at > now,
            )
            .order_by(FlashDeal.id)
        )
    )
    for c in chosen:
        deal = _deal_for(fresh, c.item.product_id, c.variant.id, now)
        if deal is not None:
            wanted[deal.id] += c.item.quantity
    taken: dict[int, FlashDeal] = {}
    for deal_id in sorted(wanted):
        quantity = wanted[deal_id]
        sold = await session.scalar(
            update(FlashDeal)
            .where(
                FlashDeal.id == deal_id,
                FlashDeal.sold + quantity <= FlashDeal.quantity,
                FlashDeal.starts_at <= now,
                FlashDeal.ends_at > now,
            )
            .values(sold=FlashDeal.sold + quantity)
            .returning(FlashDeal.sold)
            .execution_options(synchronize_session=False)
        )
        deal = await session.get(FlashDeal, deal_id, populate_existing=True)
        assert deal is not None
        bought = await _bought_at_deal(session, buyer_id, deal_id)
        if sold is None:
            check_deal_purchase(as_deal(deal), bought, quantity, now)
            raise Conflict("deal sold out", code=DealCode.DEAL_SOLD_OUT)  # what the check saw moved
        if bought + quantity > deal.per_buyer_limit:
            left = deal.per_buyer_limit - bought
            message = f"you can buy {left} more at this price" if left > 0 else "limit reached"
            raise Conflict(message, code=DealCode.DEAL_LIMIT_REACHED)
        taken[deal_id] = deal
    return taken


async def _bought_at_deal(session: AsyncSession, buyer_id: int, deal_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.deal_id == deal_id,
            Order.buyer_id == buyer_id,
            Order.status != OrderStatus.CANCELLED,
        )
    )
    return int(total or 0)


async def _stock_of(session: AsyncSession, product_ids: set[int]) -> dict[int, int]:
    rows = await session.execute(
        select(ProductVariant.product_id, func.sum(ProductVariant.stock))
        .where(ProductVariant.product_id.in_(product_ids))
        .group_by(ProductVariant.product_id)
    )
    return {product_id: int(total or 0) for product_id, total in rows}


def _remember(chosen: Sequence[_Chosen]) -> None:
    """Fold this process's own sale into the show's copy, so its next buyers see it at once."""
    for c in chosen:
        c.variant.stock -= c.item.quantity
        if c.deal is not None:
            c.deal.sold += c.item.quantity


def _line(
    product: Product, variant: ProductVariant, quantity: int, deal: FlashDeal | None
) -> OrderLine:
    if deal is not None:
        price = deal.price_minor
    elif variant.price_minor is not None:
        price = variant.price_minor
    else:
        price = product.price_minor
    return OrderLine(
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku,
        seller_id=product.seller_id,
        title=product.title,
        unit_price_minor=price,
        currency=product.currency,
        quantity=quantity,
        discount_minor=0,
        deal_id=deal.id if deal is not None else None,
        commission_bp=rate_for(product.commission_bp, product.seller.commission_bp),
    )


def _order(
    buyer_id: int, stream: Stream, key: str, lines: list[OrderLine], expires_at: datetime
) -> Order:
    subtotal = sum(_gross(line) for line in lines)
    return Order(
        buyer_id=buyer_id,
        stream_id=stream.id,
        host_id=stream.host_id,
        idempotency_key=key,
        status=OrderStatus.RESERVED,
        payment_state=PaymentState.RESERVED,
        subtotal_minor=subtotal,
        discount_minor=0,
        total_minor=subtotal,
        currency=lines[0].currency,
        expires_at=expires_at,
        lines=lines,
    )


def _gross(line: OrderLine) -> int:
    return line.unit_price_minor * line.quantity


def _one_currency(lines: Sequence[OrderLine]) -> None:
    if len({line.currency for line in lines}) > 1:
        raise Conflict(
            "one order is paid in one currency: check out each currency apart",
            code=OrderCode.MIXED_CURRENCIES,
        )


def _deal_for(
    deals: Sequence[FlashDeal], product_id: int, variant_id: int, now: datetime
) -> FlashDeal | None:
    for deal in deals:
        if deal.product_id != product_id or deal.variant_id not in (None, variant_id):
            continue
        if as_deal(deal).phase(now) in (DealPhase.ACTIVE, DealPhase.SOLD_OUT):
            return deal
    return None


def _replay_open(stream: Stream, has_recording: bool) -> bool:
    taken_down = stream.replay_taken_down_at is not None
    return replay_sells(stream.status, stream.replay, taken_down, has_recording)


def _check_open(status: str, replay: bool, in_lineup: bool) -> None:
    """Bought in a show on air, or from the replay of one that ended (when it sells)."""
    check_buyable("live" if replay else status, in_lineup)


def _merged(items: Sequence[Item]) -> list[Item]:
    """The same variant asked twice counts once, with the quantities added."""
    merged: dict[tuple[int, str | None], int] = {}
    for item in items:
        key = (item.product_id, item.sku.upper() if item.sku else None)
        merged[key] = merged.get(key, 0) + item.quantity
    return [Item(p, s, q) for (p, s), q in merged.items()]


def _holds(buyer_id: int, key: str, chosen: Sequence[_Chosen]) -> list[Hold]:
    holds = []
    for c in chosen:
        keys = [variant_key(c.variant.id)]
        if c.deal is not None:  # first: when the deal's units run out, say so
            keys.insert(0, deal_key(c.deal.id))
        holds += [Hold(hold_id(buyer_id, key, k), k, c.item.quantity) for k in keys]
    return holds


def _buyer(principal: Principal) -> int:
    return require_account(principal, "buy")


async def place_prize(
    session: AsyncSession, buyer_id: int, stream: Stream, product: Product, key: str, now: datetime
) -> Order | None:
    """A giveaway's prize: one unit of `product` for `buyer_id` at price 0, paid (nothing to
    pay; shipping is the seller's), in the caller's transaction. The unit is taken with the same
    conditional UPDATE as a sale; None when no variant has one left."""
    for variant in sorted(product.variants, key=lambda v: v.id):
        left = await session.scalar(
            update(ProductVariant)
            .where(ProductVariant.id == variant.id, ProductVariant.stock >= 1)
            .values(stock=ProductVariant.stock - 1)
            .returning(ProductVariant.stock)
            .execution_options(synchronize_session=False)
        )
        if left is None:
            continue
        line = _line(product, variant, 1, None)
        line.unit_price_minor = 0
        order = _order(buyer_id, stream, key, [line], now)
        order.status, order.payment_state = OrderStatus.PAID, PaymentState.PAID
        order.expires_at, order.paid_at = None, now
        session.add(order)
        await session.flush()
        return order
    return None


__all__ = ["OrderService", "Purchase", "place_prize"]
