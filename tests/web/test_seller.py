"""The seller desk (/seller) in Chromium: open a shop, list a product with two variants and a
Polish title, edit a variant's stock, see orders a viewer placed and paid through the API,
fulfil one and refund another, and read the commission owed to the show's host; a Ukrainian
browser gets the desk in Ukrainian with Ukrainian prices."""

from __future__ import annotations

import pytest

from server.edge.demo import ACCOUNTS, PASSWORD, seed
from tests import factory
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, screenshots, sign_in, until

pytestmark = pytest.mark.slow

DESK = {"width": 1280, "height": 900}


async def new_seller(run, email: str) -> None:
    status, body = await run.call(
        "POST",
        "/api/accounts",
        json={"email": email, "password": PASSWORD, "display_name": "Ola", "role": "seller"},
    )
    assert status == 201, body


async def buy(run, viewer: str, stream_id: int, product_id: int, sku: str, quantity: int) -> dict:
    status, order = await run.call(
        "POST",
        f"/api/streams/{stream_id}/orders",
        viewer,
        json={
            "product_id": product_id,
            "sku": sku,
            "quantity": quantity,
            "idempotency_key": f"desk-{sku}-{quantity}",
            "pay": True,
        },
    )
    assert status == 201 and order["status"] == "paid", order
    return order


