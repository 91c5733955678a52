"""The built-in test gateway: an in-memory payment provider that behaves like a real one.

It keeps authorizations, captures and refunds, answers a repeated idempotency key with the
first outcome, and queues signed webhooks for the server to receive. It can be told to fail
the next calls in the ways real providers do: decline, time out, lose its answer after
authorizing, refuse a capture, or ask for the buyer's step first (3-D Secure), which a test
then completes or fails with `complete_action`.

Its webhook secret is random per process unless one is given (SHOPCAST_TEST_WEBHOOK_SECRET):
a constant in the source would let anyone sign a "captured" event.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from server.core.domain.error_codes import GeneralCode, PaymentCode
from server.core.domain.errors import Conflict, Forbidden, ValidationError
from server.core.domain.money import Money
from server.core.domain.payments import (
    Authorization,
    ClientSetup,
    EventKind,
    GatewayError,
    GatewayTimeout,
    PaymentAction,
    PaymentDeclined,
    PaymentError,
    Refund,
    WebhookEvent,
)

SIGNATURE_HEADER = "X-Test-Signature"


class Fault(StrEnum):
    DECLINE = "decline"  # authorize: refused, and so is every retry with that key
    TIMEOUT = "timeout"  # authorize: no answer within `timeout`; nothing was authorized
    FAIL_AFTER_AUTHORIZATION = "fail_after_authorization"  # authorized, but the answer is lost
    FAIL_CAPTURE = "fail_capture"  # capture: refused; the authorization stays open
    REQUIRES_ACTION = "requires_action"  # authorize: the buyer must pass 3-D Secure first


_ON_AUTHORIZE = frozenset(
    {Fault.DECLINE, Fault.TIMEOUT, Fault.FAIL_AFTER_AUTHORIZATION, Fault.REQUIRES_ACTION}
)


class ChargeState(StrEnum):
    ACTION_REQUIRED = "action_required"
    ACTION_FAILED = "action_failed"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"


@dataclass
class Charge:
    authorization: Authorization
    state: ChargeState = ChargeState.AUTHORIZED
    refunded_minor: int = 0


@dataclass(frozen=True)
class Webhook:
    body: bytes
    headers: dict[str, str]


class SimulatedGateway:
    __test__ = False  # a product name, not a pytest test class
    name = "test"
    client_setup = ClientSetup("test")

    def __init__(self, secret: bytes | None = None, *, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.webhooks: asyncio.Queue[Webhook] = asyncio.Queue()
        self._secret = secret or secrets.token_bytes(32)
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._by_key: dict[str, str | PaymentDeclined] = {}  # key -> authorization id
        self._charges: dict[str, Charge] = {}
        self._refunds: dict[str, Refund] = {}

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Fail the next `times` calls the fault applies to."""
        self._faults.extend([fault] * times)

    def charge(self, authorization_id: str) -> Charge:
        found = self._charges.get(authorization_id)
        if found is None:
            raise PaymentError("no such authorization", code=PaymentCode.AUTHORIZATION_UNKNOWN)
        return found

    async def authorize(
        self, amount: Money, idempotency_key: str, payment_method: str | None = None
    ) -> Authorization:
        if amount.amount_minor <= 0:
            raise ValidationError(
                "an authorization is for a positive amount", code=PaymentCode.BAD_AMOUNT
            )
        earlier = self._by_key.get(idempotency_key)
        if earlier is not None:
            return self._replay(earlier, amount)
        fault = self._take(_ON_AUTHORIZE)
        if fault == Fault.TIMEOUT:
            await asyncio.sleep(self.timeout)
            raise GatewayTimeout("the payment gateway did not answer")
        if fault == Fault.DECLINE:
            declined = PaymentDeclined("the card was declined")
            self._by_key[idempotency_key] = declined
            raise declined
        auth = Authorization(self._new_id("auth"), amount, idempotency_key)
        self._by_key[idempotency_key] = auth.id
        if fault == Fault.REQUIRES_ACTION:
            self._charges[auth.id] = Charge(auth, ChargeState.ACTION_REQUIRED)
            return self._view(self._charges[auth.id])
        self._charges[auth.id] = Charge(auth)
        self._emit(EventKind.AUTHORIZED, auth.id, amount)
        if fault == Fault.FAIL_AFTER_AUTHORIZATION:
            raise GatewayError("the payment gateway failed after authorizing")
        return auth

    def complete_action(self, authorization_id: str, *, success: bool = True) -> None:
        """The buyer's step on the page (what Stripe.js does with 3-D Secure): passed, the
        authorization is held and its webhook queued; failed, the payment is declined."""
        charge = self.charge(authorization_id)
        if charge.state != ChargeState.ACTION_REQUIRED:
            raise PaymentError("no action is pending", code=PaymentCode.NO_ACTION_PENDING)
        if success:
            charge.state = ChargeState.AUTHORIZED
            self._emit(EventKind.AUTHORIZED, authorization_id, charge.authorization.amount)
        else:
            charge.state = ChargeState.ACTION_FAILED

    async def confirm(self, authorization_id: str) -> Authorization:
        return self._view(self.charge(authorization_id))

    async def capture(self, authorization_id: str) -> Authorization:
        charge = self.charge(authorization_id)
        if charge.state == ChargeState.CAPTURED:
            return charge.authorization
        if charge.state == ChargeState.VOIDED:
            raise PaymentError(
                "the authorization was voided", code=PaymentCode.AUTHORIZATION_VOIDED
            )
        if charge.state in (ChargeState.ACTION_REQUIRED, ChargeState.ACTION_FAILED):
            raise PaymentError(
                "the buyer's step is not done", code=PaymentCode.AUTHORIZATION_PENDING
            )
        if self._take(frozenset({Fault.FAIL_CAPTURE})) is not None:
            raise PaymentDeclined("the capture was refused", code=PaymentCode.CAPTURE_FAILED)
        charge.state = ChargeState.CAPTURED
        self._emit(EventKind.CAPTURED, authorization_id, charge.authorization.amount)
        return charge.authorization

    async def void(self, authorization_id: str) -> None:
        charge = self.charge(authorization_id)
        if charge.state == ChargeState.CAPTURED:
            raise PaymentError(
                "captured: refund it instead", code=PaymentCode.AUTHORIZATION_CAPTURED
            )
        if charge.state == ChargeState.AUTHORIZED:
            charge.state = ChargeState.VOIDED
            self._emit(EventKind.VOIDED, authorization_id, charge.authorization.amount)
        elif charge.state in (ChargeState.ACTION_REQUIRED, ChargeState.ACTION_FAILED):
            charge.state = ChargeState.VOIDED  # nothing was held: no event

    async def refund(self, authorization_id: str, amount: Money, idempotency_key: str) -> Refund:
        earlier = self._refunds.get(idempotency_key)
        if earlier is not None:
            if (earlier.authorization_id, earlier.amount) != (authorization_id, amount):
                raise Conflict(
                    "refund key reused for another refund", code=GeneralCode.IDEMPOTENCY_REUSED
                )
            return earlier
        charge = self.charge(authorization_id)
        captured = charge.authorization.amount
        if charge.state != ChargeState.CAPTURED:
            raise PaymentError("only a captured payment is refunded", code=PaymentCode.NOT_CAPTURED)
        if amount.currency != captured.currency or not (
            0 < amount.amount_minor <= captured.amount_minor - charge.refunded_minor
        ):
            raise PaymentError(
                "more than is left to refund", code=PaymentCode.REFUND_EXCEEDS_CAPTURE
            )
        charge.refunded_minor += amount.amount_minor
        refund = Refund(self._new_id("refund"), authorization_id, amount)
        self._refunds[idempotency_key] = refund
        self._emit(EventKind.REFUNDED, authorization_id, amount)
        return refund

    async def close(self) -> None:
        return None

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent | None:
        signature = next(
            (v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), ""
        )
        if not hmac.compare_digest(signature, self._sign(body)):
            raise Forbidden(
                "the webhook signature does not match", code=PaymentCode.BAD_WEBHOOK_SIGNATURE
            )
        try:
            data = json.loads(body)
            return WebhookEvent(
                id=str(data["id"]),
                kind=EventKind(data["type"]),
                authorization_id=str(data["authorization_id"]),
                amount=Money(data["amount_minor"], data["currency"]),
                reference=str(data.get("reference", "")),
            )
        except (ValueError, KeyError, TypeError, ValidationError) as error:
            raise ValidationError(
                "the webhook body is malformed", code=PaymentCode.BAD_WEBHOOK
            ) from error

    def _take(self, applicable: frozenset[Fault]) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault in applicable:
                return self._faults.pop(i)
        return None

    def signed(self, event: Mapping[str, object]) -> Webhook:
        """A webhook for `event` as this gateway would send it (its own signature)."""
        body = json.dumps(event).encode()
        return Webhook(body, {SIGNATURE_HEADER: self._sign(body)})

    def event(self, kind: EventKind, authorization_id: str, amount: Money) -> dict[str, object]:
        return {
            "id": self._new_id("evt"),
            "type": str(kind),
            "authorization_id": authorization_id,
            "amount_minor": amount.amount_minor,
            "currency": amount.currency,
            "reference": self._charges[authorization_id].authorization.idempotency_key,
        }

    def _emit(self, kind: EventKind, authorization_id: str, amount: Money) -> None:
        self.webhooks.put_nowait(self.signed(self.event(kind, authorization_id, amount)))

    def _view(self, charge: Charge) -> Authorization:
        """The authorization as it stands: waiting for the buyer's step, declined, or held."""
        auth = charge.authorization
        if charge.state == ChargeState.ACTION_REQUIRED:
            action = PaymentAction(self.client_setup, f"{auth.id}_secret_test")
            return Authorization(auth.id, auth.amount, auth.idempotency_key, action)
        if charge.state == ChargeState.ACTION_FAILED:
            raise PaymentDeclined("the buyer's authentication failed")
        if charge.state == ChargeState.VOIDED:
            raise PaymentError(
                "the authorization was voided", code=PaymentCode.AUTHORIZATION_VOIDED
            )
        return auth

    def _replay(self, earlier: str | PaymentDeclined, amount: Money) -> Authorization:
        if isinstance(earlier, PaymentDeclined):
            raise PaymentDeclined(earlier.message, code=earlier.code)
        charge = self._charges[earlier]
        if charge.authorization.amount != amount:
            raise Conflict(
                "payment key reused for another amount", code=GeneralCode.IDEMPOTENCY_REUSED
            )
        return self._view(charge)

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"
