"""The show report page (/report/<id>) in Chromium: after a show driven with real Socket.IO
clients, the host sees its figures and its three server-drawn SVG charts (viewers with the pin
shaded, sales, the product funnel), axe-clean; a Polish seller sees their lines in Polish."""

from __future__ import annotations

import pytest

from tests.conftest import config_for
from tests.server.edge.test_show_reports import drive_show, final_report, settled
from tests.web.conftest import assert_accessible, screenshots, sign_in_context, until

pytestmark = pytest.mark.slow

DESK = {"width": 1280, "height": 900}
CHARTS = (
    "['viewers', 'sales', 'funnel'].map((n) => document.querySelectorAll(`#chart-${n} svg`).length)"
)


async def signed_in(browser, run, token: str, **options):
    status, me = await run.call("GET", "/api/me", token)
    assert status == 200, me
    context = await browser.new_context(viewport=DESK, **options)
    user = {"id": me["user_id"], "display_name": me["display_name"], "role": me["role"]}
    await sign_in_context(context, run.url, token, user)
    return await context.new_page()


async def test_the_report_page_draws_its_plots(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    show, _, _ = await drive_show([run])
    await final_report(run, show.host, show.stream_id, 4, settled(show))

    page = await signed_in(browser, run, show.host)
    await page.goto(f"{run.url}/report/{show.stream_id}")
    await until(page, "document.body.dataset.loaded === 'true'")
    assert await page.evaluate(CHARTS) == [1, 1, 1]
    assert (
        await page.evaluate("document.querySelectorAll('#chart-viewers svg rect.pin').length") == 1
    )
    assert await page.evaluate("document.querySelectorAll('#chart-sales svg rect.bar').length") >= 1
    assert (
        await page.evaluate("document.querySelectorAll('#chart-funnel svg rect.bar').length") == 6
    )
    labels = await page.evaluate(
        "[...document.querySelectorAll('.chart-slot svg')].map((s) => s.getAttribute('aria-label'))"
    )
    assert labels == ["Viewers over time", "Sales over time", "Product funnel"]
    figure = "(name) => document.querySelector(`[data-figure=${name}] dd`).textContent"
    assert await page.evaluate(f"({figure})('unique')") == "4"
    assert await page.evaluate(f"({figure})('likes')") == "4"
    assert await page.evaluate(f"({figure})('orders')") == "2 orders, 3 units"
    assert await page.evaluate("document.querySelectorAll('#products-rows tr').length") == 2
    assert await page.inner_text("#state") == "Final"
    href = await page.get_attribute("#csv", "href")
    assert href == f"/api/streams/{show.stream_id}/report.csv"
    await assert_accessible(page, "report: a show that ended")
    await page.screenshot(path=str(screenshots(tmp_path) / "report-host.png"), full_page=True)

    polish = await signed_in(browser, run, show.seller, locale="pl-PL")
    await polish.goto(f"{run.url}/report/{show.stream_id}")
    await until(polish, "document.body.dataset.loaded === 'true'")
    assert "tylko twoje produkty" in await polish.inner_text("#meta")
    assert await polish.evaluate(f"({figure})('orders')") == "2 zamówienia, sztuk: 3"
    assert await polish.evaluate(CHARTS) == [1, 1, 1]
    await assert_accessible(polish, "report: a seller's lines, in Polish")


async def test_the_report_page_refuses_who_may_not_read(sqlite_backend, start, browser) -> None:
    run = await start(config_for(sqlite_backend))
    show, _, _ = await drive_show([run])
    page = await signed_in(browser, run, show.viewer)
    await page.goto(f"{run.url}/report/{show.stream_id}")
    await page.wait_for_selector("#gate:not([hidden])")
    assert "sellers with products in it" in await page.inner_text("#gate-text")
    await assert_accessible(page, "report: refused")
