"""Payments: the gateway interface every provider fills in, and an order's payment lifecycle.

    reserved --authorize--> authorized --capture--> paid --ship--> fulfilled
      |  |                    ^   |                   |                |
      |  +-> requires_action -+   +-> cancelled/failed +--> refunded <--+
      +--> cancelled / failed     (requires_action, too, can be cancelled or fail)

An order starts `reserved` (its stock is held). `requires_action`: the provider waits for the
buyer's step on the page (the card form, a 3-D Secure challenge); the stock stays held until
the provider reports the authorization or the hold expires. Moving to `paid` sells the held
stock; moving from a holding state to `cancelled` or `failed` releases it; `refunded` puts
sold stock back. Repeating the current state is allowed and changes nothing, since gateways
deliver webhooks more than once and clients retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from server.core.domain.error_codes import OrderCode, PaymentCode
from server.core.domain.errors import Conflict, DomainError, ValidationError
from server.core.domain.money import Money
from server.core.domain.orders import OrderStatus


class PaymentError(DomainError):
    """The gateway refused or could not be reached; the order stays consistent either way."""

    code = PaymentCode.PAYMENT_ERROR
    status = 402


class PaymentDeclined(PaymentError):
    code = PaymentCode.PAYMENT_DECLINED


class GatewayError(PaymentError):
    # The outcome is unknown: retry with the same idempotency key, or wait for the webhook.
    code = PaymentCode.GATEWAY_ERROR
    status = 502


class GatewayTimeout(GatewayError):
    code = PaymentCode.PAYMENT_TIMEOUT
    status = 504


class PaymentState(StrEnum):
    RESERVED = "reserved"
    REQUIRES_ACTION = "requires_action"
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
    _S.RESERVED: frozenset({_S.REQUIRES_ACTION, _S.AUTHORIZED, _S.PAID, _S.CANCELLED, _S.FAILED}),
    _S.REQUIRES_ACTION: frozenset({_S.AUTHORIZED, _S.PAID, _S.CANCELLED, _S.FAILED}),
    _S.AUTHORIZED: frozenset({_S.PAID, _S.CANCELLED, _S.FAILED}),
    _S.PAID: frozenset({_S.FULFILLED, _S.REFUNDED}),
    _S.FULFILLED: frozenset({_S.REFUNDED}),  # a return after delivery
    _S.REFUNDED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.FAILED: frozenset(),
}
_HOLDING = frozenset({_S.RESERVED, _S.REQUIRES_ACTION, _S.AUTHORIZED})
_SOLD = frozenset({_S.PAID, _S.FULFILLED})

# The order status buyers and sellers see: an authorized order still only holds its stock.
ORDER_STATUS: Mapping[PaymentState, OrderStatus] = {
    _S.RESERVED: OrderStatus.RESERVED,
    _S.REQUIRES_ACTION: OrderStatus.RESERVED,
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
        raise Conflict(
            f"an order that is {current} cannot become {target}", code=OrderCode.ORDER_STATE
        )
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
    raise Conflict(
        f"an order that is {current} cannot take a {event} event", code=OrderCode.ORDER_STATE
    )


class PaymentMethodRequired(ValidationError):
    """The provider pays only with the buyer's card, collected by its script on the page."""

    code = PaymentCode.PAYMENT_METHOD_REQUIRED


class WebhookMismatch(PaymentError):
    """A genuine event whose amount or currency is not the order's: refused, never applied."""

    code = PaymentCode.WEBHOOK_AMOUNT_MISMATCH
    status = 422


def check_event_amount(event_amount: Money, order_amount: Money) -> None:
    """An event moves an order only for exactly the order's total in the order's currency."""
    if event_amount.currency != order_amount.currency:
        raise WebhookMismatch(
            f"the event is in {event_amount.currency}, the order in {order_amount.currency}",
            code=PaymentCode.WEBHOOK_CURRENCY_MISMATCH,
        )
    if event_amount.amount_minor != order_amount.amount_minor:
        raise WebhookMismatch(
            f"the event is for {event_amount.amount_minor}, "
            f"the order for {order_amount.amount_minor} (minor units)"
        )


@dataclass(frozen=True)
class ClientSetup:
    """What a page needs to run the provider's own browser step: its name, its public key and
    the script the provider serves (Stripe requires Stripe.js from js.stripe.com itself)."""

    provider: str
    publishable_key: str = ""
    script_url: str = ""

    def to_payload(self) -> dict[str, str]:
        return {
            "provider": self.provider,
            "publishable_key": self.publishable_key,
            "script_url": self.script_url,
        }


@dataclass(frozen=True)
class PaymentAction:
    """The provider waits for the buyer: the page hands `client_secret` to the provider's
    library (Stripe.js `handleNextAction`), then calls pay again or waits for the webhook."""

    setup: ClientSetup
    client_secret: str
    type: str = "confirm_payment"

    def to_payload(self) -> dict[str, str]:
        return {"type": self.type, "client_secret": self.client_secret, **self.setup.to_payload()}


@dataclass(frozen=True)
class Authorization:
    """An authorize call's outcome: held (action None), or waiting for the buyer's step."""

    id: str
    amount: Money
    idempotency_key: str
    action: PaymentAction | None = None

    @property
    def held(self) -> bool:
        return self.action is None


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
    client_setup: ClientSetup

    async def authorize(
        self, amount: Money, idempotency_key: str, payment_method: str | None = None
    ) -> Authorization:
        """Hold `amount` on the buyer's means of payment (`payment_method`: the provider's token
        the page collected, if the provider needs one); PaymentDeclined or GatewayError. The
        answer may carry an action the buyer must complete first."""
        ...

    async def confirm(self, authorization_id: str) -> Authorization:
        """An authorization that waited for the buyer, as it stands now (held, still waiting,
        or PaymentDeclined when the buyer's step failed)."""
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

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent | None:
        """Check a webhook's signature and read it; Forbidden if it is not genuine, None for a
        genuine event that moves no order (a type we do not act on)."""
        ...

    async def close(self) -> None:
        """Release the gateway's connections (at shutdown)."""
        ...
