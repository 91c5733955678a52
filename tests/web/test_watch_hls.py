"""The viewer page over LL-HLS in Chromium: one page whose browser has no WebRTC, one that the
server turns away from WebRTC (`SHOPCAST_MAX_WEBRTC_VIEWERS=0`: `webrtc_full`). Both play the
demo show from an aiortc H.264 host through hls.js, show how far behind live they are, and the
first chats and buys as on WebRTC. (A VP8 show's `hls_needs_h264`: tests/server/edge/
test_hls_http.py.)"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests import peers
from tests.conftest import config_for
from tests.test_end_to_end import whip
from tests.web.conftest import assert_accessible, screenshots, sign_in_context, until
from tests.web.test_watch import (
    FRAMES,
    PAID,
    PHONE,
    WHEP_SPY,
    card,
    demo_show,
    host_room,
    pin,
)

pytestmark = pytest.mark.slow

NO_WEBRTC = "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;"
HLS_REQUESTS = """
window.__hls = [];
const seenFetch = window.fetch.bind(window);
window.fetch = (...args) => {
  if (String(args[0]).includes('/hls/')) window.__hls.push(String(args[0]));
  return seenFetch(...args);
};
"""


async def test_a_page_without_webrtc_and_one_turned_away_play_over_hls(
    sqlite_backend, start, browser, tmp_path
) -> None:
    config = config_for(sqlite_backend)
    run = await start(replace(config, media=replace(config.media, max_webrtc_viewers=0)))
    show = await demo_show(run)
    _, key = await run.call("GET", f"/api/streams/{show.stream_id}/key", show.tokens["host"])
    publisher, offer = await peers.publisher_offer("h264")
    status, answer, _ = await whip(run, show.stream_id, key["stream_key"], offer)
    assert status == 201, answer
    await peers.accept(publisher, answer)
    host = await host_room(show)
    try:
        # No WebRTC in this browser at all: straight to HLS.
        context = await browser.new_context(viewport=PHONE)
        await context.add_init_script(NO_WEBRTC)

        await sign_in_context(context, run.url, show.tokens["viewer"], show.users["viewer"])
        page = await context.new_page()
        await page.goto(show.url)
        await until(page, f"{FRAMES} > 20", timeout=40_000)
        await until(page, "document.querySelector('#stage-note').hidden")
        await until(page, "!document.querySelector('#hls-latency').hidden", timeout=15_000)
        latency = float(await page.get_attribute("#hls-latency", "data-latency") or "nan")
        assert 0 <= latency < 10, latency
        await page.screenshot(path=screenshots(tmp_path) / "watch-hls.png")
        await assert_accessible(page, "watch: playing over HLS")

        # The room is the same on this path: chat, and buy from a pinned card.
        await page.fill("#message", "watching over HLS")
        await page.press("#message", "Enter")
        await until(
            page,
            "[...document.querySelectorAll('#chat li')].some(l => l.textContent.includes("
            + json.dumps("watching over HLS")
            + "))",
        )
        await pin(host, show.pour_over)
        pour = card(page, show.pour_over)
        await pour.wait_for()
        await pour.locator(".buy").click()
        status_line = f'[data-product-id="{show.pour_over}"] .card-status'
        await until(
            page, f"{PAID}.test(document.querySelector({json.dumps(status_line)}).textContent)"
        )

        # WebRTC available, but the node takes no WebRTC viewer: the page falls back by itself.
        other = await browser.new_context(viewport=PHONE)
        await other.add_init_script(WHEP_SPY + HLS_REQUESTS)
        turned_away = await other.new_page()
        await turned_away.goto(show.url)
        await until(turned_away, f"{FRAMES} > 20", timeout=40_000)
        assert await turned_away.evaluate("window.__whep.length") == 0  # no session was made
        assert await turned_away.evaluate("window.__hls.length") >= 1
    finally:
        await publisher.close()
