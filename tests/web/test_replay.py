"""The replay of an ended show in a real browser (Chromium, driven by Playwright).

A show runs over real Socket.IO clients (the host pins one product, then the other, viewers
chat), ends, and its recording (real H.264 and Opus remuxed by the recorder) is stored as the
media service stores one. The viewer page then plays the replay through its signed link: the
video advances, a chapter click seeks, the card follows the playhead, the chat replays in
order with the playhead, and a buy from the card makes an order of the show marked `replay`.
The home page lists it among the recent replays."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from tests import factory
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.server.edge.test_replays import record_show
from tests.web.conftest import (
    assert_accessible,
    screenshots,
    sign_in_context,
    until,
    until_equal,
)

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
CARD_IDS = (
    "[...document.querySelectorAll('#pin-list .product-card')].map((c) => +c.dataset.productId)"
)
CHAT = "[...document.querySelectorAll('#chat .chat-line .text')].map((n) => n.textContent)"
TIME = "document.querySelector('#video').currentTime"
PAID = r"/^Bought · order #\d+ is paid$/"


async def run_show(run, tmp_path):
    """Live: product 0 pinned, a line, then product 1 instead, another line; ended; recorded."""
    show = await factory.show(run, stocks=(5, 4))
    first, second = show.product_ids
    await factory.go_live(run, show.stream_id)
    host, _, _ = await joined(run, show.host, show.stream_id)
    viewer, _, _ = await joined(run, show.viewer2, show.stream_id)
    assert (await host.call("pin_product", {"product_id": first}))["ok"]
    assert (await viewer.call("send_message", {"text": "first line"}))["ok"]
    deal = {"product_id": first, "price_minor": 999, "duration_s": 60, "quantity": 2}
    status, body = await run.call(
        "POST", f"/api/streams/{show.stream_id}/deals", show.host, json=deal
    )
    assert status == 201, body
    await asyncio.sleep(1.5)  # chapters long enough to land in by a click
    assert (await host.call("unpin_product", {"product_id": first}))["ok"]
    assert (await host.call("pin_product", {"product_id": second}))["ok"]
    assert (await viewer.call("send_message", {"text": "second line"}))["ok"]
    await asyncio.sleep(1.5)
    assert (await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host))[0] == 200
    for client in (host, viewer):
        await client.disconnect()
    await record_show(run, show.stream_id, tmp_path / "recordings", seconds=6)
    return show


async def open_signed_in(browser, run, url: str, token: str):
    _, me = await run.call("GET", "/api/me", token)
    who = {"id": me["user_id"], "display_name": me["display_name"], "role": me["role"]}
    context = await browser.new_context(viewport=PHONE, locale="en-US")
    await sign_in_context(context, run.url, token, who)
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    await page.goto(url)
    return page


async def seek_by_chapter(page, index: int) -> None:
    """Click the chapter, then hold the picture there (the assertions read that moment)."""
    await page.locator("#chapter-list .chapter").nth(index).click()
    await page.evaluate("document.querySelector('#video').pause()")


async def test_the_replay_plays_seeks_follows_and_sells(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await run_show(run, tmp_path)
    first, second = show.product_ids
    _, replay = await run.call("GET", f"/api/streams/{show.stream_id}/replay")
    chapters = replay["chapters"]
    assert [c["product_id"] for c in chapters] == [first, second]
    _, chat = await run.call("GET", f"/api/streams/{show.stream_id}/replay/chat")
    said = {m["text"]: m["offset_ms"] for m in chat["messages"]}

    page = await open_signed_in(browser, run, f"{run.url}/watch/{show.stream_id}", show.viewer)
    await until(page, "document.body.dataset.mode === 'replay'")
    await until_equal(page, "document.querySelector('#status').textContent", "Replay")
    assert await page.is_hidden("#stage-note")  # no "this show has ended"
    src = await page.evaluate("document.querySelector('#video').getAttribute('src')")
    assert "/replay/media?" in src and "signature=" in src

    # The video plays: its time moves on.
    await until(page, f"{TIME} > 0.5")
    titles = await page.locator("#chapter-list .chapter-title").all_inner_texts()
    assert titles == ["Product 0", "Product 1"]
    assert await page.inner_text("#chapter-count") == "2 products"
    await page.screenshot(path=screenshots(tmp_path) / "replay-playing.png")
    await assert_accessible(page, "replay: playing")

    # A chapter click seeks there; the card and the chat follow the playhead.
    await seek_by_chapter(page, 1)
    at = await until(page, f"{TIME} >= {chapters[1]['start_ms'] / 1000 - 0.05} && {TIME}")
    assert at < chapters[1]["end_ms"] / 1000
    await until_equal(page, CARD_IDS, [second])
    await until(page, "document.querySelector('#chapter-list li:nth-child(2)[aria-current]')")
    await seek_by_chapter(page, 0)
    await until(page, f"{TIME} < {chapters[0]['end_ms'] / 1000}")
    await until_equal(page, CARD_IDS, [first])
    # The show's flash deal as it ran, at the normal price now.
    card_of_first = f'#pin-list [data-product-id="{first}"]'
    await until_equal(
        page,
        f"document.querySelector('{card_of_first} .deal-label').textContent",
        "Flash deal during the show: €9.99, now over",
    )
    price = await page.inner_text(f"{card_of_first} .card-price")
    assert price.replace("\xa0", " ") == "€19.99"
    shown = await page.evaluate(CHAT)
    assert "second line" not in shown  # said later than the playhead
    await page.evaluate(
        f"document.querySelector('#video').currentTime = {(said['second line'] + 300) / 1000}"
    )
    await until_equal(page, CHAT, ["first line", "second line"])  # in the order said
    await page.screenshot(path=screenshots(tmp_path) / "replay-chapter.png")

    # Buy now from the card the playhead shows: an order of the show, from its replay.
    await seek_by_chapter(page, 1)
    await until_equal(page, CARD_IDS, [second])
    status_line = f'[data-product-id="{second}"] .card-status'
    await page.locator(f'#pin-list [data-product-id="{second}"] .buy').click()
    await until(page, f"{PAID}.test(document.querySelector({json.dumps(status_line)}).textContent)")
    stock = f'#pin-list [data-product-id="{second}"] .stock'
    await until_equal(
        page, f"document.querySelector({json.dumps(stock)}).textContent", "Only 3 left"
    )
    await assert_accessible(page, "replay: bought from the card")
    _, body = await run.call("GET", "/api/orders", show.viewer)
    [order] = body["orders"]
    assert (order["source"], order["stream_id"], order["status"]) == (
        "replay",
        show.stream_id,
        "paid",
    )
    assert order["host_id"] == replay["host"]["id"]
    assert [line["product_id"] for line in order["lines"]] == [second]
    assert page.errors == []

    # The home page lists it among the recent replays.
    await page.goto(run.url + "/")
    item = page.locator(f'#replays li[data-stream-id="{show.stream_id}"]')
    await item.wait_for()
    text = re.sub(r"\s+", " ", await item.inner_text())
    assert "Live show" in text and "2 products" in text and "Watch the replay" in text
    await assert_accessible(page, "home: recent replays")
    assert page.errors == []


async def test_a_replay_that_is_off_says_the_show_ended(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await run_show(run, tmp_path)
    status, _ = await run.call(
        "PATCH", f"/api/streams/{show.stream_id}/replay", show.host, json={"replay": "off"}
    )
    assert status == 200
    page = await open_signed_in(browser, run, f"{run.url}/watch/{show.stream_id}", show.viewer)
    await until_equal(
        page, "document.querySelector('#stage-heading').textContent", "This show has ended"
    )
    assert await page.evaluate("document.body.dataset.mode || ''") == ""
    assert await page.evaluate("document.querySelector('#video').getAttribute('src')") is None
    await assert_accessible(page, "replay off: ended")
    await page.goto(run.url + "/")
    await until(page, "document.querySelector('#shows li')")
    assert await page.is_hidden("#replays-section")


async def test_a_show_that_ends_while_watched_turns_into_its_replay(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    page = await open_signed_in(browser, run, f"{run.url}/watch/{show.stream_id}", show.viewer)
    await until_equal(page, "document.querySelector('#status').textContent", "LIVE")
    assert (await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host))[0] == 200
    await until_equal(
        page, "document.querySelector('#stage-heading').textContent", "This show has ended"
    )
    await record_show(run, show.stream_id, tmp_path / "recordings", seconds=2)  # stored after
    await until(page, "document.body.dataset.mode === 'replay'")
    await until(page, f"{TIME} > 0.3")
    assert await page.is_hidden("#stage-note")
    await assert_accessible(page, "replay: after the live show")
    assert page.errors == []
