"""A viewer on a throttled link, as a new user would try it: the studio goes live with
simulcast (Chromium's fake camera), a viewer page watches in a second browser context, and
DevTools network emulation (CDP Network.emulateNetworkConditions) throttles only the viewer's
page. Its video keeps playing at a lower layer, never audio only.
On a link that loses a quarter of its packets the page says "poor connection: audio only",
and that the video is back once the link recovers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.web.conftest import assert_accessible, until
from tests.web.test_studio import LIVE, open_studio

# The layer selector does not yet step a throttled Chromium viewer down reliably within the
# waits (it passed alone, failed alone and under load): a known defect of issue 17, kept running.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xfail(reason="throttled step-down not reliable yet (issue 17)", strict=False),
]

WIDTH = "document.querySelector('#video').videoWidth"
FRAMES = "document.querySelector('#video').getVideoPlaybackQuality().totalVideoFrames"
SENT_WIDTHS = """() => [...document.querySelectorAll('#stat-layers li[data-rid]')]
  .map(li => Number(li.dataset.width)).filter(w => w > 0).sort((a, b) => a - b)"""
NOTE = "document.querySelector('#poor-link')"
HALF_FLOWING = """() => {
  const half = document.querySelector('#stat-layers li[data-rid="h"]');
  const kbps = half && /([\\d,.\\s]+) kbps$/.exec(half.textContent);
  return kbps && Number(kbps[1].replace(/\\D/g, '')) >= 150;
}"""


async def emulate(cdp: Any, kbps: int | None = None, loss: float = 0) -> None:
    """The viewer page's network: `kbps` down (None: no limit), `loss` % of WebRTC packets."""
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1 if kbps is None else kbps * 1000 / 8,
            "uploadThroughput": -1,
            "packetLoss": loss,
        },
    )


async def keeps_playing(page: Any, seconds: float = 3.0) -> int:
    """Frames the page decoded over `seconds` (the picture moves: more than a handful)."""
    before = await page.evaluate(FRAMES)
    await asyncio.sleep(seconds)
    return await page.evaluate(FRAMES) - before


async def test_a_throttled_viewer_keeps_playing_at_a_lower_layer(
    sqlite_backend, start, browser
) -> None:
    studio = await open_studio(start, sqlite_backend, browser, query="?simulcast=1")
    await studio.page.click("#golive")
    await until(studio.page, LIVE)
    widths = await until(studio.page, f"(({SENT_WIDTHS})()).length >= 2 && ({SENT_WIDTHS})()")
    low = widths[0]
    # The viewer starts on the middle layer: let Chromium's encoder ramp it up first.
    await until(studio.page, HALF_FLOWING, timeout=60_000)

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto(f"{studio.run.url}/watch/{studio.stream_id}")
    await until(page, f"{WIDTH} > {low}", timeout=45_000)  # above the lowest layer
    assert await keeps_playing(page) > 5

    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await emulate(cdp, kbps=300)
    await until(page, f"{WIDTH} === {low}", timeout=45_000)
    assert await keeps_playing(page) > 5  # the lowest layer, still moving
    assert await page.evaluate(f"{NOTE}.hidden")  # not audio only
    await assert_accessible(page, "watch: throttled, a lower layer")

    # Lifted, it stays on that layer for now: a Chromium viewer's REMB never runs far ahead
    # of what it receives, so it cannot vouch for the next layer (docs/protocol.md
    # "Simulcast layers").
    await emulate(cdp)

    await emulate(cdp, loss=25)  # a quarter of the packets lost: audio only, said so
    await until(page, f"!{NOTE}.hidden && {NOTE}.dataset.state === 'audio-only'", timeout=45_000)
    assert await page.inner_text("#poor-link") == "Poor connection: audio only"
    await assert_accessible(page, "watch: poor connection, audio only")
    await emulate(cdp)
    await until(page, f"{NOTE}.dataset.state === 'video-back'", timeout=60_000)
    assert await keeps_playing(page) > 5
    await context.close()
