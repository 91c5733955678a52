"""The Stripe adapter against localstripe, a fake stateful Stripe server (PyPI), run as a
subprocess on a loopback port: the app talks to it through the official SDK, and localstripe
signs and delivers its own webhooks to the app.

localstripe plays Stripe; the tests play the page: they create the PaymentMethod the card form
(Stripe.js `createPaymentMethod`) would, and pass or fail 3-D Secure through the endpoint
localstripe's own Stripe.js calls. Events localstripe never sends
(`payment_intent.amount_capturable_updated`, `charge.refunded`) are built here with a real
`Stripe-Signature` (t=…,v1=HMAC-SHA256) and checked by the SDK's `construct_event` in the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from server.core.store.rows import Order
from server.edge.config import PaymentProvider, PaymentsConfig
from server.edge.http.context import DATABASE
from tests import factory
from tests.conftest import config_for

WEBHOOK_SECRET = "whsec_" + secrets.token_hex(16)
PUBLISHABLE = "pk_test_shopcast"
CARD_OK = "4242424242424242"
CARD_3DS = "4000002760003184"  # localstripe asks for authentication
CARD_DECLINED = "4000000000000341"  # localstripe declines the charge


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalStripe:
    base: str
    http: aiohttp.ClientSession

    async def api(self, method: str, path: str, **kw: Any) -> tuple[int, dict]:
        headers = {"Authorization": "Bearer sk_test_page"}
        async with self.http.request(method, self.base + path, headers=headers, **kw) as resp:
            return resp.status, await resp.json(content_type=None)

    async def card(self, number: str) -> str:
        """The PaymentMethod the page's card form would create with Stripe.js."""
        card = {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
        form = {"type": "card", **{f"card[{k}]": v for k, v in card.items()}}
        status, body = await self.api("POST", "/v1/payment_methods", data=form)
        assert status == 200, body
        return body["id"]

    async def authenticate(self, client_secret: str, success: bool) -> dict:
        """The 3-D Secure step, as localstripe's Stripe.js `confirmCardPayment` runs it."""
        intent = client_secret.split("_secret_")[0]
        path = f"/v1/payment_intents/{intent}/_authenticate?success={str(success).lower()}"
        body = json.dumps({"key": PUBLISHABLE, "client_secret": client_secret})
        async with self.http.post(self.base + path, data=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def intent(self, intent_id: str) -> dict:
        return (await self.api("GET", f"/v1/payment_intents/{intent_id}"))[1]

    async def send_webhooks_to(self, url: str) -> None:
        form = {"url": url, "secret": WEBHOOK_SECRET}
        async with self.http.post(self.base + "/_config/webhooks/shopcast", data=form) as resp:
            assert resp.status == 200


@contextlib.contextmanager
def running_localstripe() -> Iterator[str]:
    """localstripe on a free loopback port (its own command listens on every interface)."""
    port = free_port()
    code = (
        "from aiohttp import web; from localstripe.server import app; "
        f"web.run_app(app, host='127.0.0.1', port={port}, print=None)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("localstripe did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def localstripe_base() -> Iterator[str]:
    with running_localstripe() as base:
        yield base


@pytest.fixture
async def stripe_fake(localstripe_base: str) -> AsyncIterator[LocalStripe]:
    async with aiohttp.ClientSession() as http:
        yield LocalStripe(localstripe_base, http)


def stripe_payments(base: str) -> PaymentsConfig:
    return PaymentsConfig(
        provider=PaymentProvider.STRIPE,
        stripe_secret_key="sk_test_shopcast",
        stripe_publishable_key=PUBLISHABLE,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=base,
    )


@pytest.fixture
async def shop(backend, start, stripe_fake: LocalStripe) -> Any:
    run = await start(config_for(backend, payments=stripe_payments(stripe_fake.base)))
    await stripe_fake.send_webhooks_to(run.url + "/api/payments/stripe/webhook")
    return run


async def live_order(run) -> tuple[factory.Show, dict]:
    show = await factory.show(run, stocks=(5,))
    await factory.go_live(run, show.stream_id)
    body = {
        "product_id": show.product_ids[0],
        "quantity": 1,
        "idempotency_key": secrets.token_hex(8),
    }
    status, order = await run.call(
        "POST", f"/api/streams/{show.stream_id}/orders", show.viewer, json=body
    )
    assert status == 201, order
    return show, order


async def pay(run, show, order, method: str | None = None) -> tuple[int, dict]:
    body = {"payment_method": method} if method else {}
    return await run.call("POST", f"/api/orders/{order['id']}/pay", show.viewer, json=body)


async def order_of(run, show, order) -> dict:
    return (await run.call("GET", f"/api/orders/{order['id']}", show.viewer))[1]


async def stock(run, show) -> int:
    return (await run.call("GET", f"/api/products/{show.product_ids[0]}"))[1]["stock"]


async def until_state(run, show, order, state: str) -> dict:
    """Wait, bounded, for localstripe's webhook (it sends each after a second)."""
    for _ in range(300):
        found = await order_of(run, show, order)
        if found["payment_state"] == state:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the order is {found['payment_state']}, not {state}")


def signed(event: dict, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, dict]:
    """An event body with Stripe's signature scheme: v1 = HMAC-SHA256(secret, "t.body")."""
    body = json.dumps(event).encode()
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


def event(kind: str, obj: dict) -> dict:
    return {
        "id": "evt_" + secrets.token_hex(8),
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def intent_obj(intent_id: str, order: dict, **changes: Any) -> dict:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": order["total_minor"],
        "amount_capturable": order["total_minor"],
        "amount_received": 0,
        "currency": order["currency"].lower(),
        "status": "requires_capture",
        "metadata": {"shopcast_reference": f"order-{order['id']}"},
        **changes,
    }


async def intent_of(run, order) -> str:
    """The PaymentIntent id the order keeps."""
    async with run.app[DATABASE].reading() as session:
        found = await session.get(Order, order["id"])
    assert found is not None and found.authorization_id, "the order has no PaymentIntent"
    return found.authorization_id


async def hook(run, body: bytes, headers: dict) -> tuple[int, dict]:
    return await run.call("POST", "/api/payments/stripe/webhook", data=body, headers=headers)


# -- against localstripe ---------------------------------------------------------------------


async def test_a_card_is_authorized_captured_and_refunded(shop, stripe_fake) -> None:
    show, order = await live_order(shop)
    status, setup = await shop.call("GET", "/api/payments/config")
    assert setup == {
        "provider": "stripe",
        "publishable_key": PUBLISHABLE,
        "script_url": stripe_fake.base + "/js.stripe.com/v3/",
    }
    status, body = await pay(shop, show, order)
    assert (status, body["error"]["code"]) == (400, "payment_method_required")
    status, paid = await pay(shop, show, order, await stripe_fake.card(CARD_OK))
    assert (status, paid["status"]) == (200, "paid"), paid
    intent = await stripe_fake.intent(await intent_of(shop, order))
    assert (intent["status"], intent["capture_method"]) == ("succeeded", "manual")
    assert (intent["amount"], intent["currency"]) == (order["total_minor"], "eur")
    assert intent["metadata"] == {"shopcast_reference": f"order-{order['id']}"}
    assert await stock(shop, show) == 4
    status, refunded = await shop.call("POST", f"/api/orders/{order['id']}/refund", show.seller)
    assert (status, refunded["status"]) == (200, "refunded")
    assert await stock(shop, show) == 5
    _, refunds = await stripe_fake.api("GET", f"/v1/refunds?payment_intent={intent['id']}")
    assert [r["amount"] for r in refunds["data"]] == [order["total_minor"]]


async def test_buying_with_pay_true_leaves_the_card_to_the_page(shop, stripe_fake) -> None:
    show = await factory.show(shop, stocks=(5,))
    await factory.go_live(shop, show.stream_id)
    body = {"product_id": show.product_ids[0], "idempotency_key": secrets.token_hex(8), "pay": True}
    status, order = await shop.call(
        "POST", f"/api/streams/{show.stream_id}/orders", show.viewer, json=body
    )
    assert (status, order["status"], order["payment_state"]) == (201, "reserved", "reserved")
    status, paid = await pay(shop, show, order, await stripe_fake.card(CARD_OK))
    assert (status, paid["status"]) == (200, "paid")


async def test_a_declined_card_fails_the_order(shop, stripe_fake) -> None:
    show, order = await live_order(shop)
    status, body = await pay(shop, show, order, await stripe_fake.card(CARD_DECLINED))
    assert (status, body["error"]["code"]) == (402, "payment_declined")
    after = await order_of(shop, show, order)
    assert (after["status"], after["payment_state"]) == ("cancelled", "failed")
    assert await stock(shop, show) == 5


async def test_3d_secure_answers_the_next_action_and_paying_again_captures(
    shop, stripe_fake
) -> None:
    show, order = await live_order(shop)
    status, body = await pay(shop, show, order, await stripe_fake.card(CARD_3DS))
    assert status == 202, body
    assert (body["status"], body["payment_state"]) == ("reserved", "requires_action")
    action = body["next_action"]
    assert action["provider"] == "stripe" and action["publishable_key"] == PUBLISHABLE
    assert action["script_url"] == stripe_fake.base + "/js.stripe.com/v3/"
    intent_id = await intent_of(shop, order)
    assert action["client_secret"].startswith(intent_id + "_secret_")
    assert (await stripe_fake.intent(intent_id))["status"] == "requires_action"
    assert (await pay(shop, show, order))[0] == 202  # the step is not done yet
    assert await stock(shop, show) == 4
    await stripe_fake.authenticate(action["client_secret"], success=True)
    status, paid = await pay(shop, show, order)
    assert (status, paid["status"]) == (200, "paid"), paid
    assert (await stripe_fake.intent(intent_id))["status"] == "succeeded"


async def test_a_failed_3d_secure_fails_the_order_and_cancels_the_intent(shop, stripe_fake) -> None:
    show, order = await live_order(shop)
    _, body = await pay(shop, show, order, await stripe_fake.card(CARD_3DS))
    await stripe_fake.authenticate(body["next_action"]["client_secret"], success=False)
    status, failed = await pay(shop, show, order)
    assert (status, failed["error"]["code"]) == (402, "payment_declined")
    assert (await order_of(shop, show, order))["payment_state"] == "failed"
    assert await stock(shop, show) == 5
    assert (await stripe_fake.intent(await intent_of(shop, order)))["status"] == "canceled"


async def test_an_abandoned_3d_secure_is_released_and_cancelled_at_expiry(
    shop, stripe_fake
) -> None:
    from datetime import UTC, datetime, timedelta

    from server.edge.http.context import SERVICES

    show, order = await live_order(shop)
    await pay(shop, show, order, await stripe_fake.card(CARD_3DS))
    later = datetime.now(UTC) + timedelta(hours=1)
    expired = await shop.app[SERVICES].lifecycle.expire_due(later)
    assert [o.id for o in expired] == [order["id"]]
    assert await stock(shop, show) == 5
    assert (await stripe_fake.intent(await intent_of(shop, order)))["status"] == "canceled"


async def test_localstripes_signed_webhook_settles_a_capture_made_elsewhere(
    shop, stripe_fake
) -> None:
    # The buyer passed 3-D Secure but never came back; the intent is captured outside the
    # app (Stripe's dashboard): localstripe's signed `payment_intent.succeeded` pays the order,
    # before any `authorized` event (which localstripe never sends).
    show, order = await live_order(shop)
    _, body = await pay(shop, show, order, await stripe_fake.card(CARD_3DS))
    await stripe_fake.authenticate(body["next_action"]["client_secret"], success=True)
    intent_id = await intent_of(shop, order)
    status, _ = await stripe_fake.api("POST", f"/v1/payment_intents/{intent_id}/capture")
    assert status == 200
    paid = await until_state(shop, show, order, "paid")
    assert paid["status"] == "paid" and await stock(shop, show) == 4


async def test_the_authorized_webhook_continues_to_the_capture(shop, stripe_fake) -> None:
    show, order = await live_order(shop)
    _, body = await pay(shop, show, order, await stripe_fake.card(CARD_3DS))
    await stripe_fake.authenticate(body["next_action"]["client_secret"], success=True)
    intent_id = await intent_of(shop, order)
    authorized = event("payment_intent.amount_capturable_updated", intent_obj(intent_id, order))
    status, answer = await hook(shop, *signed(authorized))
    assert (status, answer["order_id"]) == (200, order["id"])
    after = await order_of(shop, show, order)
    assert after["payment_state"] == "paid"  # captured through localstripe
    assert (await stripe_fake.intent(intent_id))["status"] == "succeeded"


# -- signatures and event checks (bodies built here, verified by the SDK in the app) ---------


async def waiting_order(shop, stripe_fake) -> tuple[factory.Show, dict, str]:
    """An order waiting for its 3-D Secure step, and its PaymentIntent."""
    show, order = await live_order(shop)
    assert (await pay(shop, show, order, await stripe_fake.card(CARD_3DS)))[0] == 202
    return show, order, await intent_of(shop, order)


async def test_a_forged_or_stale_signature_is_refused(shop, stripe_fake) -> None:
    show, order, intent_id = await waiting_order(shop, stripe_fake)
    captured = event("payment_intent.succeeded", intent_obj(intent_id, order, status="succeeded"))
    for body, headers in [
        signed(captured, secret="whsec_" + "0" * 32),  # someone else's secret
        signed(captured, at=int(time.time()) - 3600),  # replayed an hour later
        (json.dumps(captured).encode(), {}),  # unsigned
    ]:
        status, answer = await hook(shop, body, headers)
        assert (status, answer["error"]["code"]) == (403, "bad_webhook_signature")
    body, headers = signed(captured)
    tampered = body.replace(b'"succeeded"', b'"succeeded" ', 1)
    assert (await hook(shop, tampered, headers))[0] == 403
    assert (await order_of(shop, show, order))["payment_state"] == "requires_action"
    # The test gateway's door is closed when Stripe takes the payments.
    test_door = await shop.call("POST", "/api/payments/test/webhook", data=b"{}")
    assert test_door[0] == 404


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount_received": 1}, "webhook_amount_mismatch"),
        ({"currency": "pln"}, "webhook_currency_mismatch"),
    ],
)
async def test_a_genuine_event_for_another_amount_is_refused(
    shop, stripe_fake, changes: dict, code: str
) -> None:
    show, order, intent_id = await waiting_order(shop, stripe_fake)
    base = {"status": "succeeded", "amount_received": order["total_minor"]}
    captured = event("payment_intent.succeeded", intent_obj(intent_id, order, **base | changes))
    status, answer = await hook(shop, *signed(captured))
    assert (status, answer["error"]["code"]) == (422, code)
    after = await order_of(shop, show, order)
    assert after["payment_state"] == "requires_action" and await stock(shop, show) == 4


async def test_a_replayed_event_changes_nothing_and_others_are_ignored(shop, stripe_fake) -> None:
    show, order, intent_id = await waiting_order(shop, stripe_fake)
    received = {"status": "succeeded", "amount_received": order["total_minor"]}
    captured = event("payment_intent.succeeded", intent_obj(intent_id, order, **received))
    late = event("payment_intent.amount_capturable_updated", intent_obj(intent_id, order))
    for one in (captured, late, captured):  # out of order, then redelivered
        status, answer = await hook(shop, *signed(one))
        assert (status, answer["order_id"]) == (200, order["id"])
    assert (await order_of(shop, show, order))["payment_state"] == "paid"
    assert await stock(shop, show) == 4
    refunded = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": intent_id,
        "amount": order["total_minor"],
        "amount_refunded": order["total_minor"],
        "refunded": True,
        "currency": "eur",
    }
    for _ in range(2):
        status, _ = await hook(shop, *signed(event("charge.refunded", refunded)))
        assert status == 200
    assert (await order_of(shop, show, order))["status"] == "refunded"
    assert await stock(shop, show) == 5  # back once
    other = event("customer.created", {"id": "cus_1", "object": "customer"})
    assert await hook(shop, *signed(other)) == (200, {"order_id": None})
