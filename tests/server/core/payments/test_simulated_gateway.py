import asyncio
import hashlib
import hmac
import json

import pytest

from server.core.domain.errors import Conflict, Forbidden, ValidationError
from server.core.domain.money import Money
from server.core.domain.payments import (
    EventKind,
    GatewayError,
    GatewayTimeout,
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    WebhookEvent,
)
from server.core.payments.simulated_gateway import ChargeState, Fault, SimulatedGateway

TEN = Money(1000, "EUR")


def events(gateway: SimulatedGateway) -> list[WebhookEvent]:
    found = []
    while not gateway.webhooks.empty():
        hook = gateway.webhooks.get_nowait()
        found.append(gateway.parse_webhook(hook.body, hook.headers))
    return found


def test_it_fills_in_the_gateway_interface() -> None:
    gateway: PaymentGateway = SimulatedGateway()
    assert gateway.name == "test"


async def test_authorize_capture_refund_with_webhooks() -> None:
    gateway = SimulatedGateway()
    auth = await gateway.authorize(TEN, "order-1")
    assert await gateway.capture(auth.id) == auth
    refund = await gateway.refund(auth.id, Money(400, "EUR"), "refund-1")
    assert refund.amount == Money(400, "EUR")
    assert [(e.kind, e.authorization_id, e.amount) for e in events(gateway)] == [
        (EventKind.AUTHORIZED, auth.id, TEN),
        (EventKind.CAPTURED, auth.id, TEN),
        (EventKind.REFUNDED, auth.id, Money(400, "EUR")),
    ]


async def test_a_repeated_key_returns_the_same_outcome() -> None:
    gateway = SimulatedGateway()
    first = await gateway.authorize(TEN, "order-1")
    assert await gateway.authorize(TEN, "order-1") == first
    assert await gateway.capture(first.id) == await gateway.capture(first.id)
    refund = await gateway.refund(first.id, TEN, "refund-1")
    assert await gateway.refund(first.id, TEN, "refund-1") == refund
    assert len(events(gateway)) == 3  # one per real change, none for the retries
    with pytest.raises(Conflict):
        await gateway.authorize(Money(999, "EUR"), "order-1")


async def test_concurrent_calls_with_one_key_authorize_once() -> None:
    gateway = SimulatedGateway()
    results = await asyncio.gather(*(gateway.authorize(TEN, "order-1") for _ in range(20)))
    assert len({auth.id for auth in results}) == 1
    assert len(events(gateway)) == 1


async def test_decline_is_kept_for_retries_of_that_key() -> None:
    gateway = SimulatedGateway()
    gateway.inject(Fault.DECLINE)
    for _ in range(2):
        with pytest.raises(PaymentDeclined):
            await gateway.authorize(TEN, "order-1")
    assert (await gateway.authorize(TEN, "order-2")).amount == TEN  # the fault is used up
    assert [e.kind for e in events(gateway)] == [EventKind.AUTHORIZED]


async def test_timeout_leaves_nothing_behind_and_a_retry_succeeds() -> None:
    gateway = SimulatedGateway(timeout=0.01)
    gateway.inject(Fault.TIMEOUT)
    with pytest.raises(GatewayTimeout):
        await gateway.authorize(TEN, "order-1")
    assert events(gateway) == []
    assert (await gateway.authorize(TEN, "order-1")).amount == TEN


async def test_failure_after_authorization_is_found_by_retry_and_webhook() -> None:
    gateway = SimulatedGateway()
    gateway.inject(Fault.FAIL_AFTER_AUTHORIZATION)
    with pytest.raises(GatewayError) as caught:
        await gateway.authorize(TEN, "order-1")
    assert caught.value.code == "gateway_error"
    [event] = events(gateway)
    retried = await gateway.authorize(TEN, "order-1")
    assert event.kind == EventKind.AUTHORIZED and event.authorization_id == retried.id


async def test_failed_capture_keeps_the_authorization_open() -> None:
    gateway = SimulatedGateway()
    auth = await gateway.authorize(TEN, "order-1")
    gateway.inject(Fault.FAIL_CAPTURE)
    with pytest.raises(PaymentDeclined) as caught:
        await gateway.capture(auth.id)
    assert caught.value.code == "capture_failed"
    assert gateway.charge(auth.id).state == ChargeState.AUTHORIZED
    await gateway.void(auth.id)
    await gateway.void(auth.id)
    assert gateway.charge(auth.id).state == ChargeState.VOIDED
    with pytest.raises(PaymentError) as voided:
        await gateway.capture(auth.id)
    assert voided.value.code == "authorization_voided"
    assert [e.kind for e in events(gateway)] == [EventKind.AUTHORIZED, EventKind.VOIDED]


