"""The show report page's auctions in Chromium: the host sees each auction of the show with its
result, final price, bids and bidders (a sold one, one whose reserve was not met), axe-clean,
in English and in Polish; a show without auctions shows no auctions card."""

from __future__ import annotations

import pytest

from server.core.domain.auctions import AuctionTerms, Band
from server.core.services.auctions import AuctionSpec
from server.core.stock.auction_book import BidRequest
from server.edge.http.context import SERVICES
from tests import factory
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, until
from tests.web.test_report import signed_in

pytestmark = pytest.mark.slow


async def test_the_report_page_lists_the_auctions(sqlite_backend, start, browser) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    services = run.app[SERVICES]
    a = await services.accounts.authenticate(show.viewer)
    b = await services.accounts.authenticate(show.viewer2)
    mug, tee = show.product_ids
    sold = await services.auctions.start(
        None, show.stream_id, AuctionSpec(mug, AuctionTerms(1000, (Band(0, 100),), 10, 3))
    )
    await services.auctions.bid(b, sold.id, BidRequest(0, 1200, "report-bid-1"))
    await services.auctions.bid(a, sold.id, BidRequest(0, 1500, "report-bid-2"))
    await services.auctions.stop(None, sold.id)
    reserved = AuctionTerms(1000, (Band(0, 100),), 10, 3, reserve_minor=5000)
    short = await services.auctions.start(None, show.stream_id, AuctionSpec(tee, reserved))
    await services.auctions.bid(a, short.id, BidRequest(0, 1100, "report-bid-3"))
    await services.auctions.stop(None, short.id)

    page = await signed_in(browser, run, show.host)
    await page.goto(f"{run.url}/report/{show.stream_id}")
    await until(page, "document.body.dataset.loaded === 'true'")
    assert await page.is_visible("#auctions-card")
    summary = await page.inner_text("#auctions-summary")
    assert summary.startswith("2 auctions: 1 sold, 1 unsold, 0 running · sold for "), summary
    rows = await page.evaluate(
        "[...document.querySelectorAll('#auctions-rows tr')].map((r) =>"
        " [...r.children].map((c) => c.textContent))"
    )
    assert [r[1] for r in rows] == ["Sold", "Reserve not met"]
    assert "15" in rows[0][2] and [r[3:5] for r in rows] == [["2", "2"], ["1", "1"]]
    await assert_accessible(page, "report: a show with auctions")

    polish = await signed_in(browser, run, show.host, locale="pl-PL")
    await polish.goto(f"{run.url}/report/{show.stream_id}")
    await until(polish, "document.body.dataset.loaded === 'true'")
    assert (await polish.inner_text("#auctions-summary")).startswith("2 aukcje: sprzedane 1")
    assert await polish.inner_text("#auctions-title") == "Aukcje"

    bare = await factory.show(run)
    await factory.go_live(run, bare.stream_id)
    empty = await signed_in(browser, run, bare.host)
    await empty.goto(f"{run.url}/report/{bare.stream_id}")
    await until(empty, "document.body.dataset.loaded === 'true'")
    assert not await empty.is_visible("#auctions-card")
