"""Stripe's objects read as the gateway port's values: a PaymentIntent as an Authorization, a
webhook event as a WebhookEvent. Plain functions over mappings, so recorded shapes test them.

Stripe amounts are in the currency's smallest unit, as Money's minor units are (Stripe's few
exceptions, such as HUF and TWD payouts, are not among the shop's currencies).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from server.core.domain.error_codes import PaymentCode
from server.core.domain.errors import ValidationError
from server.core.domain.money import Money
from server.core.domain.payments import (
    Authorization,
    ClientSetup,
    EventKind,
    GatewayError,
    PaymentAction,
    PaymentDeclined,
    PaymentError,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

REFERENCE = "shopcast_reference"  # PaymentIntent metadata: the order's idempotency key
# The buyer's step is pending: the page hands the client secret to Stripe.js.
_WAITING = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
_HELD = frozenset({"requires_capture", "succeeded"})


def money(amount: object, currency: object) -> Money:
    if not isinstance(amount, int) or not isinstance(currency, str):
        raise ValidationError("a Stripe amount without its currency", code=PaymentCode.BAD_WEBHOOK)
    return Money(amount, currency.upper())


def authorization(intent: Mapping[str, Any], setup: ClientSetup) -> Authorization:
    """A PaymentIntent as it stands: held, waiting for the buyer, or refused."""
    status = intent.get("status")
    reference = str((intent.get("metadata") or {}).get(REFERENCE, ""))
    amount = money(intent.get("amount"), intent.get("currency"))
    if status in _HELD:
        return Authorization(str(intent["id"]), amount, reference)
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        error = intent["last_payment_error"]
        raise PaymentDeclined(str(error.get("message") or "the payment was declined"))
    if status in _WAITING:
        action = PaymentAction(setup, str(intent["client_secret"]))
        return Authorization(str(intent["id"]), amount, reference, action)
    if status == "canceled":
        raise PaymentError("the payment was cancelled", code=PaymentCode.AUTHORIZATION_VOIDED)
    # `processing`: the outcome is not known yet; the webhook settles it.
    raise GatewayError(f"the payment is {status}")


def event(data: Mapping[str, Any]) -> WebhookEvent | None:
    """A Stripe event as one that moves an order, or None for one we do not act on."""
    kind = str(data.get("type", ""))
    obj = (data.get("data") or {}).get("object") or {}
    found = _read(kind, obj)
    if found is None:
        logger.info("stripe event %s (%s) moves no order", data.get("id"), kind)
        return None
    event_kind, intent_id, amount = found
    return WebhookEvent(
        id=str(data["id"]),
        kind=event_kind,
        authorization_id=intent_id,
        amount=amount,
        reference=str((obj.get("metadata") or {}).get(REFERENCE, "")),
    )


def _read(kind: str, obj: Mapping[str, Any]) -> tuple[EventKind, str, Money] | None:
    currency = obj.get("currency")
    if kind == "payment_intent.amount_capturable_updated":
        if obj.get("status") != "requires_capture":
            return None
        return EventKind.AUTHORIZED, str(obj["id"]), money(obj.get("amount_capturable"), currency)
    if kind == "payment_intent.succeeded":
        # What was taken: a capture of less than the order's total is refused as a mismatch.
        received = obj.get("amount_received", obj.get("amount"))
        return EventKind.CAPTURED, str(obj["id"]), money(received, currency)
    if kind == "payment_intent.canceled":
        return EventKind.VOIDED, str(obj["id"]), money(obj.get("amount"), currency)
    if kind == "charge.refunded" and obj.get("refunded") and obj.get("payment_intent"):
        # Fully refunded only (`refunded`): a partial refund, made in Stripe's dashboard, moves
        # no order; the amount must still be the order's whole total.
        refunded = money(obj.get("amount_refunded"), currency)
        return EventKind.REFUNDED, str(obj["payment_intent"]), refunded
    # payment_intent.payment_failed: an attempt failed; the buyer may try again until the hold
    # expires, so it moves nothing (the page shows Stripe.js's error).
    return None
