"""The order state machine around payments through the built-in test gateway, over HTTP: the
buyer's step (requires action), webhooks refused for another amount or currency, replays, and
events out of order. The same paths against a Stripe-compatible server are in
test_payments_stripe.py."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.core.domain.money import Money
from server.core.domain.payments import EventKind
from server.core.payments.simulated_gateway import ChargeState, Fault, SimulatedGateway
from server.core.store.rows import CommissionEntry
from server.edge.http.context import DATABASE, SERVICES
from tests import factory


def gateway(running) -> SimulatedGateway:
    return running.app[SERVICES].lifecycle.gateway


async def live_show(running) -> factory.Show:
    show = await factory.show(running, stocks=(5,))
    await factory.go_live(running, show.stream_id)
    return show


async def buy(running, show, token) -> dict:
    body = {
        "product_id": show.product_ids[0],
        "quantity": 1,
        "idempotency_key": secrets.token_hex(8),
    }
    status, order = await running.call(
        "POST", f"/api/streams/{show.stream_id}/orders", token, json=body
    )
    assert status == 201, order
    return order


async def order_of(running, show, order_id: int) -> dict:
    return (await running.call("GET", f"/api/orders/{order_id}", show.viewer))[1]


async def stock(running, show) -> int:
    return (await running.call("GET", f"/api/products/{show.product_ids[0]}"))[1]["stock"]


async def until_state(running, show, order_id: int, state: str) -> dict:
    """Wait (bounded) for the app's webhook task to bring the order to `state`."""
    for _ in range(200):
        order = await order_of(running, show, order_id)
        if order["payment_state"] == state:
            return order
        await asyncio.sleep(0.02)
    raise AssertionError(f"order {order_id} is {order['payment_state']}, not {state}")


async def post_hook(running, hook) -> tuple[int, dict]:
    return await running.call(
        "POST", "/api/payments/test/webhook", data=hook.body, headers=hook.headers
    )


async def test_the_page_learns_the_provider_before_paying(running) -> None:
    status, setup = await running.call("GET", "/api/payments/config")
    assert (status, setup) == (200, {"provider": "test", "publishable_key": "", "script_url": ""})


async def test_requires_action_holds_the_order_and_the_webhook_completes_it(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    gateway(running).inject(Fault.REQUIRES_ACTION)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert status == 202, body
    assert (body["status"], body["payment_state"]) == ("reserved", "requires_action")
    action = body["next_action"]
    assert (action["type"], action["provider"]) == ("confirm_payment", "test")
    assert action["client_secret"]
    assert await stock(running, show) == 4  # still held
    again = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert again[0] == 202 and again[1]["next_action"] == action  # nothing new until the step
    # The buyer passes 3-D Secure: the provider's `authorized` webhook continues to the capture.
    [auth_id] = gateway(running)._charges
    gateway(running).complete_action(auth_id)
    paid = await until_state(running, show, order["id"], "paid")
    assert paid["status"] == "paid" and await stock(running, show) == 4
    assert gateway(running).charge(auth_id).state == ChargeState.CAPTURED
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["status"]) == (200, "paid")


async def test_requires_action_then_paying_again_captures(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    gateway(running).inject(Fault.REQUIRES_ACTION)
    assert (await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer))[0] == 202
    [auth_id] = gateway(running)._charges
    gateway(running).complete_action(auth_id)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["status"]) == (200, "paid")
    assert "next_action" not in body


async def test_a_failed_step_fails_the_order_and_returns_its_stock(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    gateway(running).inject(Fault.REQUIRES_ACTION)
    await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    [auth_id] = gateway(running)._charges
    gateway(running).complete_action(auth_id, success=False)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["error"]["code"]) == (402, "payment_declined")
    after = await order_of(running, show, order["id"])
    assert (after["status"], after["payment_state"]) == ("cancelled", "failed")
    assert await stock(running, show) == 5
    assert gateway(running).charge(auth_id).state == ChargeState.VOIDED


async def test_an_abandoned_step_is_released_at_expiry(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    gateway(running).inject(Fault.REQUIRES_ACTION)
    await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    lifecycle = running.app[SERVICES].lifecycle
    assert await lifecycle.expire_due() == []
    expired = await lifecycle.expire_due(datetime.now(UTC) + timedelta(hours=1))
    assert [o.id for o in expired] == [order["id"]]
    assert await stock(running, show) == 5
    [auth_id] = gateway(running)._charges
    assert gateway(running).charge(auth_id).state == ChargeState.VOIDED
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["error"]["code"]) == (409, "order_state")


async def test_a_webhook_for_another_amount_or_currency_is_refused(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    test = gateway(running)
    auth = await test.authorize(Money(order["total_minor"], "EUR"), f"order-{order['id']}")
    await until_state(running, show, order["id"], "authorized")
    for amount, code in [
        (Money(1, "EUR"), "webhook_amount_mismatch"),
        (Money(order["total_minor"], "PLN"), "webhook_currency_mismatch"),
    ]:
        forged = test.signed(test.event(EventKind.CAPTURED, auth.id, amount))
        status, body = await post_hook(running, forged)
        assert (status, body["error"]["code"]) == (422, code)
    after = await order_of(running, show, order["id"])
    assert after["payment_state"] == "authorized" and await stock(running, show) == 4


async def test_a_capture_before_its_authorization_pays_once(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    test = gateway(running)
    test.inject(Fault.REQUIRES_ACTION)
    await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    [auth_id] = test._charges
    total = Money(order["total_minor"], order["currency"])
    captured = test.signed(test.event(EventKind.CAPTURED, auth_id, total))
    authorized = test.signed(test.event(EventKind.AUTHORIZED, auth_id, total))
    for hook in (captured, authorized, captured):  # out of order, then redelivered
        status, body = await post_hook(running, hook)
        assert (status, body["order_id"]) == (200, order["id"])
    after = await order_of(running, show, order["id"])
    assert (after["status"], after["payment_state"]) == ("paid", "paid")
    assert await stock(running, show) == 4
    async with running.app[DATABASE].reading() as session:
        sales = list(await session.scalars(select(CommissionEntry.kind)))
    assert sales == ["sale"]  # entered the ledger once


async def test_a_replayed_refund_webhook_changes_nothing(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    assert (await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer))[0] == 200
    test = gateway(running)
    [auth_id] = test._charges
    refund = test.signed(
        test.event(EventKind.REFUNDED, auth_id, Money(order["total_minor"], "EUR"))
    )
    for _ in range(3):
        assert (await post_hook(running, refund))[0] == 200
    assert (await order_of(running, show, order["id"]))["status"] == "refunded"
    assert await stock(running, show) == 5  # back once, not three times


async def test_the_pay_body_is_checked(running) -> None:
    show = await live_show(running)
    order = await buy(running, show, show.viewer)
    for body in ([1], {"payment_method": 7}, {"payment_method": "x" * 300}):
        status, answer = await running.call(
            "POST", f"/api/orders/{order['id']}/pay", show.viewer, json=body
        )
        assert (status, answer["error"]["code"]) == (400, "invalid"), body
