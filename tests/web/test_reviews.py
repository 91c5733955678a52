"""Clip review in Chromium, on a show with a real recording (the recorder's file from encoded
frames): a coach opens the review workspace, marks a clip and leaves timed comments; the host
opens the studio's Reviews view, plays the clip and sees each comment come up at its moment,
replies and marks one read."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factory
from tests.conftest import Running, config_for
from tests.server.edge.test_reviews import recorded
from tests.web.conftest import assert_accessible, screenshots, sign_in_context, until, until_equal

pytestmark = pytest.mark.slow

VIEWPORT = {"width": 1280, "height": 900}
MARKUP = "Slow down <img src=x onerror=window.pwned=1>"  # shown as text, never run
MOMENTS = [(1200, "energy", "4", "Great energy at the start"), (3500, "pacing", "", MARKUP)]


async def signed_in_page(browser: Any, run: Running, token: str) -> Any:
    _, me = await run.call("GET", "/api/me", token)
    user = {"id": me["user_id"], "display_name": me["display_name"], "role": me["role"]}
    context = await browser.new_context(viewport=VIEWPORT)
    await sign_in_context(context, run.url, token, user)
    return await context.new_page()


async def test_a_coach_comments_and_the_host_sees_each_comment_at_its_moment(
    sqlite_backend, start, browser, tmp_path
) -> None:
    shots = screenshots(tmp_path)
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    await recorded(run, show.stream_id, tmp_path / "recordings", seconds=6)
    coach = await factory.account(
        run, "coach", name="Coach Kim", admin=await factory.admin_token(run)
    )

    # The coach: pick the host's show, open a review, mark a clip, leave two timed comments.
    page = await signed_in_page(browser, run, coach)
    await page.goto(f"{run.url}/review")
    await page.wait_for_selector("#workspace:not([hidden])")
    await until(page, "document.querySelector('#show').options.length > 0")
    await page.select_option("#show", str(show.stream_id))
    await page.click("#open-review")
    await page.wait_for_selector("#stage:not([hidden])")
    await until(page, "document.querySelector('#player').readyState >= 1")  # the file loads
    await assert_accessible(page, "review: a show opened")
    await page.fill("#clip-start", "0.5")
    await page.fill("#clip-end", "5")
    await page.fill("#clip-title", "Opening minutes")
    await page.click("#clip-form button[type=submit]")
    await page.wait_for_selector("#clips li[data-clip]")
    for at_ms, category, rating, text in MOMENTS:
        await page.fill("#comment-at", str(at_ms / 1000))
        await page.select_option("#comment-category", category)
        await page.select_option("#comment-rating", rating)
        await page.fill("#comment-body", text)
        await page.click("#comment-form button[type=submit]")
        await page.wait_for_selector(f"#comments li:has-text('{text}')")
    offsets = "[...document.querySelectorAll('#comments li')].map((li) => +li.dataset.offset)"
    await until_equal(page, offsets, [m[0] for m in MOMENTS])
    assert await page.locator("#timeline .review-mark").count() == 2
    assert await page.locator("#timeline .review-span").count() == 1
    await assert_accessible(page, "review: a clip and two comments")
    await page.screenshot(path=str(shots / "review-workspace.png"), full_page=True)
    review_id = int(await page.evaluate("document.body.dataset.review"))
    _, review = await run.call("GET", f"/api/reviews/{review_id}", coach)
    [clip] = review["clips"]
    ids = {c["body"]: c["id"] for c in review["comments"]}

    # The host: the studio's Reviews view, the clip playing, each comment at its moment.
    host = await signed_in_page(browser, run, show.host)
    await host.goto(f"{run.url}/studio/{show.stream_id}")
    await host.wait_for_selector("#studio:not([hidden])")
    await until(host, "document.querySelector('#reviews-unread').textContent.includes('2')")
    await host.click("#reviews-open")
    await host.wait_for_selector("#review-detail:not([hidden])")
    await assert_accessible(host, "studio: the Reviews view")
    assert await host.locator("#review-moments li").count() == 0
    await host.click(f"#review-clips button[data-clip='{clip['id']}']")
    shown = "[...document.querySelectorAll('#review-moments li')].map((li) => +li.dataset.comment)"
    first, second = ids[MOMENTS[0][3]], ids[MOMENTS[1][3]]
    await until_equal(host, shown, [first])
    # The first comment is up and the second is not: the playhead is between their moments.
    playhead = await host.evaluate("document.querySelector('#review-video').currentTime * 1000")
    assert MOMENTS[0][0] <= playhead
    await until_equal(host, shown, [first, second])
    moments = await host.evaluate(
        "[...document.querySelectorAll('#review-moments li')]"
        ".map((li) => [+li.dataset.offset, +li.dataset.shownAt])"
    )
    for offset, shown_at in moments:
        assert offset <= shown_at < offset + 1500, moments  # it came up when its moment came
    await until(host, "document.querySelector('#review-video').paused")  # the clip's end
    end = await host.evaluate("document.querySelector('#review-video').currentTime * 1000")
    assert clip["end_ms"] <= end < clip["end_ms"] + 1000
    await host.screenshot(path=str(shots / "studio-reviews.png"), full_page=True)

    # Reply to the first, mark it read.
    card = host.locator(f"#review-moments li[data-comment='{first}']")
    await card.locator(".review-reply-form input").fill("Thanks, I will keep it up")
    await card.locator(".review-reply-form button").click()
    await host.wait_for_selector(
        f"#review-moments li[data-comment='{first}'] .review-reply:has-text('keep it up')"
    )
    await host.locator(f"#review-moments li[data-comment='{first}'] .review-read").click()
    await host.wait_for_selector(f"#review-moments li[data-comment='{first}'] .review-state.read")
    await until(host, "document.querySelector('#reviews-unread').textContent.includes('1')")
    await assert_accessible(host, "studio: a comment replied to and read")

    _, after = await run.call("GET", f"/api/reviews/{review_id}", coach)
    by_id = {c["id"]: c for c in after["comments"]}
    assert [r["body"] for r in by_id[first]["replies"]] == ["Thanks, I will keep it up"]
    assert by_id[first]["read_at"] is not None and by_id[second]["read_at"] is None
    assert after["unread"] == 1
    for seen in (page, host):  # people's text went in as text
        assert await seen.evaluate("window.pwned") is None
    assert await host.locator("#review-moments img").count() == 0
    second_card = host.locator(f"#review-moments li[data-comment='{second}'] .review-body")
    assert await second_card.text_content() == MARKUP
