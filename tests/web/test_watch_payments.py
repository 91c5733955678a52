"""The viewer page's 3-D Secure step in Chromium, under the pages' Content-Security-Policy,
against localstripe: the page loads the provider's script from the origin the server names
(localstripe serves a stand-in Stripe.js at /js.stripe.com/v3/), runs the bank's step (its
modal: "Complete authentication"), pays again and the order is paid.

localstripe's Stripe.js cannot turn a card field into a PaymentMethod (its
`createPaymentMethod` is empty), so the card step is played by the test (as in
tests/server/edge/test_payments_stripe.py) and the page takes over at the 202 `next_action`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests import factory
from tests.conftest import config_for
from tests.server.edge.test_payments_stripe import (
    CARD_3DS,
    LocalStripe,
    running_localstripe,
    stripe_payments,
)
from tests.web.conftest import sign_in_context, until

FINISH = """async (order) => {
  const { finishPayment } = await import("/static/js/watch_pay.js");
  window.finished = null;
  finishPayment(order).then((o) => { window.finished = o.status; },
                            (e) => { window.finished = "error: " + e.code; });
}"""


@pytest.fixture
async def fake_stripe() -> AsyncIterator[LocalStripe]:
    with running_localstripe() as base:
        async with aiohttp.ClientSession() as http:
            yield LocalStripe(base, http)


@pytest.mark.parametrize("passed", [True, False])
async def test_the_page_runs_3d_secure_with_the_providers_script(
    sqlite_backend, start, browser, fake_stripe: LocalStripe, passed: bool
) -> None:
    run = await start(config_for(sqlite_backend, payments=stripe_payments(fake_stripe.base)))
    show = await factory.show(run, stocks=(5,))
    await factory.go_live(run, show.stream_id)
    body = {"product_id": show.product_ids[0], "idempotency_key": secrets.token_hex(8)}
    _, order = await run.call(
        "POST", f"/api/streams/{show.stream_id}/orders", show.viewer, json=body
    )
    card = {"payment_method": await fake_stripe.card(CARD_3DS)}
    status, waiting = await run.call(
        "POST", f"/api/orders/{order['id']}/pay", show.viewer, json=card
    )
    assert status == 202 and waiting["next_action"]["provider"] == "stripe", waiting

    context = await browser.new_context()
    _, me = await run.call("GET", "/api/me", show.viewer)
    await sign_in_context(context, run.url, show.viewer, me)
    page = await context.new_page()
    await page.goto(f"{run.url}/watch/{show.stream_id}")
    await page.evaluate(FINISH, waiting)
    button = "Complete authentication" if passed else "Fail authentication"
    await page.get_by_role("button", name=button).click()
    finished = await until(page, "window.finished")
    _, after = await run.call("GET", f"/api/orders/{order['id']}", show.viewer)
    if passed:
        assert finished == "paid" and after["payment_state"] == "paid"
    else:
        assert finished == "error: payment_declined" and after["payment_state"] == "failed"
    assert await page.evaluate("typeof window.Stripe") == "function"  # loaded by the page
