"""Buying in a show end to end over HTTP, on SQLite and on PostgreSQL + Redis: buy now and pay,
failures injected at each step of payment, expiry, flash deals, coupons, the cart, refunds and
the commission ledger."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.core.domain.payments import PaymentState
from server.core.payments.simulated_gateway import SIGNATURE_HEADER, Fault
from server.core.store.rows import CommissionEntry, FlashDeal, Order
from server.edge.http.context import DATABASE, SERVICES
from tests import factory


def key() -> str:
    return secrets.token_hex(8)


async def live_show(running, stocks=(5, 3)) -> factory.Show:
    show = await factory.show(running, stocks=stocks)
    await factory.go_live(running, show.stream_id)
    return show


async def buy(running, show, token, product=0, quantity=1, **extra) -> tuple[int, dict]:
    body = {"product_id": show.product_ids[product], "quantity": quantity}
    body.setdefault("idempotency_key", key())
    body.update(extra)
    return await running.call("POST", f"/api/streams/{show.stream_id}/orders", token, json=body)


async def stock(running, product_id: int) -> int:
    _, product = await running.call("GET", f"/api/products/{product_id}")
    return product["stock"]


def gateway(running):
    return running.app[SERVICES].lifecycle.gateway


async def settle_webhooks(running) -> None:
    """Let the app's task deliver what the test gateway queued."""
    for _ in range(100):
        if gateway(running).webhooks.empty():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)


async def test_buy_now_and_pay_records_the_sale_and_the_commission(running) -> None:
    show = await live_show(running)
    status, order = await buy(running, show, show.viewer, quantity=2)
    assert status == 201, order
    assert (order["status"], order["payment_state"]) == ("reserved", "reserved")
    assert order["expires_at"] is not None and order["total_minor"] == 2 * 1999
    assert await stock(running, show.product_ids[0]) == 3  # held while the buyer pays

    status, paid = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, paid["status"], paid["paid_at"] is not None) == (200, "paid", True)
    again = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert again[0] == 200 and again[1]["status"] == "paid"  # paying twice charges once
    assert len([c for c in gateway(running)._charges.values()]) == 1
    async with running.app[DATABASE].reading() as session:
        entries = list(await session.scalars(select(CommissionEntry)))
    assert [(e.kind, e.gmv_minor) for e in entries] == [("sale", 2 * 1999)]


async def test_a_retried_key_returns_the_same_order_even_after_selling_out(running) -> None:
    show = await live_show(running, stocks=(1,))
    same = key()
    first = await buy(running, show, show.viewer, idempotency_key=same)
    assert first[0] == 201
    assert (await buy(running, show, show.viewer2))[1]["error"]["code"] == "sold_out"
    retry = await buy(running, show, show.viewer, idempotency_key=same)
    assert retry == (200, first[1])
    reused = await buy(running, show, show.viewer, quantity=2, idempotency_key=same)
    assert (reused[0], reused[1]["error"]["code"]) == (409, "idempotency_reused")


async def test_one_tap_buy_pays_at_once(running) -> None:
    show = await live_show(running)
    status, order = await buy(running, show, show.viewer, pay=True)
    assert (status, order["status"]) == (201, "paid")


async def test_a_declined_card_fails_the_order_and_returns_its_stock(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer)
    gateway(running).inject(Fault.DECLINE)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["error"]["code"]) == (402, "payment_declined")
    _, after = await running.call("GET", f"/api/orders/{order['id']}", show.viewer)
    assert (after["status"], after["payment_state"]) == ("cancelled", "failed")
    assert await stock(running, show.product_ids[0]) == 5


async def test_a_gateway_timeout_keeps_the_hold_and_a_retry_pays(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer)
    gateway(running).timeout = 0.01
    gateway(running).inject(Fault.TIMEOUT)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["error"]["code"]) == (504, "payment_timeout")
    _, held = await running.call("GET", f"/api/orders/{order['id']}", show.viewer)
    assert held["status"] == "reserved" and await stock(running, show.product_ids[0]) == 4
    status, paid = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, paid["status"]) == (200, "paid")


async def test_a_lost_answer_after_authorizing_is_settled_by_the_webhook(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer)
    gateway(running).inject(Fault.FAIL_AFTER_AUTHORIZATION)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["error"]["code"]) == (502, "gateway_error")
    # The gateway's `authorized` event finds the order by key. An empty queue only says the
    # event was taken, not applied: wait (bounded) for the state asserted.
    for _ in range(200):
        _, after = await running.call("GET", f"/api/orders/{order['id']}", show.viewer)
        if after["payment_state"] != "reserved":
            break
        await asyncio.sleep(0.05)
    assert after["payment_state"] == "authorized"
    status, paid = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, paid["status"]) == (200, "paid")
    assert len(gateway(running)._charges) == 1  # the retry reused the first authorization


