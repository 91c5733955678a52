"""Issue 14's "Done when", as a new user would try it on an app built like `shopcast demo` (its
seed, its recordings folder), all in Chromium: the demo host goes live from the studio with the
fake camera, pins two products and ends the show; a viewer opens the same /watch link, watches
the replay, jumps by a chapter and buys; the demo coach leaves a timed comment in /review; the
host reads it in the studio's Reviews view, then opens the show's report with its plots."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from media.service import MediaConfig
from server.edge.demo import ACCOUNTS
from tests.web.conftest import assert_accessible, screenshots, until, until_equal
from tests.web.test_replay import CARD_IDS, PAID, TIME, open_signed_in, seek_by_chapter
from tests.web.test_report import CHARTS
from tests.web.test_reviews import signed_in_page
from tests.web.test_studio import LIVE, PINNED, Studio, login, open_studio

pytestmark = pytest.mark.slow

# Frames the studio's camera has sent so far (the show's clock, read from the peer connection).
FRAMES_SENT = """async () => {
  let sent = 0;
  for (const pc of window.__pcs) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") sent += s.framesSent || 0;
    });
  }
  return sent;
}"""
COMMENT = "Show the glaze up close"


async def on_air_for(page: Any, frames: int) -> None:
    """Wait until the camera has sent `frames` more video frames (a second is about 30)."""
    start = await page.evaluate(FRAMES_SENT)
    await until(page, f"async () => ({FRAMES_SENT})().then((n) => n >= {start + frames})")


async def host_runs_the_show(studio: Studio) -> None:
    """Live from the studio's camera; the first product pinned, then the second; ended."""
    page = studio.page
    await page.click("#golive")
    await until(page, LIVE)
    await on_air_for(page, 30)
    for n in (1, 2):
        await page.click(f"#lineup li:nth-child({n}) .studio-pin")
        await until_equal(page, PINNED, [True] * n + [False] * (4 - n))
        await on_air_for(page, 60)  # each chapter long enough to land in by a click
    await page.click("#end")
    await page.wait_for_selector("#end-dialog[open]")
    await page.click("#end-dialog button[value=end]")
    await until(page, "document.querySelector('#status').textContent === 'Ended'")


async def viewer_watches_and_buys(studio: Studio, browser: Any, second: int) -> None:
    run = studio.run
    viewer = await login(run, ACCOUNTS["viewer"])
    page = await open_signed_in(browser, run, f"{run.url}/watch/{studio.stream_id}", viewer)
    await until(page, "document.body.dataset.mode === 'replay'")  # once the recording is stored
    await until(page, f"{TIME} > 0.5")  # the replay plays
    await assert_accessible(page, "after the show: the replay playing")
    _, replay = await run.call("GET", f"/api/streams/{studio.stream_id}/replay")
    chapter = replay["chapters"][1]
    assert chapter["product_id"] == second
    await seek_by_chapter(page, 1)
    await until(page, f"{TIME} >= {chapter['start_ms'] / 1000 - 0.05}")
    await until(page, f"{CARD_IDS}.includes({second})")
    card = f'#pin-list [data-product-id="{second}"]'
    await page.locator(f"{card} .buy").click()
    status_line = json.dumps(f"{card} .card-status")
    await until(page, f"{PAID}.test(document.querySelector({status_line}).textContent)")
    await assert_accessible(page, "after the show: bought from the replay")
    assert page.errors == []
    _, body = await run.call("GET", "/api/orders", viewer)
    [order] = body["orders"]
    assert (order["source"], order["stream_id"], order["status"]) == (
        "replay",
        studio.stream_id,
        "paid",
    )
    assert [line["product_id"] for line in order["lines"]] == [second]


async def coach_comments(studio: Studio, browser: Any) -> None:
    run = studio.run
    page = await signed_in_page(browser, run, await login(run, ACCOUNTS["coach"]))
    await page.goto(f"{run.url}/review")
    await page.wait_for_selector("#workspace:not([hidden])")
    await until(page, f"document.querySelector('#show option[value=\"{studio.stream_id}\"]')")
    await page.select_option("#show", str(studio.stream_id))
    await page.click("#open-review")
    await page.wait_for_selector("#stage:not([hidden])")
    await until(page, "document.querySelector('#player').readyState >= 1")
    await page.fill("#comment-at", "1.5")
    await page.select_option("#comment-category", "product_presentation")
    await page.select_option("#comment-rating", "4")
    await page.fill("#comment-body", COMMENT)
    await page.click("#comment-form button[type=submit]")
    await page.wait_for_selector(f"#comments li:has-text('{COMMENT}')")
    await assert_accessible(page, "after the show: the coach's comment")


async def test_after_the_show_as_a_new_user_tries_it(
    sqlite_backend, start, browser, tmp_path
) -> None:
    media = MediaConfig(recordings_dir=str(tmp_path / "recordings"))  # as `shopcast demo` has
    studio = await open_studio(
        lambda config: start(replace(config, media=media)), sqlite_backend, browser
    )
    page = studio.page
    second = int(await page.get_attribute("#lineup li:nth-child(2)", "data-product-id"))
    await host_runs_the_show(studio)
    await viewer_watches_and_buys(studio, browser, second)
    await coach_comments(studio, browser)

    # The host: the coach's comment comes up in the Reviews view as the recording plays.
    await page.click("#reviews-open")
    await page.wait_for_selector("#review-detail:not([hidden])")
    await page.click("#review-clips button[data-clip='all']")
    await page.locator("#review-moments li", has_text=COMMENT).wait_for()
    await assert_accessible(page, "after the show: the host reads the feedback")
    await page.click("#reviews-close")

    # The report from the studio's header: its three plots, and the replay's order counted.
    await page.click("#report-link")
    await until(page, "document.body.dataset.loaded === 'true'")
    assert await page.evaluate(CHARTS) == [1, 1, 1]
    assert await page.evaluate("document.querySelectorAll('#chart-viewers svg rect.pin').length")
    await until_equal(
        page, "document.querySelector('[data-figure=orders] dd').textContent", "1 order, 1 unit"
    )
    replay = await page.inner_text("[data-figure=replay] dd")
    assert re.fullmatch(r"\d+ views?, 1 order", replay), replay  # bought from the replay
    await assert_accessible(page, "after the show: the report")
    await page.screenshot(path=str(screenshots(tmp_path) / "after-the-show.png"), full_page=True)
