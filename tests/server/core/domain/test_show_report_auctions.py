"""The auctions of a show in its report: held, sold and unsold, final prices per currency,
bids and bidders, a seller's scope keeping only their products' auctions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.core.domain.show_reports import (
    AuctionHeld,
    ProductInfo,
    ShowFacts,
    Window,
    build_report,
)

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def auction(n: int, product_id: int, **fields: object) -> AuctionHeld:
    base: dict = {"id": n, "product_id": product_id, "currency": "PLN", "start_minor": 1000,
                  "started_at": at(10 * n), "ends_at": at(10 * n + 30), "running": False,
                  "result": "sold", "price_minor": 2500, "bids": 7, "bidders": 3}  # fmt: skip
    return AuctionHeld(**(base | fields))


def facts() -> ShowFacts:
    return ShowFacts(
        window=Window(at(0), at(120)),
        host="u:1",
        products=[ProductInfo(10, "Mug", 7), ProductInfo(11, "Tee", 8)],
        auctions=[
            auction(3, 10, result="no_bids", price_minor=1000, bids=0, bidders=0),
            auction(1, 10, ends_at=at(52.5)),  # anti-snipe moved its end
            auction(2, 11, currency="EUR", price_minor=900, bids=4, bidders=2),
            auction(4, 11, result="reserve_not_met", price_minor=1500, bids=2, bidders=2),
            auction(5, 10, running=True, result=None, price_minor=None, bids=9, bidders=4),
        ],
    )


def test_the_report_lists_each_auction_and_sums_what_sold_per_currency() -> None:
    report = build_report(facts())["auctions"]
    assert {k: report[k] for k in ("held", "sold", "unsold", "running", "bids")} == {
        "held": 5, "sold": 2, "unsold": 2, "running": 1, "bids": 22,
    }  # fmt: skip
    assert report["sold_value"] == [
        {"currency": "EUR", "minor": 900},
        {"currency": "PLN", "minor": 2500},
    ]
    items = report["items"]
    assert [i["auction_id"] for i in items] == [1, 2, 3, 4, 5]  # in the order they started
    first = items[0]
    assert first == {
        "auction_id": 1, "product_id": 10, "title": "Mug", "status": "ended", "result": "sold",
        "currency": "PLN", "start_minor": 1000, "price_minor": 2500, "bids": 7, "bidders": 3,
        "start_s": 10.0, "duration_s": 42.5,
    }  # fmt: skip
    running = items[-1]
    assert (running["status"], running["result"], running["price_minor"]) == (
        "running", None, None,
    )  # fmt: skip
    assert running["bids"] == 9 and running["bidders"] == 4


def test_a_sellers_scope_keeps_only_their_products_auctions() -> None:
    report = build_report(facts().scoped({11}))["auctions"]
    assert [i["auction_id"] for i in report["items"]] == [2, 4]
    assert (report["held"], report["sold"], report["unsold"]) == (2, 1, 1)
    assert report["sold_value"] == [{"currency": "EUR", "minor": 900}]


def test_a_show_without_auctions_reports_none() -> None:
    report = build_report(ShowFacts(window=Window(at(0), at(10)), host="u:1"))["auctions"]
    assert report == {"held": 0, "sold": 0, "unsold": 0, "running": 0, "bids": 0,
                      "sold_value": [], "items": []}  # fmt: skip
