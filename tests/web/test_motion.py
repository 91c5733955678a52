"""Reduced motion in Chromium: with `prefers-reduced-motion: reduce` nothing on the viewer page
floats, blinks, spins or slides (a like's heart, the live dot, the connecting spinner, the cart
sheet), and every page passes its accessibility check so; without it, the same things move, which
is what makes this test able to fail."""

from __future__ import annotations

import pytest

from tests import factory
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, sign_in_context, until
from tests.web.test_watch import PHONE, demo_show, host_room, pin

pytestmark = pytest.mark.slow

# What is moving in the page now, and the animation each moving part of the viewer page has.
MOTION = """() => {
  const name = (selector, pseudo) => {
    const node = document.querySelector(selector);
    return node ? getComputedStyle(node, pseudo).animationName : "missing";
  };
  return {
    running: document.getAnimations().map((a) => a.animationName || a.transitionProperty),
    heart: name("#hearts .float-heart"),
    liveDot: name("#status", "::before"),
    spinner: name("#stage-spinner"),
    sheet: name("#cart-sheet"),
  };
}"""


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
async def test_reduced_motion_stops_what_moves(sqlite_backend, start, browser, motion) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    await pin(await host_room(show), show.pour_over)
    context = await browser.new_context(viewport=PHONE, reduced_motion=motion)
    await sign_in_context(context, run.url, show.tokens["viewer"], show.users["viewer"])
    page = await context.new_page()
    await page.goto(show.url)
    await until(page, "document.querySelector('#status').textContent === 'LIVE'")
    await until(page, "!document.querySelector('#stage-spinner').hidden")  # no video yet
    await page.click("#like")
    await page.wait_for_selector("#hearts .float-heart")
    await page.click("#cart-button")
    await page.wait_for_selector("#cart-sheet[open]")
    seen = await page.evaluate(MOTION)

    if motion == "reduce":
        assert seen == {
            "running": [],
            "heart": "none",
            "liveDot": "none",
            "spinner": "none",
            "sheet": "none",
        }
        await assert_accessible(page, "watch: reduced motion, the cart sheet open")
    else:
        assert seen["heart"] == "watch-heart-rise"
        assert seen["liveDot"] == "watch-live-dot"
        assert seen["spinner"] == "watch-spin"
        assert seen["sheet"] == "watch-sheet-up"
        assert {"watch-live-dot", "watch-spin"} <= set(seen["running"]), seen
