"""The marketplace's pages in Chromium (issue 18): a seller publishes an approval offer on the
seller desk, a host finds it on /offers with the filters and applies, is refused the product in
a line-up until the seller approves, then lines it up from the offers page and pins it in the
studio; a viewer's paid sale shows in both sides' monthly statements and the seller's CSV."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests import factory
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, screenshots, sign_in_context, until

pytestmark = pytest.mark.slow

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


async def signed_in_page(browser, run, token: str, viewport: dict, locale: str = "en-US"):
    _, me = await run.call("GET", "/api/me", token)
    context = await browser.new_context(viewport=viewport, accept_downloads=True, locale=locale)
    who = {"id": me["user_id"], "display_name": me["display_name"], "role": me["role"]}
    await sign_in_context(context, run.url, token, who)
    return await context.new_page(), me["user_id"]


async def test_an_approval_offer_from_publish_to_pin_and_statement(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    seller = await factory.account(run, "seller", name="Ola")
    status, _ = await run.call(
        "POST", "/api/sellers", seller, json={"name": "Len", "country": "PL"}
    )
    assert status == 201
    status, product = await run.call(
        "POST",
        "/api/products",
        seller,
        json={"title": "Linen dress", "price_minor": 2500, "currency": "EUR", "stock": 5},
    )
    assert status == 201, product
    host = await factory.account(run, "host", name="Mila Live")
    status, stream = await run.call(
        "POST", "/api/streams", host, json={"title": "Lato", "language": "pl", "product_ids": []}
    )
    assert status == 201, stream

    # The seller publishes a 12 % offer for the dress, Poland and Polish shows, on approval.
    desk, _ = await signed_in_page(browser, run, seller, DESK)
    await desk.goto(f"{run.url}/seller")
    await desk.wait_for_selector("#desk:not([hidden])")
    await until(desk, f"document.querySelector('#offer-product option[value=\"{product['id']}\"]')")
    await desk.select_option("#offer-product", str(product["id"]))
    await desk.fill("#offer-rate", "12")
    await desk.select_option("#offer-category", "fashion")
    await desk.fill("#offer-countries", "pl")
    await desk.check("#offer-lang-pl")
    await desk.select_option("#offer-join", "approval")
    await desk.click("#offer-form button[type=submit]")
    await desk.wait_for_selector(".offer-card[data-status=active]")
    _, mine = await run.call("GET", "/api/offers/mine", seller)
    [offer] = mine["offers"]
    assert (offer["product_id"], offer["rate_bp"], offer["category"]) == (
        product["id"],
        1200,
        "fashion",
    )
    assert (offer["countries"], offer["languages"], offer["join"]) == (["PL"], ["pl"], "approval")
    await assert_accessible(desk, "seller: an offer published")

    # The host filters the offers: 20 % or more finds none, 10 % or more finds the dress.
    market, host_id = await signed_in_page(browser, run, host, PHONE)
    await market.goto(f"{run.url}/offers")
    await market.wait_for_selector(f"#offer-{offer['id']}")
    await market.select_option("#f-category", "fashion")
    await market.select_option("#f-language", "pl")
    await market.select_option("#f-country", "PL")
    await market.fill("#f-rate", "20")
    await market.click("#filters button[type=submit]")
    await market.wait_for_selector("#offers-empty:not([hidden])")
    await market.fill("#f-rate", "10")
    await market.click("#filters button[type=submit]")
    card = f"#offer-{offer['id']}"
    await market.wait_for_selector(card)
    assert "12%" in await market.inner_text(f"{card} .offer-terms")
    await assert_accessible(market, "offers: the dress found")

    # The host applies (from Poland) and waits; meanwhile the line-up refuses the product.
    await market.select_option(f"#join-country-{offer['id']}", "PL")
    await market.click(f"{card} button.primary")
    await market.wait_for_selector(f"{card} .pill.member-pending")
    assert await market.inner_text(f"{card} .pill.member-pending") == "Waiting for approval"
    await market.wait_for_selector(
        f"#mine-list li[data-offer='{offer['id']}'][data-status=pending]"
    )
    lineup = f"/api/streams/{stream['id']}/lineup"
    status, refused = await run.call("PUT", lineup, host, json={"product_ids": [product["id"]]})
    assert status == 403 and refused["error"]["code"] == "product_not_joined", refused

    # The seller approves the applicant.
    await desk.click("#offers-refresh")
    member = f"#offer-{offer['id']} li[data-host='{host_id}']"
    await desk.wait_for_selector(f"{member}[data-status=pending]")
    await assert_accessible(desk, "seller: an applicant waiting")
    await desk.click(f"{member} button.primary")
    await desk.wait_for_selector(f"{member}[data-status=approved]")
    _, mine = await run.call("GET", "/api/offers/mine", host)
    assert [o["membership"] for o in mine["offers"]] == ["approved"]

    # Approved, the host lines the dress up from the offers page and pins it in the studio.
    await market.reload()
    await market.wait_for_selector(f"#lineup-add-{offer['id']}")
    await market.click(f"#lineup-add-{offer['id']}")
    await until(market, "document.querySelector('#toasts .toast.ok')")
    _, shown = await run.call("GET", f"/api/streams/{stream['id']}")
    assert [p["id"] for p in shown["lineup"]] == [product["id"]]
    await market.screenshot(path=screenshots(tmp_path) / "offers-joined.png", full_page=True)
    await assert_accessible(market, "offers: joined and lined up")
    await factory.go_live(run, stream["id"])
    studio, _ = await signed_in_page(browser, run, host, DESK)
    await studio.goto(f"{run.url}/studio/{stream['id']}")
    pin = f"#lineup li[data-product-id='{product['id']}'] .studio-pin"
    await studio.wait_for_selector(pin)
    await studio.click(pin)
    await until(
        studio, "(s) => document.querySelector(s).getAttribute('aria-pressed') === 'true'", pin
    )
    _, shown = await run.call("GET", f"/api/streams/{stream['id']}")
    assert shown["pinned_product_id"] == product["id"]

    # A viewer buys it: 12 % of 25.00 is earned this month, on both sides' statements.
    viewer = await factory.account(run)
    status, order = await run.call(
        "POST",
        f"/api/streams/{stream['id']}/orders",
        viewer,
        json={"product_id": product["id"], "idempotency_key": uuid.uuid4().hex, "pay": True},
    )
    assert status == 201 and order["status"] == "paid", order
    await market.reload()
    row = f"#st-rows tr[data-host='{host_id}']"
    await market.wait_for_selector(row)
    cells = await market.locator(f"{row} td").all_inner_texts()
    assert cells[0] == "Len" and "3.00" in cells[2] and "3.00" in cells[4], cells
    await desk.click("#st-form button[type=submit]")
    await desk.wait_for_selector(row)
    assert "Mila Live" in await desk.inner_text(row)
    await assert_accessible(desk, "seller: a statement")
    async with desk.expect_download() as download_info:
        await desk.click("#st-csv")
    path = await (await download_info.value).path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [(r["host"], r["currency"], r["earned_minor"], r["net_minor"]) for r in rows] == [
        ("Mila Live", "EUR", "300", "300")
    ], rows

    # A Polish browser reads the host's side in Polish, amounts in Polish notation.
    polish, _ = await signed_in_page(browser, run, host, PHONE, locale="pl-PL")
    await polish.goto(f"{run.url}/offers")
    await polish.wait_for_selector(row)
    assert await polish.inner_text(f"{card} .pill.member-approved") == "Dołączono"
    assert await polish.inner_text("#statements-title") == "Twoje zestawienia prowizji"
    assert "3,00" in await polish.inner_text(f"{row} td:nth-of-type(3)")
    await assert_accessible(polish, "offers: in Polish")


async def test_a_whole_shop_offer_joined_freely_lines_up_any_of_its_products(
    sqlite_backend, start, browser
) -> None:
    run = await start(config_for(sqlite_backend))
    seller = await factory.account(run, "seller")
    status, _ = await run.call(
        "POST", "/api/sellers", seller, json={"name": "Dom", "country": "PL"}
    )
    assert status == 201
    ids = []
    for title in ("Candle", "Vase"):
        status, product = await run.call(
            "POST",
            "/api/products",
            seller,
            json={"title": title, "price_minor": 1500, "currency": "EUR", "stock": 3},
        )
        assert status == 201, product
        ids.append(product["id"])
    offer_id = await factory.offer(run, seller, rate_bp=800, category="home", join="open")
    host = await factory.account(run, "host")
    status, stream = await run.call(
        "POST", "/api/streams", host, json={"title": "Dom", "language": "en", "product_ids": []}
    )
    assert status == 201, stream

    page, _ = await signed_in_page(browser, run, host, PHONE)
    await page.goto(f"{run.url}/offers")
    card = f"#offer-{offer_id}"
    await page.wait_for_selector(card)
    assert await page.inner_text(f"{card} h2") == "All of Dom"
    await page.click(f"{card} button.primary")  # join: open, a member at once
    await page.wait_for_selector(f"{card} .pill.member-approved")
    await page.select_option(f"#lineup-product-{offer_id}", str(ids[1]))
    await page.click(f"#lineup-add-{offer_id}")
    await until(page, "document.querySelector('#toasts').textContent.includes('in the line-up')")
    _, shown = await run.call("GET", f"/api/streams/{stream['id']}")
    assert [p["id"] for p in shown["lineup"]] == [ids[1]]
    await assert_accessible(page, "offers: a whole-shop offer joined")
