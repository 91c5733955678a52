"""The pages in a real browser: Debian's Chromium with its fake camera, driven by Playwright.

The host goes live from the studio, two viewers play the video (frames decoded, checked in the
page), chat, see a pin and buy; markup in chat shows as text; the moderator deletes a message.
Screenshots land in $SHOPCAST_SCREENSHOTS (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from server.edge.demo import ACCOUNTS, seed
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, sign_in, until

pytestmark = pytest.mark.slow

FRAMES = "document.querySelector('#video').getVideoPlaybackQuality().totalVideoFrames"
MARKUP = "<img src=x onerror=window.pwned=1> look"


async def test_live_show_in_the_browser(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    show = await seed(run.app)
    shots = Path(os.environ.get("SHOPCAST_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    url = f"{run.url}/{{}}/{show.stream_id}"

    host = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
    await host.goto(url.format("studio"))
    await sign_in(host, ACCOUNTS["host"])
    await until(host, "document.querySelector('#preview').videoWidth > 0")
    await host.click("#golive")
    await until(host, "document.querySelector('#status').textContent === 'LIVE'")

    viewers = []
    for _ in range(2):
        page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
        await page.goto(url.format("watch"))
        await until(page, f"{FRAMES} > 10", timeout=20_000)
        viewers.append(page)
    ana, bo = viewers

    await ana.click("#account")
    await sign_in(ana, ACCOUNTS["viewer"])
    await until(ana, "document.querySelector('#account').textContent === 'Viewer Ana'")
    await bo.click("#send button")  # no identity yet: the page asks for one
    await bo.wait_for_selector("dialog[open] #guest-name")
    await assert_accessible(bo, "watch: asked for a name before chatting")
    await bo.fill("#guest-name", "Guest Bo")
    await bo.click("text=Continue as guest")
    await until(bo, "document.querySelector('#account').textContent === 'Guest Bo'")
    await bo.fill("#message", MARKUP)
    await bo.click("#send button")
    line = ana.locator("#chat .text", has_text="look")
    await line.wait_for()
    assert await line.text_content() == MARKUP  # shown as typed
    assert await ana.evaluate("window.pwned === undefined && !document.querySelector('#chat img')")

    await host.click("#lineup li:first-child button")
    await ana.wait_for_selector("#pinned:not([hidden])")
    stock_before = await bo.inner_text("#pinned .stock")
    await ana.click("#pinned .buy")
    await ana.wait_for_selector("text=Bought")
    await until(
        bo, f"document.querySelector('#pinned .stock').textContent !== {json.dumps(stock_before)}"
    )

    mod = await (await browser.new_context(viewport={"width": 1100, "height": 800})).new_page()
    await mod.goto(url.format("moderate"))
    await sign_in(mod, ACCOUNTS["moderator"])
    await mod.locator("#chat li", has_text="look").get_by_role("button", name="Delete").click()
    await until(ana, "!document.querySelector('#chat').textContent.includes('look')")

    for name, page in [("studio", host), ("watch-ana", ana), ("watch-bo", bo), ("moderate", mod)]:
        await page.screenshot(path=shots / f"{name}.png")
    decoded = [await v.evaluate(FRAMES) for v in viewers]
    assert min(decoded) > 10, decoded