async def test_a_refused_capture_keeps_the_order_authorized_until_paid(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer)
    gateway(running).inject(Fault.FAIL_CAPTURE)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["error"]["code"]) == (402, "capture_failed")
    _, after = await running.call("GET", f"/api/orders/{order['id']}", show.viewer)
    assert (after["status"], after["payment_state"]) == ("reserved", "authorized")
    status, paid = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, paid["status"]) == (200, "paid")


async def test_an_unpaid_order_expires_and_its_stock_goes_back(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer, quantity=3)
    lifecycle = running.app[SERVICES].lifecycle
    assert await lifecycle.expire_due() == []  # not due yet
    later = datetime.now(UTC) + timedelta(hours=1)
    expired = await lifecycle.expire_due(later)
    assert [o.id for o in expired] == [order["id"]]
    assert await stock(running, show.product_ids[0]) == 5
    status, body = await running.call("POST", f"/api/orders/{order['id']}/pay", show.viewer)
    assert (status, body["error"]["code"]) == (409, "order_state")
    assert gateway(running)._charges == {}  # never charged


async def test_the_buyer_cancels_an_unpaid_order(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer, quantity=2)
    other = await running.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer2)
    assert other[0] == 403
    status, body = await running.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer)
    assert (status, body["status"]) == (200, "cancelled")
    assert await stock(running, show.product_ids[0]) == 5
    again = await running.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer)
    assert again[0] == 200  # cancelling twice changes nothing
    assert await stock(running, show.product_ids[0]) == 5


async def test_the_seller_refunds_and_the_commission_is_reversed(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer, pay=True)
    refused = await running.call("POST", f"/api/orders/{order['id']}/refund", show.viewer)
    assert refused[0] == 403
    status, body = await running.call("POST", f"/api/orders/{order['id']}/refund", show.seller)
    assert (status, body["status"]) == (200, "refunded")
    assert await stock(running, show.product_ids[0]) == 5
    twice = await running.call("POST", f"/api/orders/{order['id']}/refund", show.seller)
    assert twice[0] == 200
    async with running.app[DATABASE].reading() as session:
        kinds = sorted(await session.scalars(select(CommissionEntry.kind)))
    assert kinds == ["reversal", "sale"]
    charge = gateway(running).charge(body_auth(running, order["id"]))
    assert charge.refunded_minor == order["total_minor"]


def body_auth(running, order_id: int) -> str:
    charges = gateway(running)._charges
    return next(c.authorization.id for c in charges.values())


async def test_the_seller_fulfils_and_sees_the_order(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer, pay=True)
    status, body = await running.call("POST", f"/api/orders/{order['id']}/fulfil", show.seller)
    assert (status, body["status"]) == (200, "fulfilled")
    status, listed = await running.call("GET", "/api/seller/orders", show.seller)
    assert status == 200 and [o["id"] for o in listed["orders"]] == [order["id"]]
    status, seen = await running.call("GET", f"/api/orders/{order['id']}", show.seller)
    assert status == 200 and seen["status"] == "fulfilled"


async def test_unpaid_orders_cannot_be_fulfilled_or_refunded(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer)
    for step in ("fulfil", "refund"):
        status, body = await running.call("POST", f"/api/orders/{order['id']}/{step}", show.seller)
        assert (status, body["error"]["code"]) == (409, "order_state")


async def test_webhooks_must_be_signed_and_apply_once(running) -> None:
    show = await live_show(running)
    _, order = await buy(running, show, show.viewer, pay=True)
    forged = json.dumps({"id": "evt_x", "type": "refunded"}).encode()
    status, body = await running.call(
        "POST",
        "/api/payments/test/webhook",
        data=forged,
        headers={SIGNATURE_HEADER: "0" * 64},
    )
    assert (status, body["error"]["code"]) == (403, "bad_webhook_signature")
    unknown = await running.call("POST", "/api/payments/nope/webhook", data=b"{}")
    assert unknown[0] == 404
    # A real delivery, twice: the second changes nothing.
    await settle_webhooks(running)
    auth = body_auth(running, order["id"])
    await gateway(running).refund(auth, _money(order), "refund-by-dashboard")
    hook = gateway(running).webhooks.get_nowait()
    for _ in range(2):
        status, _ = await running.call(
            "POST", "/api/payments/test/webhook", data=hook.body, headers=hook.headers
        )
        assert status == 200
    _, after = await running.call("GET", f"/api/orders/{order['id']}", show.viewer)
    assert after["status"] == "refunded"
    assert await stock(running, show.product_ids[0]) == 5  # returned once, not twice


