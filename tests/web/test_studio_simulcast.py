"""The studio publishes simulcast by default (Chromium's fake camera): the relay takes two or
more layers, and the stats panel lists each layer being sent with its own size."""

from __future__ import annotations

import pytest

from server.edge.http.context import MEDIA
from tests.web.conftest import assert_accessible, until
from tests.web.test_studio import LIVE, open_studio

pytestmark = pytest.mark.slow

SENT = """() => [...document.querySelectorAll('#stat-layers li[data-rid]')]
  .filter(li => Number(li.dataset.width) > 0)
  .map(li => [li.dataset.rid, Number(li.dataset.width), li.textContent])"""


async def test_the_studio_goes_live_with_simulcast_and_shows_its_layers(
    sqlite_backend, start, browser
) -> None:
    studio = await open_studio(start, sqlite_backend, browser, query="?simulcast=1")
    page = studio.page
    assert await page.inner_text("#stat-layers") == "Not sending video"
    await page.click("#golive")
    await until(page, LIVE)

    sent = await until(page, f"(({SENT})()).length >= 2 ? ({SENT})() : null", timeout=40_000)
    widths = {rid: width for rid, width, _ in sent}
    assert set(widths) <= {"q", "h", "f"}, sent
    assert len(set(widths.values())) == len(widths), sent  # each layer its own size
    assert all("kbps" in text for _, _, text in sent), sent
    offer = await page.evaluate("window.__pcs[0].localDescription.sdp")
    assert "a=simulcast:send" in offer and "a=rid:f send" in offer
    rids = studio.run.app[MEDIA].metrics()[str(studio.stream_id)].layers.viewers
    assert len(rids) >= 2 and set(rids) <= {"q", "h", "f"}, rids  # the relay takes them
    await assert_accessible(page, "studio: live with simulcast layers")

    await page.click("#end")
    await page.click("#end-dialog button[value=end]")
    await until(page, "document.querySelector('#stat-layers').textContent === 'Not sending video'")