async def test_faults_apply_to_their_own_step() -> None:
    gateway = SimulatedGateway()
    gateway.inject(Fault.FAIL_CAPTURE)
    auth = await gateway.authorize(TEN, "order-1")  # not consumed by authorize
    with pytest.raises(PaymentDeclined):
        await gateway.capture(auth.id)
    assert (await gateway.capture(auth.id)).id == auth.id


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (Money(601, "EUR"), "refund_exceeds_capture"),
        (Money(100, "PLN"), "refund_exceeds_capture"),
        (Money(0, "EUR"), "refund_exceeds_capture"),
    ],
)
async def test_refunds_cannot_exceed_what_was_captured(amount: Money, code: str) -> None:
    gateway = SimulatedGateway()
    auth = await gateway.authorize(TEN, "order-1")
    await gateway.capture(auth.id)
    await gateway.refund(auth.id, Money(400, "EUR"), "refund-1")
    with pytest.raises(PaymentError) as caught:
        await gateway.refund(auth.id, amount, "refund-2")
    assert caught.value.code == code


async def test_wrong_order_of_calls_is_refused() -> None:
    gateway = SimulatedGateway()
    auth = await gateway.authorize(TEN, "order-1")
    with pytest.raises(PaymentError) as not_captured:
        await gateway.refund(auth.id, TEN, "refund-1")
    assert not_captured.value.code == "not_captured"
    await gateway.capture(auth.id)
    with pytest.raises(PaymentError) as captured:
        await gateway.void(auth.id)
    assert captured.value.code == "authorization_captured"
    with pytest.raises(PaymentError) as unknown:
        await gateway.capture("auth_missing")
    assert unknown.value.code == "authorization_unknown"
    with pytest.raises(ValidationError):
        await gateway.authorize(Money(0, "EUR"), "order-2")


async def test_webhooks_must_carry_a_valid_signature() -> None:
    gateway = SimulatedGateway(secret=b"one")
    await gateway.authorize(TEN, "order-1")
    hook = gateway.webhooks.get_nowait()
    assert SimulatedGateway(secret=b"one").parse_webhook(
        hook.body, {"x-test-signature": hook.headers["X-Test-Signature"]}
    )
    with pytest.raises(Forbidden):
        SimulatedGateway(secret=b"two").parse_webhook(hook.body, hook.headers)
    tampered = json.dumps({**json.loads(hook.body), "amount_minor": 1}).encode()
    with pytest.raises(Forbidden):
        gateway.parse_webhook(tampered, hook.headers)
    with pytest.raises(Forbidden):
        gateway.parse_webhook(hook.body, {})


async def test_signed_but_malformed_webhook_is_refused() -> None:
    gateway = SimulatedGateway()
    body = b'{"id": "evt_1", "type": "exploded"}'
    with pytest.raises(ValidationError) as caught:
        gateway.parse_webhook(body, {"X-Test-Signature": gateway._sign(body)})
    assert caught.value.code == "bad_webhook"


async def test_requires_action_waits_for_the_buyers_step() -> None:
    gateway = SimulatedGateway()
    gateway.inject(Fault.REQUIRES_ACTION)
    auth = await gateway.authorize(TEN, "order-1")
    assert not auth.held and auth.action is not None
    assert auth.action.to_payload()["provider"] == "test"
    assert auth.action.client_secret.startswith(auth.id)
    assert events(gateway) == []  # nothing is held yet: no `authorized` event
    assert (await gateway.confirm(auth.id)).action == auth.action
    assert (await gateway.authorize(TEN, "order-1")).action == auth.action  # replayed key
    with pytest.raises(PaymentError) as pending:
        await gateway.capture(auth.id)
    assert pending.value.code == "authorization_pending"
    gateway.complete_action(auth.id)
    assert (await gateway.confirm(auth.id)).held
    assert [(e.kind, e.reference) for e in events(gateway)] == [(EventKind.AUTHORIZED, "order-1")]
    with pytest.raises(PaymentError) as done:
        gateway.complete_action(auth.id)
    assert done.value.code == "no_action_pending"


async def test_a_failed_step_is_a_decline_and_voiding_it_leaves_no_event() -> None:
    gateway = SimulatedGateway()
    gateway.inject(Fault.REQUIRES_ACTION)
    auth = await gateway.authorize(TEN, "order-1")
    gateway.complete_action(auth.id, success=False)
    with pytest.raises(PaymentDeclined):
        await gateway.confirm(auth.id)
    await gateway.void(auth.id)
    assert gateway.charge(auth.id).state == ChargeState.VOIDED
    assert events(gateway) == []


def test_the_webhook_secret_is_random_per_gateway_unless_given() -> None:
    one, two = SimulatedGateway(), SimulatedGateway()
    hook = one.signed({"id": "evt_1", "type": "captured"})
    with pytest.raises(Forbidden):
        two.parse_webhook(hook.body, hook.headers)
    # What the old constant in the source signed is refused too.
    old = hmac.new(b"shopcast-test-gateway", hook.body, hashlib.sha256).hexdigest()
    with pytest.raises(Forbidden):
        one.parse_webhook(hook.body, {"X-Test-Signature": old})
    given = SimulatedGateway(secret=b"configured")
    assert SimulatedGateway(secret=b"configured").signed({"a": 1}) == given.signed({"a": 1})