def _money(order: dict):
    from server.core.domain.money import Money

    return Money(order["total_minor"], order["currency"])


async def test_a_flash_deal_sells_at_its_price_within_its_limits(running) -> None:
    show = await live_show(running, stocks=(10,))
    product = show.product_ids[0]
    deal = {
        "product_id": product,
        "price_minor": 999,
        "duration_s": 60,
        "quantity": 3,
        "per_buyer_limit": 2,
    }
    refused = await running.call(
        "POST", f"/api/streams/{show.stream_id}/deals", show.viewer, json=deal
    )
    assert refused[0] == 403
    bad = await running.call(
        "POST", f"/api/streams/{show.stream_id}/deals", show.host, json=deal | {"price_minor": 5000}
    )
    assert (bad[0], bad[1]["error"]["code"]) == (400, "bad_deal_price")
    status, started = await running.call(
        "POST", f"/api/streams/{show.stream_id}/deals", show.host, json=deal
    )
    assert status == 201, started
    assert started["deal"]["phase"] == "active" and started["deal"]["left"] == 3
    assert 59_000 <= started["deal"]["remaining_ms"] <= 60_000
    again = await running.call("POST", f"/api/streams/{show.stream_id}/deals", show.host, json=deal)
    assert (again[0], again[1]["error"]["code"]) == (409, "deal_exists")

    status, order = await buy(running, show, show.viewer, quantity=2)
    assert status == 201 and order["lines"][0]["unit_price_minor"] == 999
    assert order["lines"][0]["deal_id"] == started["deal"]["id"]
    over = await buy(running, show, show.viewer)
    assert (over[0], over[1]["error"]["code"]) == (409, "deal_limit_reached")
    assert (await buy(running, show, show.viewer2))[0] == 201
    third = await factory.account(running)
    sold_out = await buy(running, show, third)
    assert (sold_out[0], sold_out[1]["error"]["code"]) == (409, "deal_sold_out")

    status, ended = await running.call("POST", f"/api/deals/{started['deal']['id']}/end", show.host)
    assert (status, ended["deal"]["phase"]) == (200, "ended")
    status, regular = await buy(running, show, third)
    assert status == 201 and regular["lines"][0]["unit_price_minor"] == 1999


async def test_a_cancelled_deal_order_gives_its_deal_unit_back(running) -> None:
    show = await live_show(running, stocks=(10,))
    deal = {"product_id": show.product_ids[0], "price_minor": 999, "duration_s": 60, "quantity": 1}
    _, started = await running.call(
        "POST", f"/api/streams/{show.stream_id}/deals", show.host, json=deal
    )
    _, order = await buy(running, show, show.viewer)
    assert (await buy(running, show, show.viewer2))[1]["error"]["code"] == "deal_sold_out"
    await running.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer)
    status, second = await buy(running, show, show.viewer2)
    assert status == 201 and second["lines"][0]["deal_id"] == started["deal"]["id"]


async def test_many_buyers_at_once_get_exactly_the_deal_quantity(running) -> None:
    show = await live_show(running, stocks=(40,))
    deal = {"product_id": show.product_ids[0], "price_minor": 999, "duration_s": 60, "quantity": 15}
    status, _ = await running.call(
        "POST", f"/api/streams/{show.stream_id}/deals", show.host, json=deal
    )
    assert status == 201
    buyers = [await factory.account(running) for _ in range(30)]
    keys = [key() for _ in buyers]
    results = await asyncio.gather(
        *(buy(running, show, t, idempotency_key=k) for t, k in zip(buyers, keys, strict=True)),
        *(buy(running, show, t, idempotency_key=k) for t, k in zip(buyers, keys, strict=True)),
    )
    codes = sorted({r[1]["error"]["code"] for r in results if r[0] == 409})
    assert set(codes) <= {"deal_sold_out"}
    created = {r[1]["id"] for r in results if r[0] == 201}
    assert len(created) == 15
    assert {r[1]["id"] for r in results if r[0] == 200} <= created
    async with running.app[DATABASE].reading() as session:
        sold = await session.scalar(select(FlashDeal.sold))
        orders = await session.scalar(select(func.count()).select_from(Order))
    assert (sold, orders) == (15, 15)
    assert await stock(running, show.product_ids[0]) == 25


