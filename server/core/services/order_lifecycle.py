"""An order after it is placed: paid through the gateway, cancelled, expired, refunded, fulfilled.

Every change of state is one transaction that locks the order's row, checks the move against
server/core/domain/payments.py and applies its effect on stock in the same commit:

    release  (cancelled, failed, expired)  deal units, shelf stock and the coupon use go back
    confirm  (paid)                         the sale enters the commission ledger
    refund   (refunded)                     shelf stock goes back; the ledger is reversed

Redis's gate follows after the commit (it only admits; the database is the record).
Calls to the gateway happen outside any transaction, each with an idempotency key derived from
the order, so a retry after a lost answer or a crash has the outcome of the first call:

- declined (or the buyer's 3-D Secure step failed): the order fails and its stock goes back;
- requires action: the order is `requires_action`, its stock held; the pay answer carries the
  provider's next step for the page, and the order continues when pay is called again or the
  provider's `authorized` webhook arrives (then it is captured here); abandoned, it expires;
- timeout or error: the order stays as it was; paying again retries with the same key, and the
  gateway's webhook settles it if the buyer does not;
- capture refused: the order stays authorized (stock held) until paid or expired;
- the order expired while the gateway was answering: the authorization is voided, or a capture
  that went through is refunded; the buyer is never charged for an order that was cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.accounts import require_account
from server.core.domain.error_codes import OrderCode, StockCode
from server.core.domain.errors import Conflict, Forbidden, NotFound
from server.core.domain.money import Money
from server.core.domain.orders import OrderStatus
from server.core.domain.payments import (
    ORDER_STATUS,
    Authorization,
    GatewayError,
    GatewayTimeout,
    PaymentAction,
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentMethodRequired,
    PaymentState,
    StockEffect,
    after_event,
    check_event_amount,
    move,
)
from server.core.domain.roles import Principal, Role
from server.core.events import DomainEvents, OrderChanged
from server.core.services.coupons import CouponService
from server.core.services.ledger import Ledger
from server.core.services.orders import Clock, OrderService
from server.core.stock.gate import Hold, deal_key, hold_id, variant_key
from server.core.store.db import Database
from server.core.store.rows import FlashDeal, Order, PaymentEvent, ProductVariant, as_utc, utcnow

logger = logging.getLogger(__name__)
T = TypeVar("T")

CAPTURE_GRACE = timedelta(minutes=2)  # an authorized order gets this long past its hold
EXPIRE_BATCH = 200
_HOLDING = (PaymentState.RESERVED, PaymentState.REQUIRES_ACTION, PaymentState.AUTHORIZED)
_UNAUTHORIZED = (PaymentState.RESERVED, PaymentState.REQUIRES_ACTION)
_RETURNS_STOCK = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class Payment:
    """A pay call's answer: the order, and the provider's step for the page if one waits."""

    order: Order
    action: PaymentAction | None = None


@dataclass(frozen=True)
class Change:
    """An order after a transition, and whether this call made it (False: it was already)."""

    order: Order
    changed: bool


class OrderLifecycle:
    def __init__(
        self,
        db: Database,
        orders: OrderService,
        coupons: CouponService,
        ledger: Ledger,
        gateway: PaymentGateway,
        *,
        gateway_timeout_s: float = 15.0,
        clock: Clock = utcnow,
        events: DomainEvents | None = None,
    ) -> None:
        self._db = db
        self._orders = orders
        self._coupons = coupons
        self._ledger = ledger
        self.gateway = gateway
        self._timeout = gateway_timeout_s
        self._clock = clock
        self._events = events or DomainEvents()  # told of every change (the room's stock)

    # -- the buyer ----------------------------------------------------------------------------

    async def pay(self, principal: Principal, order_id: int) -> Order:
        """Authorize and capture the order's total. Paying a paid order returns it. This is
        the `pay: true` of placing an order: with a provider that takes the buyer's card only
        from its script on the page (Stripe), the order is returned unpaid, for the page to
        pay with `pay_with`."""
        try:
            return (await self.pay_with(principal, order_id)).order
        except PaymentMethodRequired:
            return await self._orders.get_by_id(order_id)

    async def pay_with(
        self, principal: Principal, order_id: int, payment_method: str | None = None
    ) -> Payment:
        """`pay`, with the provider's token the page collected (`payment_method`); the answer
        carries the provider's next step when the buyer has one to do (3-D Secure)."""
        order = await self._own(principal, order_id)
        state = PaymentState(order.payment_state)
        if state in (PaymentState.PAID, PaymentState.FULFILLED):
            return Payment(order)
        if state not in _HOLDING:
            raise Conflict(f"the order is {order.status}", code=OrderCode.ORDER_STATE)
        if state in _UNAUTHORIZED and self._expired(order, self._clock()):
            await self._void((await self._to(order.id, PaymentState.CANCELLED)).order)
            raise Conflict(
                "the reservation expired before payment", code=StockCode.RESERVATION_EXPIRED
            )
        if order.total_minor == 0:  # a 100 % coupon: nothing to charge
            return Payment((await self._to(order.id, PaymentState.PAID)).order)
        if state in _UNAUTHORIZED:
            order, action = await self._authorize(order, payment_method)
            if action is not None:
                return Payment(order, action)
        return Payment(await self._capture(order))

    async def cancel(self, principal: Principal, order_id: int) -> Order:
        """The buyer (or an admin) drops an unpaid order: its stock goes back at once."""
        order = await self._orders.get_by_id(order_id)
        if order.buyer_id != principal.user_id and principal.role != Role.ADMIN:
            raise Forbidden("this is someone else's order")
        change = await self._to(order_id, PaymentState.CANCELLED)
        await self._void(change.order)
        return change.order

    # -- the seller ---------------------------------------------------------------------------

    async def refund(self, principal: Principal, order_id: int) -> Order:
        order = await self._sold_by(principal, order_id)
        state = PaymentState(order.payment_state)
        if state == PaymentState.REFUNDED:
            return order
        move(state, PaymentState.REFUNDED)  # refuse early, before money moves
        if order.total_minor > 0 and order.authorization_id:
            amount = Money(order.total_minor, order.currency)
            await self._call(
                self.gateway.refund(order.authorization_id, amount, f"refund-{order.id}")
            )
        return (await self._to(order_id, PaymentState.REFUNDED)).order

    async def fulfil(self, principal: Principal, order_id: int) -> Order:
        await self._sold_by(principal, order_id)
        return (await self._to(order_id, PaymentState.FULFILLED)).order

    # -- the system ---------------------------------------------------------------------------

    async def expire_due(self, now: datetime | None = None) -> list[Order]:
        """Cancel unpaid orders past their hold (authorized ones get CAPTURE_GRACE more).

        Each order is claimed and cancelled in one transaction; on PostgreSQL the claim skips
        rows another node's expiry holds (FOR UPDATE SKIP LOCKED), so nodes expire disjoint
        orders. SQLite (one writer) renders no FOR UPDATE: its write lock serialises claims."""
        now = now or self._clock()
        next_due = (
            select(Order)
            .where(
                or_(
                    Order.payment_state.in_(_UNAUTHORIZED) & (Order.expires_at <= now),
                    (Order.payment_state == PaymentState.AUTHORIZED)
                    & (Order.expires_at <= now - CAPTURE_GRACE),
                )
            )
            .order_by(Order.expires_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        expired: list[Order] = []
        while len(expired) < EXPIRE_BATCH:
            try:
                change = await self._move(next_due, PaymentState.CANCELLED)
            except NotFound:
                break  # none left due, or the rest are being expired by another node
            await self._void(change.order)
            expired.append(change.order)
        return expired

    async def run_expiry(self, period_s: float) -> None:
        while True:
            await asyncio.sleep(period_s)
            try:
                await self.expire_due()
            except Exception:
                logger.exception("expiring unpaid orders failed")

    async def apply_webhook(self, body: bytes, headers: dict[str, str]) -> Order | None:
        """A gateway's event: applied once (redeliveries change nothing). None when the event
        names no order of ours."""
        event = self.gateway.parse_webhook(body, headers)
        if event is None:
            return None  # genuine, but of a kind that moves no order
        async with self._db.reading() as session:
            order = await session.scalar(
                select(Order).where(Order.authorization_id == event.authorization_id)
            )
            if order is None and event.reference.startswith("order-"):
                order = await session.get(Order, _int_or_zero(event.reference[6:]))
        if order is None:
            logger.warning("webhook %s names no order (%s)", event.id, event.authorization_id)
            return None
        try:
            check_event_amount(event.amount, Money(order.total_minor, order.currency))
        except PaymentError as mismatch:
            logger.warning(
                "webhook %s refused for order %s: %s", event.id, order.id, mismatch.message
            )
            raise
        current = PaymentState(order.payment_state)
        target = after_event(current, event.kind)
        record = PaymentEvent(
            id=f"{self.gateway.name}:{event.id}"[:120], order_id=order.id, kind=str(event.kind)
        )
        try:
            change = await self._to(
                order.id,
                target,
                record=record,
                authorization_id=order.authorization_id or event.authorization_id,
                gateway=self.gateway.name,
            )
        except IntegrityError:
            return await self._orders.get_by_id(order.id)  # delivered twice
        passed = (current, target) == (PaymentState.REQUIRES_ACTION, PaymentState.AUTHORIZED)
        if change.changed and passed:
            # The buyer asked to pay and passed the provider's step: take the money now.
            return await self._capture_quietly(change.order)
        return change.order

    async def run_test_webhooks(self) -> None:
        """Deliver the built-in test gateway's webhooks, as a real provider's would arrive."""
        queue = getattr(self.gateway, "webhooks", None)
        if queue is None:
            return
        while True:
            hook = await queue.get()
            try:
                await self.apply_webhook(hook.body, hook.headers)
            except Conflict:
                pass  # an event the order has moved past
            except Exception:
                logger.exception("test gateway webhook failed")

    # -- steps --------------------------------------------------------------------------------

    async def _authorize(
        self, order: Order, payment_method: str | None
    ) -> tuple[Order, PaymentAction | None]:
        """Authorize, or learn how the buyer's step went; the order becomes `authorized` or
        `requires_action` (keeping the provider's id, so its webhook finds it)."""
        amount = Money(order.total_minor, order.currency)
        try:
            if order.payment_state == PaymentState.REQUIRES_ACTION and order.authorization_id:
                auth = await self._call(self.gateway.confirm(order.authorization_id))
            else:
                work = self.gateway.authorize(amount, f"order-{order.id}", payment_method)
                auth = await self._call(work)
        except PaymentDeclined:
            await self._void((await self._to(order.id, PaymentState.FAILED)).order)
            raise
        target = PaymentState.AUTHORIZED if auth.held else PaymentState.REQUIRES_ACTION
        try:
            change = await self._to(
                order.id, target, authorization_id=auth.id, gateway=self.gateway.name
            )
        except Conflict:
            # Cancelled (expired) or moved on by a webhook while the gateway answered.
            return await self._moved_meanwhile(order.id, auth), None
        return change.order, auth.action

    async def _moved_meanwhile(self, order_id: int, auth: Authorization) -> Order:
        order = await self._orders.get_by_id(order_id)
        if order.payment_state in (PaymentState.PAID, PaymentState.FULFILLED):
            return order  # the provider's webhook got there first
        # Cancelled: nobody keeps the money held.
        await self._call(self.gateway.void(auth.id))
        raise Conflict("the reservation expired before payment", code=StockCode.RESERVATION_EXPIRED)

    async def _capture_quietly(self, order: Order) -> Order:
        """Capture after a webhook: a failure leaves the order authorized (stock held) until
        the buyer pays again or it expires; the provider's caller is not the one to tell."""
        try:
            return await self._capture(order)
        except (PaymentError, Conflict) as exc:
            logger.warning("capturing order %s after its authorization failed: %s", order.id, exc)
            return await self._orders.get_by_id(order.id)

    async def _capture(self, order: Order) -> Order:
        if order.payment_state in (PaymentState.PAID, PaymentState.FULFILLED):
            return order
        if order.authorization_id is None:
            raise Conflict("the order has no authorization", code=OrderCode.ORDER_STATE)
        await self._call(self.gateway.capture(order.authorization_id))
        try:
            return (await self._to(order.id, PaymentState.PAID)).order
        except Conflict:
            # Cancelled between authorization and capture: give the money straight back.
            amount = Money(order.total_minor, order.currency)
            await self._call(
                self.gateway.refund(order.authorization_id, amount, f"refund-{order.id}")
            )
            raise Conflict(
                "the reservation expired before payment; the charge was refunded",
                code=StockCode.RESERVATION_EXPIRED,
            ) from None

    async def _void(self, order: Order) -> None:
        if order.authorization_id is None:
            return
        try:
            await self._call(self.gateway.void(order.authorization_id))
        except (GatewayError, Conflict) as exc:
            logger.warning("could not void %s: %s", order.authorization_id, exc)

    async def _call(self, work: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(work, self._timeout)
        except TimeoutError:
            raise GatewayTimeout("the payment gateway did not answer") from None

    async def _to(
        self,
        order_id: int,
        target: PaymentState,
        record: PaymentEvent | None = None,
        **values: object,
    ) -> Change:
        """Move the order to `target` with its stock effect, in one transaction."""
        locking = select(Order).where(Order.id == order_id).with_for_update()
        return await self._move(locking, target, record, **values)

    async def _move(
        self,
        locking: Select[Any],
        target: PaymentState,
        record: PaymentEvent | None = None,
        **values: object,
    ) -> Change:
        """`_to` the order `locking` selects and locks (NotFound when it selects none)."""
        now = self._clock()
        async with self._db.writing() as session:
            if record is not None:
                session.add(record)
                await session.flush()  # a redelivered event fails here, before anything moves
            order = await session.scalar(locking)
            if order is None:
                raise NotFound("no such order", code=OrderCode.ORDER_NOT_FOUND)
            current = PaymentState(order.payment_state)
            effect = move(current, target)
            for name, value in values.items():
                setattr(order, name, value)
            if current == target:
                return Change(order, False)
            seen_before = order.status
            order.payment_state = target
            order.status = ORDER_STATUS[target]
            await self._apply(session, order, effect, now)
        self._orders.forget(order.stream_id or 0)
        await self._follow_gate(order, effect, now)
        if order.status != seen_before:  # an authorization alone is not news to the buyer
            await self._tell(order)
        return Change(order, True)

    async def _tell(self, order: Order) -> None:
        """The change is committed: tell it, with the shelf's units of its products when
        stock went back (a listener's fault never fails the request: server/core/events.py)."""
        stock: dict[int, int] = {}
        if order.stream_id is not None and order.status in _RETURNS_STOCK:
            stock = await self._orders.stock_of({line.product_id for line in order.lines})
        await self._events.publish(OrderChanged(order, stock))

    async def _apply(
        self, session: AsyncSession, order: Order, effect: StockEffect, now: datetime
    ) -> None:
        if effect == StockEffect.CONFIRM:
            order.paid_at = now
            await self._ledger.record_sale(session, order, now)
        elif effect == StockEffect.RELEASE:
            order.closed_at = now
            await _return_deal_units(session, order)
            await _return_stock(session, order)
            if order.coupon_id is not None:
                await self._coupons.give_back(session, order.coupon_id)
        elif effect == StockEffect.REFUND:
            order.closed_at = now
            await _return_stock(session, order)
            await self._ledger.record_refund(session, order, now)

    async def _follow_gate(self, order: Order, effect: StockEffect, now: datetime) -> None:
        gate = self._orders.gate
        if gate is None or effect == StockEffect.NONE:
            return
        holds = order_holds(order)
        if effect == StockEffect.CONFIRM:
            await gate.confirm(holds, now)
        elif effect == StockEffect.RELEASE:
            await gate.release(holds)
        else:  # refunded: the units are back on the shelf, the deal's are not
            await gate.refund([h for h in holds if h.key.startswith("v")])

    async def _own(self, principal: Principal, order_id: int) -> Order:
        buyer_id = require_account(principal, "buy")  # a guest: account_required, not "not yours"
        order = await self._orders.get_by_id(order_id)
        if order.buyer_id != buyer_id:
            raise Forbidden("this is someone else's order")
        return order

    async def _sold_by(self, principal: Principal, order_id: int) -> Order:
        order = await self._orders.get_by_id(order_id)
        if principal.role != Role.ADMIN and not await self._orders.sells_in(principal, order):
            raise Forbidden("only the order's seller or an admin can do that")
        return order

    def _expired(self, order: Order, now: datetime) -> bool:
        return order.expires_at is not None and as_utc(order.expires_at) <= now


def order_holds(order: Order) -> list[Hold]:
    """The gate's holds of an order: their ids derive from the buyer's idempotency key."""
    holds = []
    for line in order.lines:
        keys = [variant_key(line.variant_id)] if line.variant_id is not None else []
        if line.deal_id is not None:
            keys.append(deal_key(line.deal_id))
        holds += [
            Hold(hold_id(order.buyer_id, order.idempotency_key, k), k, line.quantity) for k in keys
        ]
    return holds


async def _return_deal_units(session: AsyncSession, order: Order) -> None:
    for line in sorted(order.lines, key=lambda line: line.deal_id or 0):
        if line.deal_id is not None:
            await session.execute(
                update(FlashDeal)
                .where(FlashDeal.id == line.deal_id, FlashDeal.sold >= line.quantity)
                .values(sold=FlashDeal.sold - line.quantity)
                .execution_options(synchronize_session=False)
            )


async def _return_stock(session: AsyncSession, order: Order) -> None:
    for line in sorted(order.lines, key=lambda line: line.variant_id or 0):
        if line.variant_id is not None:
            await session.execute(
                update(ProductVariant)
                .where(ProductVariant.id == line.variant_id)
                .values(stock=ProductVariant.stock + line.quantity)
                .execution_options(synchronize_session=False)
            )


def _int_or_zero(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 12 else 0
