"""Payments: the gateway interface every provider fills in, and an order's payment lifecycle.

    reserved --authorize--> authorized --capture--> paid --ship--> fulfilled
        |                       |                     |                |
        +--> cancelled / failed +--> cancelled/failed +--> refunded <--+

An order starts `reserved` (its stock is held). Moving to `paid` sells the held stock; moving
from reserved/authorized to `cancelled` or `failed` releases it; `refunded` puts sold stock
back. Repeating the current state is allowed and changes nothing, since gateways deliver
webhooks more than once and clients retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from server.domain.errors import Conflict, DomainError
from server.domain.money import Money
from server.domain.orders import OrderStatus


class PaymentError(DomainError):
    """The gateway refused or could not be reached; the order stays consistent either way."""

    code = "payment_error"
    status = 402


class PaymentDeclined(PaymentError):
    code = "payment_declined"


class GatewayError(PaymentError):
    # The outcome is unknown: retry with the same idempotency key, or wait for the webhook.
    code = "gateway_error"
    status = 502


class GatewayTimeout(GatewayError):
    code = "payment_timeout"
    status = 504


class PaymentState(StrEnum):
    RESERVED = "reserved"
    AUTHORIZED = "authorized"
    PAID = "paid"
    FULFILLED = "fulfilled"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    FAILED = "failed"


class StockEffect(StrEnum):
    """What a transition does to the order's reservation (see reservations.py)."""

    NONE = "none"
    CONFIRM = "confirm"
    RELEASE = "release"
    REFUND = "refund"


_S = PaymentState
TRANSITIONS: Mapping[PaymentState, frozenset[PaymentState]] = {
    _S.RESERVED: frozenset({_S.AUTHORIZED, _S.PAID, _S.CANCELLED, _S.FAILED}),
    _S.AUTHORIZED: frozenset({_S.PAID, _S.CANCELLED, _S.FAILED}),
    _S.PAID: frozenset({_S.FULFILLED, _S.REFUNDED}),
    _S.FULFILLED: frozenset({_S.REFUNDED}),  # a return after delivery
    _S.REFUNDED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.FAILED: frozenset(),
}
_HOLDING = frozenset({_S.RESERVED, _S.AUTHORIZED})
_SOLD = frozenset({_S.PAID, _S.FULFILLED})

# The order status buyers and sellers see: an authorized order still only holds its stock.
ORDER_STATUS: Mapping[PaymentState, OrderStatus] = {
    _S.RESERVED: OrderStatus.RESERVED,
    _S.AUTHORIZED: OrderStatus.RESERVED,
    _S.PAID: OrderStatus.PAID,
    _S.FULFILLED: OrderStatus.FULFILLED,
    _S.REFUNDED: OrderStatus.REFUNDED,
    _S.CANCELLED: OrderStatus.CANCELLED,
    _S.FAILED: OrderStatus.CANCELLED,
}


def can_move(current: PaymentState, target: PaymentState) -> bool:
    return target == current or target in TRANSITIONS[current]


def move(current: PaymentState, target: PaymentState) -> StockEffect:
    """Check a transition and say what it does to stock; NONE when already there."""
    if not can_move(current, target):
        raise Conflict(f"an order that is {current} cannot become {target}", code="order_state")
    if target == current:
        return StockEffect.NONE
    if target == _S.PAID:
        return StockEffect.CONFIRM
    if current in _HOLDING and target in (_S.CANCELLED, _S.FAILED):
        return StockEffect.RELEASE
    if current in _SOLD and target == _S.REFUNDED:
        return StockEffect.REFUND
    return StockEffect.NONE


class EventKind(StrEnum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    DECLINED = "declined"
    VOIDED = "voided"
    REFUNDED = "refunded"


# Where a gateway event takes an order.
EVENT_TARGET: Mapping[EventKind, PaymentState] = {
    EventKind.AUTHORIZED: _S.AUTHORIZED,
    EventKind.CAPTURED: _S.PAID,
    EventKind.DECLINED: _S.FAILED,
    EventKind.VOIDED: _S.CANCELLED,
    EventKind.REFUNDED: _S.REFUNDED,
}


def after_event(current: PaymentState, event: EventKind) -> PaymentState:
    """The state a webhook leads to. A late event the order has moved past (an `authorized`
    arriving after `captured`) leaves it as it is instead of failing the webhook."""
    target = EVENT_TARGET[event]
    if can_move(current, target):
        return target
    if event == EventKind.AUTHORIZED and current in _SOLD | {_S.REFUNDED}:
        return current
    raise Conflict(f"an order that is {current} cannot take a {event} event", code="order_state")


@dataclass(frozen=True)
class Authorization:
    id: str
    amount: Money
    idempotency_key: str


@dataclass(frozen=True)
class Refund:
    id: str
    authorization_id: str
    amount: Money


@dataclass(frozen=True)
class WebhookEvent:
    id: str  # unique per event: store it to drop redeliveries
    kind: EventKind
    authorization_id: str
    amount: Money
    # The merchant's idempotency key of the authorization: finds the order when the answer to
    # `authorize` was lost and its authorization id never reached us.
    reference: str = ""


class PaymentGateway(Protocol):
    """A payment provider. Every call with the same idempotency key has the same outcome."""

    name: str

    async def authorize(self, amount: Money, idempotency_key: str) -> Authorization:
        """Hold `amount` on the buyer's means of payment; PaymentDeclined or GatewayError."""
        ...

    async def capture(self, authorization_id: str) -> Authorization:
        """Take the authorized amount; repeating a capture returns the same result."""
        ...

    async def void(self, authorization_id: str) -> None:
        """Drop an authorization that will not be captured (order cancelled or expired)."""
        ...

    async def refund(self, authorization_id: str, amount: Money, idempotency_key: str) -> Refund:
        """Give back some or all of a captured amount."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Check a webhook's signature and read it; PaymentError if it is not genuine."""
        ...