async def test_a_coupon_takes_its_discount_and_counts_its_use(running) -> None:
    show = await live_show(running)
    status, body = await running.call(
        "POST",
        "/api/coupons",
        show.seller,
        json={"code": "LIVE10", "percent_bp": 1000, "max_uses": 1},
    )
    assert status == 201, body
    status, order = await buy(running, show, show.viewer, coupon="live10")
    assert status == 201, order
    assert (order["discount_minor"], order["total_minor"]) == (199, 1999 - 199)
    used_up = await buy(running, show, show.viewer2, coupon="LIVE10")
    assert (used_up[0], used_up[1]["error"]["code"]) == (409, "coupon_exhausted")
    assert await stock(running, show.product_ids[0]) == 4  # the refused buy held nothing
    await running.call("POST", f"/api/orders/{order['id']}/cancel", show.viewer)
    assert (await buy(running, show, show.viewer2, coupon="LIVE10"))[0] == 201  # use returned
    unknown = await buy(running, show, show.viewer, coupon="NOPE1")
    assert (unknown[0], unknown[1]["error"]["code"]) == (404, "coupon_unknown")


async def test_the_cart_checks_out_as_one_order(running) -> None:
    show = await live_show(running)
    cart = f"/api/streams/{show.stream_id}/cart"
    for product_id, quantity in ((show.product_ids[0], 2), (show.product_ids[1], 1)):
        status, _ = await running.call(
            "PUT",
            f"{cart}/items",
            show.viewer,
            json={"product_id": product_id, "quantity": quantity},
        )
        assert status == 200
    status, body = await running.call(
        "PUT",
        f"{cart}/items",
        show.viewer,
        json={"product_id": show.product_ids[0], "quantity": 11},
    )
    assert (status, body["error"]["code"]) == (400, "bad_quantity")
    status, seen = await running.call("GET", cart, show.viewer)
    assert [i["quantity"] for i in seen["items"]] == [2, 1]
    checkout_key = key()
    status, order = await running.call(
        "POST", f"{cart}/checkout", show.viewer, json={"idempotency_key": checkout_key, "pay": True}
    )
    assert (status, order["status"], len(order["lines"])) == (201, "paid", 2)
    assert order["total_minor"] == 2 * 1999 + 2000
    _, empty = await running.call("GET", cart, show.viewer)
    assert empty["items"] == []
    # A retry whose first answer was lost finds the cart empty: it gets the first order.
    status, again = await running.call(
        "POST", f"{cart}/checkout", show.viewer, json={"idempotency_key": checkout_key, "pay": True}
    )
    assert (status, again["id"], again["status"]) == (200, order["id"], "paid")
    status, body = await running.call(
        "POST", f"{cart}/checkout", show.viewer, json={"idempotency_key": key()}
    )
    assert (status, body["error"]["code"]) == (409, "cart_empty")


@pytest.mark.parametrize(
    "body, code",
    [
        ({"quantity": 1}, "bad_product"),
        ({"product_id": "1", "quantity": 1}, "bad_product"),
        ({"product_id": 1, "quantity": 0}, "bad_quantity"),
        ({"product_id": 1, "quantity": True}, "bad_quantity"),
        ({"product_id": 1, "idempotency_key": "short"}, "bad_idempotency_key"),
        ({"product_id": 1, "pay": "yes"}, "bad_pay"),
        ({"product_id": 1, "sku": 5}, "bad_sku"),
        ({"product_id": 1, "coupon": ["x"]}, "bad_coupon_code"),
    ],
)
async def test_bad_purchases_are_refused_and_change_nothing(running, body, code) -> None:
    show = await live_show(running)
    payload = {"idempotency_key": key()} | body
    if payload.get("product_id") == 1:
        payload["product_id"] = show.product_ids[0]
    status, answer = await running.call(
        "POST", f"/api/streams/{show.stream_id}/orders", show.viewer, json=payload
    )
    assert (status, answer["error"]["code"]) == (400, code)
    assert await stock(running, show.product_ids[0]) == 5


async def test_payment_state_names_match_the_domain() -> None:
    assert {s.value for s in PaymentState} >= {"reserved", "authorized", "paid", "failed"}


async def test_a_key_reused_for_other_goods_holds_nothing_of_them(running) -> None:
    show = await live_show(running)
    same = key()
    assert (await buy(running, show, show.viewer, idempotency_key=same))[0] == 201
    status, body = await buy(running, show, show.viewer, product=1, idempotency_key=same)
    assert (status, body["error"]["code"]) == (409, "idempotency_reused")
    assert await stock(running, show.product_ids[1]) == 3
    gate = running.app[SERVICES].orders.gate
    if gate is not None:  # Redis holds nothing for the refused request either
        _, product = await running.call("GET", f"/api/products/{show.product_ids[1]}")
        level = await gate.reservations.level(f"v{product['variants'][0]['id']}")
        assert (level.available, level.reserved) == (3, 0)