async def test_a_seller_runs_their_shop(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    await new_seller(run, "ola@example.test")
    page = await (await browser.new_context(viewport=DESK)).new_page()
    await page.goto(f"{run.url}/seller")
    await page.wait_for_selector("dialog[open] #signin-email")
    await assert_accessible(page, "seller: the sign-in dialog")
    await sign_in(page, "ola@example.test")
    await page.wait_for_selector("#open-shop:not([hidden])")
    await assert_accessible(page, "seller: no shop yet")

    # No shop yet: open one, with a default host commission of 10 %.
    await page.fill("#new-shop-name", "Pracownia Oli")
    await page.select_option("#new-shop-country", "PL")
    await page.click("#open-shop-form button[type=submit]")
    await page.wait_for_selector("#desk:not([hidden])")
    assert await page.inner_text("#shop-title") == "Pracownia Oli"
    await page.fill("#shop-commission", "10")
    await page.click("#shop-form button[type=submit]")
    await until(page, "document.querySelector('#shop-meta').textContent.includes('10%')")
    await assert_accessible(page, "seller: the desk of a new shop")

    # A product with a Polish title (Polish is its main language) and two sizes.
    await page.click("#new-product")
    await page.select_option("#pf-language", "pl")
    await page.fill("#pf-title-pl", "Lniana sukienka")
    await page.fill("#pf-title-en", "Linen dress")
    await page.fill("#pf-description-pl", "Lekka sukienka z lnu.")
    await page.fill("#pf-price", "59,90")
    await page.select_option("#pf-currency", "PLN")
    await page.fill("#pf-option-name-0", "rozmiar")
    await page.fill("#pf-option-values-0", "S, M")
    await page.wait_for_selector("#pf-variants tbody tr:nth-child(2)")
    await page.fill("#pf-sku-0", "SUK-S")
    await page.fill("#pf-variant-stock-0", "3")
    await page.fill("#pf-sku-1", "SUK-M")
    await page.fill("#pf-variant-stock-1", "5")
    await page.fill("#pf-variant-price-1", "64,90")
    await page.screenshot(path=screenshots(tmp_path) / "seller-new-product.png", full_page=True)
    await assert_accessible(page, "seller: the product form with two variants")
    await page.click("#pf-save")
    card = page.locator(".product-card", has_text="Linen dress")
    await card.wait_for()
    product_id = int((await card.get_attribute("id")).removeprefix("product-"))
    status, product = await run.call("GET", f"/api/products/{product_id}")
    assert status == 200 and product["language"] == "pl"
    assert product["titles"] == {"pl": "Lniana sukienka", "en": "Linen dress"}
    assert product["descriptions"] == {"pl": "Lekka sukienka z lnu."}
    assert product["price_minor"] == 5990 and product["currency"] == "PLN"
    variants = {v["sku"]: v for v in product["variants"]}
    assert {s: (v["options"], v["stock"], v["price_minor"]) for s, v in variants.items()} == {
        "SUK-S": ({"rozmiar": "S"}, 3, 5990),
        "SUK-M": ({"rozmiar": "M"}, 5, 6490),
    }

    # Stock edited in place, saved with Enter.
    stock = f"#stock-{product_id}-SUK-S"
    await page.fill(stock, "7")
    await page.press(stock, "Enter")
    total_stock = f"#product-{product_id} .total-stock"
    await until(page, f"document.querySelector('{total_stock}').textContent === '12 in stock'")
    _, product = await run.call("GET", f"/api/products/{product_id}")
    assert {v["sku"]: v["stock"] for v in product["variants"]} == {"SUK-S": 7, "SUK-M": 5}

    # A host puts it in a live show; a viewer buys and pays twice.
    host = await factory.account(run, "host", name="Mila Live")
    status, stream = await run.call(
        "POST",
        "/api/streams",
        host,
        json={"title": "Lato na żywo", "language": "pl", "product_ids": [product_id]},
    )
    assert status == 201, stream
    await factory.go_live(run, stream["id"])
    viewer = await factory.account(run)
    shipped = await buy(run, viewer, stream["id"], product_id, "SUK-S", 1)
    refunded = await buy(run, viewer, stream["id"], product_id, "SUK-M", 2)

    # The desk lists both; one is fulfilled, the other refunded (after confirming).
    await page.click("#orders-refresh")
    row = f"#order-{shipped['id']}"
    await page.wait_for_selector(f"{row}[data-status=paid]")
    total = await page.evaluate(
        "new Intl.NumberFormat(navigator.language, {style: 'currency', currency: 'PLN'})"
        ".format(129.8)"
    )
    assert total in await page.inner_text(f"#order-{refunded['id']}")
    assert "Lato na żywo" in await page.inner_text(row)
    await page.click(f"{row} button.fulfil")
    await page.wait_for_selector(f"{row}[data-status=fulfilled]")
    await page.click(f"#order-{refunded['id']} button.refund")
    await page.wait_for_selector("#confirm[open]")
    await assert_accessible(page, "seller: confirming a refund")
    await page.click("#confirm-ok")
    await page.wait_for_selector(f"#order-{refunded['id']}[data-status=refunded]")
    _, order = await run.call("GET", f"/api/orders/{refunded['id']}", viewer)
    assert order["status"] == "refunded"

    # The ledger: the host is owed 10 % of the sale that stands (5.99 PLN), the refund reversed.
    owed = await page.evaluate(
        "new Intl.NumberFormat(navigator.language, {style: 'currency', currency: 'PLN'})"
        ".format(5.99)"
    )
    ledger_row = page.locator("#ledger-rows tr", has_text="Mila Live")
    await ledger_row.locator("td.owed", has_text=owed).wait_for()
    cells = await ledger_row.locator("td").all_inner_texts()
    assert cells[:2] == ["2", "1"]  # sale lines, refunded lines
    await page.select_option("#ledger-period", "month")
    await page.wait_for_selector("#ledger-head th:nth-child(6)")  # a Period column now
    assert await page.locator("#ledger-rows tr", has_text="Mila Live").count() == 1
    await page.screenshot(path=screenshots(tmp_path) / "seller-desk.png", full_page=True)
    await assert_accessible(page, "seller: orders, the ledger by month")


async def test_the_desk_in_ukrainian(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    await seed(run.app)
    context = await browser.new_context(viewport=DESK, locale="uk-UA")
    page = await context.new_page()
    await page.goto(f"{run.url}/seller")
    await sign_in(page, ACCOUNTS["seller"])
    await page.wait_for_selector("#desk:not([hidden])")
    assert await page.evaluate("document.documentElement.lang") == "uk"
    assert await page.inner_text("#products-title") == "Товари"
    assert await page.inner_text("#orders-title") == "Замовлення"
    assert await page.inner_text("#ledger-title") == "Комісії до виплати ведучим"
    card = page.locator(".product-card", has_text="Вишиванка з ручною вишивкою")
    await card.wait_for()
    price = await page.evaluate(
        "new Intl.NumberFormat('uk-UA', {style: 'currency', currency: 'UAH'}).format(2490)"
    )
    assert price in await card.locator(".price").inner_text()
    assert await card.locator(".total-stock").inner_text() == "12 штук в наявності"
    await page.click("#new-product")
    assert await page.inner_text("#pf-save") == "Створити товар"
    await page.screenshot(path=screenshots(tmp_path) / "seller-uk.png", full_page=True)
    await assert_accessible(page, "seller: in Ukrainian, the product form open")
