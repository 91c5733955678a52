"""The viewer page in a real browser (Chromium, driven by Playwright) on a phone's screen.

The show is the demo's (server/edge/demo.py): a ceramic set in PLN, an embroidered shirt in UAH,
earbuds in USD and a linen dress in EUR sold by size and colour. The host pins and runs deals
over its own Socket.IO connection; the page is checked for what a viewer sees: their language,
their locale's prices and plural forms, three pinned cards, a deal counting down on the
server's clock, buying from a card and from the cart, the show's states, and a dropped
connection healing by itself. Screenshots of each state go to `screenshots(tmp_path)`.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import datetime

import pytest

from server.core.payments.simulated_gateway import Fault
from server.edge.demo import ACCOUNTS, PASSWORD, seed
from server.edge.http.context import MEDIA, ROOM, SERVICES
from tests import factory, peers
from tests.conftest import config_for
from tests.test_end_to_end import whip
from tests.web.conftest import (
    assert_accessible,
    screenshots,
    sign_in,
    sign_in_context,
    until,
    until_equal,
)

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
MARKUP = "<img src=x onerror=window.pwned=1> Mug"
CARD_IDS = (
    "[...document.querySelectorAll('#pin-list .product-card')].map((c) => +c.dataset.productId)"
)
PAID = r"/^Bought · order #\d+ is paid$/"  # a card's or the cart's status once paid


@dataclass
class Show:
    run: object
    stream_id: int
    pour_over: int  # PLN 189.00, 25 in stock, titles en/pl/ru
    shirt: int  # UAH 2490.00, 12 in stock, titles uk/en/pl
    earbuds: int  # USD 49.99
    dress: int  # EUR 59.90 (L: 64.90), sizes S M L x colours sand sage navy
    tokens: dict
    users: dict

    @property
    def url(self) -> str:
        return f"{self.run.url}/watch/{self.stream_id}"


async def demo_show(run) -> Show:
    stream_id = (await seed(run.app)).stream_id
    tokens, users = {}, {}
    for role, email in ACCOUNTS.items():
        status, body = await run.call(
            "POST", "/api/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert status == 200, body
        tokens[role], users[role] = body["token"], body["user"]
    _, stream = await run.call("GET", f"/api/streams/{stream_id}")
    ids = [p["id"] for p in stream["lineup"]]
    return Show(run, stream_id, *ids, tokens=tokens, users=users)


async def host_room(show: Show):
    """The host's own connection to the room, to pin products and run deals."""
    client = await show.run.sio(show.tokens["host"])
    ack = await client.call("join", {"stream_id": show.stream_id})
    assert ack["ok"], ack
    return client


async def pin(host, *product_ids: int) -> None:
    for product_id in product_ids:
        ack = await host.call("pin_product", {"product_id": product_id})
        assert ack["ok"], ack


async def set_stock(show: Show, product_id: int, stock: int) -> None:
    status, body = await show.run.call(
        "PATCH", f"/api/products/{product_id}", show.tokens["seller"], json={"stock": stock}
    )
    assert status == 200, body


async def open_page(browser, show: Show, locale: str = "en-US", session: tuple | None = None):
    """A phone-sized page; `session` (token, user) is signed in beforehand, as the page keeps it
    (the cookies and who it is)."""
    context = await browser.new_context(viewport=PHONE, locale=locale)
    if session is not None:
        token, who = session
        await sign_in_context(context, show.run.url, token, who)
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    await page.goto(show.url)
    await until(page, "document.querySelector('#status').textContent !== '…'")
    return page


async def wait_cards(page, count: int) -> None:
    await until(page, f"{CARD_IDS}.length === {count}")


def card(page, product_id: int):
    return page.locator(f'#pin-list .product-card[data-product-id="{product_id}"]')


async def wait_text(page, selector: str, expected: str) -> None:
    """Wait until the element's text (spaces of any kind made plain) is `expected`."""
    await until(
        page,
        """([selector, expected]) => {
            const node = document.querySelector(selector);
            return node && node.textContent.replace(/\\s+/g, ' ').trim() === expected;
        }""",
        arg=[selector, expected],
    )


async def intl_price(page, locale: str, currency: str, major: float) -> str:
    return await page.evaluate(
        "([l, c, v]) => new Intl.NumberFormat(l, {style: 'currency', currency: c}).format(v)",
        [locale, currency, major],
    )


