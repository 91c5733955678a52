"""A buyer's way through the pages in Chromium (issue 18): sign up, save a Polish address on
the account page, see on the viewer page that one pinned product's shop does not ship to Poland
(before any tap), buy the other from the cart with a coupon and the address, and find the order
in "My orders" with its address and shipping fee."""

from __future__ import annotations

import pytest

from tests import factory
from tests.conftest import config_for
from tests.web.conftest import PASSWORD, assert_accessible, screenshots, until

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
PAID = r"/^Bought · order #\d+ is paid$/"


async def shop(run, name: str, title: str, price_minor: int, ships_to: str) -> tuple[str, int]:
    """A seller's shop with one product, shipping only to `ships_to` for 9.90 EUR."""
    seller = await factory.account(run, "seller")
    assert (await run.call("POST", "/api/sellers", seller, json={"name": name, "country": "PL"}))[
        0
    ] == 201
    status, product = await run.call(
        "POST",
        "/api/products",
        seller,
        json={"title": title, "price_minor": price_minor, "currency": "EUR", "stock": 5},
    )
    assert status == 201, product
    rates = [{"country": ships_to, "fee_minor": 990, "currency": "EUR"}]
    status, body = await run.call("PUT", "/api/seller/shipping", seller, json={"rates": rates})
    assert status == 200, body
    return seller, product["id"]


async def test_a_new_buyer_buys_with_an_address_and_a_coupon(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    seller, bag = await shop(run, "Len", "Linen bag", 4000, ships_to="PL")
    _, scarf = await shop(run, "Laine", "Wool scarf", 2500, ships_to="FR")
    status, coupon = await run.call(
        "POST", "/api/coupons", seller, json={"code": "LATO10", "percent_bp": 1000}
    )
    assert status == 201, coupon
    host = await factory.account(run, "host")
    status, stream = await run.call(
        "POST",
        "/api/streams",
        host,
        json={"title": "Lato", "language": "pl", "product_ids": [bag, scarf]},
    )
    assert status == 201, stream
    await factory.go_live(run, stream["id"])
    room = await run.sio(host)
    assert (await room.call("join", {"stream_id": stream["id"]}))["ok"]
    for product_id in (bag, scarf):
        assert (await room.call("pin_product", {"product_id": product_id}))["ok"]

    # Sign up, then a Polish address: its postal code is written the Polish way.
    page = await (await browser.new_context(viewport=PHONE, locale="en-US")).new_page()
    await page.goto(f"{run.url}/signup?next=/account")
    await page.fill("#signup-name", "Zofia")
    await page.fill("#signup-email", "zofia@example.test")
    await page.fill("#signup-password", PASSWORD)
    await page.click("#signup-form button[type=submit]")
    await page.wait_for_url(f"{run.url}/account")
    await page.wait_for_selector("#address-form")
    await page.select_option("#address-country", "PL")
    await page.fill("#address-name", "Zofia Nowak")
    await page.fill("#address-line1", "ul. Długa 5")
    await page.fill("#address-city", "Warszawa")
    await page.fill("#address-postal", "00950")
    await page.click("#address-save")
    await page.wait_for_selector("#addresses li.address")
    assert "00-950 Warszawa" in await page.inner_text("#addresses li.address")
    await assert_accessible(page, "account: an address saved")

    # The viewer page says before any tap that the scarf's shop does not ship to Poland.
    await page.goto(f"{run.url}/watch/{stream['id']}")
    await page.wait_for_selector("#ship-notice:not([hidden])")
    assert await page.inner_text("#ship-notice") == "Does not ship to Poland: Wool scarf"
    await assert_accessible(page, "watch: does not ship to Poland")

    # The bag goes in the cart; the sheet takes the coupon and ships to the saved address.
    bag_card = page.locator(f'#pin-list .product-card[data-product-id="{bag}"]')
    await bag_card.locator(".cart-add").click()
    await until(page, "document.querySelector('#cart-count').textContent === '1'")
    await page.click("#cart-button")
    await page.wait_for_selector("#cart-lines .cart-line")
    await until(page, "document.querySelector('#checkout-fees').textContent !== ''")
    assert await page.inner_text("#checkout-fees") == "Shipping to Poland: €9.90"
    assert "Warszawa" in await page.inner_text("#checkout-address option:checked")
    await page.fill("#checkout-coupon", "LATO10")
    await page.screenshot(path=screenshots(tmp_path) / "watch-checkout-options.png")
    await assert_accessible(page, "watch: the cart with a coupon and an address")
    await page.click("#checkout")
    await until(page, f"{PAID}.test(document.querySelector('#cart-status').textContent)")

    # 40.00 less 10 % is 36.00, and 9.90 shipping to Warszawa: "My orders" shows it.
    await page.goto(f"{run.url}/orders")
    order = page.locator("#orders li.order").first
    await order.wait_for()
    text = await order.inner_text()
    assert "00-950 Warszawa" in text and "€9.90" in text and "€45.90" in text, text
    await assert_accessible(page, "orders: the order with its shipping")