def plain(text: str) -> str:
    """Intl puts no-break (and narrow no-break) spaces in prices: compare them as spaces."""
    return re.sub(r"\s", " ", text.replace("\u202f", " ")).strip()


def seconds(countdown: str) -> int:
    minutes, secs = re.search(r"(\d+):(\d\d)", countdown).groups()
    return int(minutes) * 60 + int(secs)


async def test_the_viewer_page_in_french(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    host = await host_room(show)
    await pin(host, show.dress, show.pour_over)

    page = await open_page(browser, show, locale="fr-FR")
    await wait_cards(page, 2)
    assert await page.evaluate("document.documentElement.lang") == "fr"
    await wait_text(page, "#status", "EN DIRECT")
    await wait_text(page, "#viewers", "2 spectateurs")  # the page and the host
    assert await page.get_attribute("#message", "placeholder") == "Écrivez un message…"

    dress = card(page, show.dress)
    assert await dress.locator(".card-title").text_content() == "Robe d'été en lin"
    price = await dress.locator(".card-price").text_content()
    assert price == await intl_price(page, "fr-FR", "EUR", 59.90)
    assert plain(price) == "59,90 €"
    assert await dress.locator(".stock").text_content() == "Plus que 3"  # S, sand
    assert await dress.locator(".buy").text_content() == "Acheter"
    assert await dress.locator("legend").all_text_contents() == ["size", "colour"]
    await dress.locator("label.chip", has_text="L").click()  # the large size costs more
    await until(
        page,
        f"""document.querySelector('[data-product-id="{show.dress}"] .card-price')
            .textContent === {json.dumps(await intl_price(page, "fr-FR", "EUR", 64.90))}""",
    )
    assert await dress.locator(".stock").text_content() == "7 en stock"  # L, sand: 3 + 2*2
    pour = card(page, show.pour_over)
    assert await pour.locator(".card-title").text_content() == "Ceramic pour-over set"  # no fr
    assert plain(await pour.locator(".card-price").text_content()) == "189,00 PLN"
    await page.screenshot(path=screenshots(tmp_path) / "watch-fr.png")
    await assert_accessible(page, "watch: live, in French, two cards, a size chosen")
    assert page.errors == []


async def test_the_viewer_page_in_polish(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    await set_stock(show, show.pour_over, 2)
    await set_stock(show, show.shirt, 5)
    host = await host_room(show)
    totals = []
    host.on("likes", lambda payload: totals.append(payload["total"]))
    await pin(host, show.pour_over, show.shirt)
    _, guest = await run.call("POST", "/api/auth/guest", json={"display_name": "Gość Ola"})

    page = await open_page(browser, show, locale="pl-PL", session=(guest["token"], guest["user"]))
    await wait_cards(page, 2)
    await wait_text(page, "#status", "NA ŻYWO")
    await wait_text(page, "#viewers", "2 widzów")
    pour, shirt = card(page, show.pour_over), card(page, show.shirt)
    assert await pour.locator(".card-title").text_content() == (
        "Zestaw ceramiczny do parzenia przelewowego"
    )
    price = await pour.locator(".card-price").text_content()
    assert price == await intl_price(page, "pl-PL", "PLN", 189)
    assert plain(price) == "189,00 zł"
    assert await shirt.locator(".card-title").text_content() == "Haftowana koszula wyszywanka"
    assert plain(await shirt.locator(".card-price").text_content()) == "2490,00 UAH"
    # Polish has three plural forms: 2 "sztuki", 5 "sztuk"
    assert await pour.locator(".stock").text_content() == "Zostały tylko 2 sztuki"
    assert await shirt.locator(".stock").text_content() == "Zostało tylko 5 sztuk"
    assert await pour.locator(".buy").text_content() == "Kup teraz"

    for _ in range(2):
        await page.click("#like")
    await wait_text(page, "#likes", "2 polubienia")
    for _ in range(3):
        await page.click("#like")
    await wait_text(page, "#likes", "5 polubień")
    for _ in range(100):  # the room counted them: its tick says 5
        if totals and totals[-1] == 5:
            break
        await asyncio.sleep(0.1)
    assert totals[-1] == 5, totals
    await page.screenshot(path=screenshots(tmp_path) / "watch-pl.png")
    await assert_accessible(page, "watch: in Polish, hearts floating")

    await page.select_option("#language", "en")  # strings and prices follow the switch
    await wait_text(page, f'[data-product-id="{show.pour_over}"] .stock', "Only 2 left")
    assert await pour.locator(".card-price").text_content() == await intl_price(
        page, "en", "PLN", 189
    )
    assert await pour.locator(".card-title").text_content() == "Ceramic pour-over set"
    await wait_text(page, "#likes", "5 likes")
    assert await page.text_content("#status") == "LIVE"
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.screenshot(path=screenshots(tmp_path) / "watch-pl-to-en.png")
    assert page.errors == []


async def test_three_pins_are_three_cards_and_product_markup_stays_text(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    status, mug = await run.call(
        "POST",
        "/api/products",
        show.tokens["seller"],
        json={"title": MARKUP, "price_minor": 1500, "currency": "EUR", "stock": 4},
    )
    assert status == 201, mug
    lineup = [show.pour_over, show.shirt, show.earbuds, show.dress, mug["id"]]
    status, body = await run.call(
        "PUT",
        f"/api/streams/{show.stream_id}/lineup",
        show.tokens["host"],
        json={"product_ids": lineup},
    )
    assert status == 200, body
    host = await host_room(show)
    page = await open_page(browser, show)

    await pin(host, show.pour_over, show.shirt, show.earbuds)
    await wait_cards(page, 3)
    assert await page.evaluate(CARD_IDS) == [show.pour_over, show.shirt, show.earbuds]
    await page.screenshot(path=screenshots(tmp_path) / "watch-three-pins.png")
    await assert_accessible(page, "watch: three pinned cards")

    await pin(host, mug["id"])  # a fourth pin unpins the oldest
    await until_equal(page, CARD_IDS, [show.shirt, show.earbuds, mug["id"]])
    assert await page.evaluate(CARD_IDS) == [show.shirt, show.earbuds, mug["id"]]
    assert await card(page, mug["id"]).locator(".card-title").text_content() == MARKUP
    assert await page.evaluate("window.pwned === undefined")
    assert await page.locator("#pin-list .card-title img").count() == 0
    await card(page, mug["id"]).scroll_into_view_if_needed()
    await page.screenshot(path=screenshots(tmp_path) / "watch-markup.png")

    ack = await host.call("unpin_product", {"product_id": show.shirt})
    assert ack["ok"], ack
    await wait_cards(page, 2)
    assert page.errors == []


async def test_a_flash_deal_counts_down_on_the_servers_clock(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    host = await host_room(show)
    await pin(host, show.pour_over)
    page = await open_page(browser, show)
    await page.clock.set_system_time(datetime(2001, 1, 1))  # the device's clock is way off

    ack = await host.call(
        "start_deal",
        {"product_id": show.pour_over, "price_minor": 14900, "duration_s": 90, "quantity": 10},
    )
    assert ack["ok"], ack
    pour = card(page, show.pour_over)
    timer = f'[data-product-id="{show.pour_over}"] .deal-timer'
    await page.wait_for_selector(timer)
    first = seconds(await page.text_content(timer))
    assert 80 <= first <= 90, first
    assert await page.text_content(timer) == f"ends in {first // 60}:{first % 60:02d}"
    await until(
        page,
        """([selector, first]) => {
            const m = document.querySelector(selector).textContent.match(/(\\d+):(\\d\\d)/);
            return m && +m[1] * 60 + +m[2] < first;
        }""",
        arg=[timer, first],
    )
    assert await pour.locator(".card-price").text_content() == await intl_price(
        page, "en-US", "PLN", 149
    )
    assert plain(await pour.locator(".card-regular").text_content()) == "PLN 189.00"
    assert await pour.locator(".deal-left").text_content() == "10 left at this price"

    status, _ = await run.call(
        "POST",
        f"/api/streams/{show.stream_id}/orders",
        show.tokens["viewer"],
        json={"product_id": show.pour_over, "quantity": 1, "idempotency_key": "deal-buyer-1"},
    )
    assert status == 201
    await wait_text(page, f"{timer.removesuffix('.deal-timer')}.deal-left", "9 left at this price")
    await page.screenshot(path=screenshots(tmp_path) / "watch-deal.png")
    await assert_accessible(page, "watch: a flash deal counting down")

    ack = await host.call("end_deal", {"deal_id": ack["deal"]["id"]})
    assert ack["ok"], ack
    await wait_text(page, f'[data-product-id="{show.pour_over}"] .deal-label', "Flash deal ended")
    assert plain(await pour.locator(".card-price").text_content()) == "PLN 189.00"
    assert await pour.locator(".card-regular").is_hidden()
    await page.screenshot(path=screenshots(tmp_path) / "watch-deal-ended.png")
    await assert_accessible(page, "watch: the flash deal ended")
    assert page.errors == []


async def test_buying_from_a_card_and_from_the_cart(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    host = await host_room(show)
    await pin(host, show.pour_over, show.dress)
    page = await open_page(browser, show)
    pour, dress = card(page, show.pour_over), card(page, show.dress)
    await pour.wait_for()

    # Buy now asks who you are first, then goes on; the first card is declined.
    run.app[SERVICES].lifecycle.gateway.inject(Fault.DECLINE)
    await pour.locator(".buy").click()
    await page.wait_for_selector("dialog[open] #signin-email")
    await assert_accessible(page, "watch: buy now asks who you are")
    await sign_in(page, ACCOUNTS["viewer"])
    status_line = f'[data-product-id="{show.pour_over}"] .card-status'
    await wait_text(page, status_line, "Your card was declined. Nothing was charged.")
    await wait_text(page, "#account", "Viewer Ana")
    await pour.locator(".buy").click()  # a new purchase: a new key
    await until(page, f"{PAID}.test(document.querySelector({json.dumps(status_line)}).textContent)")
    await wait_text(page, f'[data-product-id="{show.pour_over}"] .stock', "24 in stock")
    await page.screenshot(path=screenshots(tmp_path) / "watch-bought.png")
    await assert_accessible(page, "watch: signed in, bought from a card")

    # Add to cart: size M in sage, twice as many in the sheet, then pay.
    await dress.locator("label.chip", has_text="M").click()
    await dress.locator("label.chip", has_text="sage").click()
    await dress.locator(".cart-add").click()
    await wait_text(page, f'[data-product-id="{show.dress}"] .card-status', "Added to your cart")
    await wait_text(page, "#cart-count", "1")
    await page.click("#cart-button")
    line = page.locator("#cart-lines .cart-line")
    await line.wait_for()
    assert plain(await line.inner_text()).startswith("Linen summer dress M · sage €59.90")
    await line.get_by_role("button", name="One more").click()
    await wait_text(page, "#cart-total", "€119.80")
    await page.screenshot(path=screenshots(tmp_path) / "watch-cart.png")
    await assert_accessible(page, "watch: the cart sheet with a line")
    await page.click("#checkout")
    await until(page, f"{PAID}.test(document.querySelector('#cart-status').textContent)")
    assert await page.is_visible("#cart-empty")
    assert await page.is_hidden("#cart-count")
    await page.screenshot(path=screenshots(tmp_path) / "watch-cart-paid.png")
    await assert_accessible(page, "watch: the cart paid")

    _, body = await run.call("GET", "/api/orders", show.tokens["viewer"])
    orders = sorted(body["orders"], key=lambda o: o["id"])
    assert [(o["status"], o["payment_state"]) for o in orders] == [
        ("cancelled", "failed"),
        ("paid", "paid"),
        ("paid", "paid"),
    ]
    assert len({o["idempotency_key"] for o in orders}) == 3
    assert [(line["sku"], line["quantity"]) for line in orders[2]["lines"]] == [("DRESS-SGE-M", 2)]
    assert page.errors == []


async def test_not_live_yet_host_reconnecting_and_ended(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)  # scheduled an hour from now
    host = await host_room(show)
    await pin(host, show.pour_over)
    page = await open_page(browser, show)

    await wait_text(page, "#stage-heading", "Not live yet")
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    when = await page.evaluate(
        """(iso) => new Intl.DateTimeFormat('en-US', {dateStyle: 'medium', timeStyle: 'short'})
            .format(new Date(/Z|[+-]\\d\\d:\\d\\d$/.test(iso) ? iso : iso + 'Z'))""",
        stream["scheduled_at"],
    )
    detail = await page.text_content("#stage-detail")
    assert detail == f"Starts {when} · in 1 hour"
    assert await page.text_content("#status") == "Scheduled"
    await page.screenshot(path=screenshots(tmp_path) / "watch-not-live.png")
    await assert_accessible(page, "watch: before the show")

    await factory.go_live(run, show.stream_id)
    await run.app[SERVICES].streams.publisher_connected(show.stream_id)
    await wait_text(page, "#status", "LIVE")
    await run.app[SERVICES].streams.publisher_dropped(show.stream_id)
    await wait_text(page, "#stage-heading", "The host is reconnecting…")
    await page.screenshot(path=screenshots(tmp_path) / "watch-host-reconnecting.png")
    await assert_accessible(page, "watch: the host reconnecting")

    status, _ = await run.call("POST", f"/api/streams/{show.stream_id}/end", show.tokens["host"])
    assert status == 200
    await wait_text(page, "#stage-heading", "This show has ended")
    assert await page.text_content("#stage-detail") == "Thanks for watching!"
    assert await page.text_content("#status") == "Ended"
    assert await page.is_disabled("#message")
    assert await card(page, show.pour_over).locator(".buy").is_disabled()
    await page.screenshot(path=screenshots(tmp_path) / "watch-ended.png")
    await assert_accessible(page, "watch: the show ended")
    assert page.errors == []


async def test_a_dropped_connection_rejoins_and_refreshes_by_itself(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    host = await host_room(show)
    await pin(host, show.pour_over)
    page = await open_page(browser, show)
    stock = f'[data-product-id="{show.pour_over}"] .stock'
    await wait_text(page, stock, "25 in stock")
    await page.evaluate(
        """window.banner = false;
        const banner = document.querySelector('#net-banner');
        new MutationObserver(() => { window.banner ||= !banner.hidden; })
            .observe(banner, {attributes: true});"""
    )

    await set_stock(show, show.pour_over, 3)  # a change the room does not announce
    await run.app[ROOM].server.eio.disconnect()  # every connection drops, as in a network blip
    await until(page, "window.banner === true")
    await assert_accessible(page, "watch: the connection lost")
    await wait_text(page, stock, "Only 3 left")  # joined again, with the show as it is now
    await until(page, "document.querySelector('#net-banner').hidden")
    assert page.errors == []


# Every WHEP session the page opens, kept for the test.
WHEP_SPY = """
window.__whep = [];
const nativeFetch = window.fetch.bind(window);
window.fetch = async (...args) => {
  const response = await nativeFetch(...args);
  if (String(args[0]).includes("/whep/") && response.status === 201) {
    window.__whep.push(response.headers.get("Location"));
  }
  return response;
};
"""
FRAMES = "document.querySelector('#video').getVideoPlaybackQuality().totalVideoFrames"


async def test_the_video_starts_with_the_show_and_comes_back_after_a_drop(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    context = await browser.new_context(viewport=PHONE)
    await context.add_init_script(WHEP_SPY)
    page = await context.new_page()
    await page.goto(show.url)
    await wait_text(page, "#stage-heading", "Not live yet")

    _, key = await run.call("GET", f"/api/streams/{show.stream_id}/key", show.tokens["host"])
    publisher, offer = await peers.publisher_offer("vp8")
    status, answer, _ = await whip(run, show.stream_id, key["stream_key"], offer)
    assert status == 201
    await peers.accept(publisher, answer)
    try:
        # The room says "live": the page asks for the video at once and the note goes.
        await until(page, f"{FRAMES} > 10", timeout=20_000)
        await until(page, "document.querySelector('#stage-note').hidden")
        await page.screenshot(path=screenshots(tmp_path) / "watch-live.png")
        await assert_accessible(page, "watch: live video playing")

        # The relay drops the page's session (as a network blip would): a new one, by itself.
        first = await page.evaluate("window.__whep[0]")
        await run.app[MEDIA].unwatch(str(show.stream_id), first.rsplit("/", 1)[1])
        await until(page, "window.__whep.length >= 2", timeout=20_000)
        seen = await page.evaluate(FRAMES)
        await until(page, f"{FRAMES} > {seen + 10}", timeout=20_000)
        await until(page, "document.querySelector('#stage-note').hidden")
    finally:
        await publisher.close()
