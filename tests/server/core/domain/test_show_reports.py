"""The show report's figures from known events, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.core.domain.errors import Conflict, Forbidden
from server.core.domain.roles import Principal, Role
from server.core.domain.show_reports import (
    ChatLine,
    Commission,
    Deal,
    Likes,
    Pin,
    ProductEvent,
    ProductInfo,
    ProductKind,
    SaleLine,
    ShowFacts,
    Source,
    ViewerEvent,
    ViewerKind,
    Window,
    build_report,
    check_started,
    report_scope,
)

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
JOIN, LEAVE = ViewerKind.JOIN, ViewerKind.LEAVE
SEEN, CART = ProductKind.SEEN, ProductKind.CART


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def show() -> ShowFacts:
    return ShowFacts(
        window=Window(at(0), at(60)),
        host="u:1",
        products=[ProductInfo(10, "Mug", 7), ProductInfo(11, "Tee", 8)],
        viewer_events=[
            ViewerEvent(at(0), JOIN, "s1", "u:2"),
            ViewerEvent(at(30), LEAVE, "s1", "u:2"),
            ViewerEvent(at(5), JOIN, "s2", "u:3"),
            ViewerEvent(at(25), LEAVE, "s2", "u:3"),
            ViewerEvent(at(20), JOIN, "s3", "u:2"),  # a second tab
            ViewerEvent(at(40), LEAVE, "s3", "u:2"),
            ViewerEvent(at(-10), JOIN, "s4", "g:a"),  # before the start, never left
            ViewerEvent(at(0), JOIN, "s5", "u:1"),  # the host
            ViewerEvent(at(70), JOIN, "s6", "u:4"),  # after the end
        ],
        product_events=[
            ProductEvent(at(3), SEEN, 10, "u:2"),
            ProductEvent(at(21), SEEN, 10, "u:2"),
            ProductEvent(at(6), SEEN, 10, "u:3"),
            ProductEvent(at(6), SEEN, 10, "u:1"),
            ProductEvent(at(31), SEEN, 11, "g:a"),
            ProductEvent(at(7), CART, 10, "u:3"),
        ],
        likes=[Likes(at(3), 5), Likes(at(12), 2), Likes(at(61), 1)],
        chat=[
            ChatLine(at(1)),
            ChatLine(at(2)),
            ChatLine(at(15), question=True, answered=True),
            ChatLine(at(59), question=True),
        ],
        pins=[Pin(10, at(2), at(32)), Pin(11, at(30), None)],
        sales=[
            SaleLine(100, at(12), 10, 2, 2000, "EUR", coupon="SAVE", deal_id=5),
            SaleLine(100, at(12), 11, 1, 1500, "EUR", coupon="SAVE"),
            SaleLine(101, at(22), 10, 1, 900, "EUR", deal_id=5),
            SaleLine(102, at(45), 11, 1, 2500, "USD"),
            SaleLine(103, at(90), 10, 1, 1000, "EUR", source=Source.REPLAY),
        ],
        deals=[Deal(5, 10, at(10), 3)],
        commissions=[
            Commission(10, "EUR", 390),
            Commission(11, "EUR", 150),
            Commission(11, "USD", 250),
        ],
        replay_views=[ViewerEvent(at(80), JOIN, "r1", "u:9")],
    )


def test_audience_counts_sockets_and_viewers_inside_the_show() -> None:
    report = build_report(show())
    assert report["duration_s"] == 60
    assert report["viewers"] == {
        "peak": 4,
        "average": 2.17,  # 130 socket-seconds over 60 s
        "unique": 3,
        "watch_time_total_s": 120,  # u:2 40 s (two tabs, once), u:3 20 s, g:a 60 s
        "watch_time_median_s": 40,
    }
    assert report["chat"] == {"lines": 4, "questions": 2, "answered": 1}
    assert report["likes"] == 8


def test_series_in_ten_second_buckets() -> None:
    series = build_report(show())["series"]
    assert series["t"] == [0, 10, 20, 30, 40, 50]
    assert series["viewers"] == [3, 3, 4, 2, 1, 1]
    assert series["chat"] == [2, 1, 0, 0, 0, 1]
    assert series["likes"] == [5, 2, 0, 0, 0, 0]
    assert series["orders"] == [0, 1, 1, 0, 1, 0]
    assert series["units"] == [0, 3, 1, 0, 1, 0]
    assert series["gmv"] == [
        {"currency": "EUR", "minor": [0, 3500, 900, 0, 0, 0]},
        {"currency": "USD", "minor": [0, 0, 0, 0, 2500, 0]},
    ]


def test_sales_per_currency_never_summed_across() -> None:
    sales = build_report(show())["sales"]
    assert sales == {
        "orders": 4,
        "units": 6,
        "gmv": [{"currency": "EUR", "minor": 5400}, {"currency": "USD", "minor": 2500}],
        "commission": [{"currency": "EUR", "minor": 540}, {"currency": "USD", "minor": 250}],
        "coupon_uses": 1,
        "coupons": [{"code": "SAVE", "orders": 1}],
        "replay_orders": 1,
        "replay_views": 1,
    }


def test_pins_and_the_product_funnel() -> None:
    report = build_report(show())
    assert report["pins"] == [
        {
            "product_id": 10,
            "title": "Mug",
            "start_s": 2,
            "end_s": 32,
            "duration_s": 30,
            "open": False,
        },
        {
            "product_id": 11,
            "title": "Tee",
            "start_s": 30,
            "end_s": 60,
            "duration_s": 30,
            "open": True,
        },
    ]
    mug, tee = report["products"]
    assert mug == {
        "product_id": 10,
        "title": "Mug",
        "seller_id": 7,
        "card_views": 3,  # the host's own view is not counted
        "card_viewers": 2,
        "add_to_cart": 1,
        "orders": 3,
        "units": 4,
        "gmv": [{"currency": "EUR", "minor": 3900}],
        "conversion": 1.5,
        "coupon_uses": 1,
        "replay_orders": 1,
        "commission": [{"currency": "EUR", "minor": 390}],
        "pinned_s": 30,
        "deals": [{"deal_id": 5, "quantity": 3, "sold": 3, "sell_through_s": 12}],
    }
    assert tee["orders"] == 2 and tee["card_viewers"] == 1 and tee["conversion"] == 2.0
    assert tee["gmv"] == [{"currency": "EUR", "minor": 1500}, {"currency": "USD", "minor": 2500}]


def test_a_deal_not_sold_out_has_no_sell_through_and_unseen_cards_no_conversion() -> None:
    facts = show()
    facts = ShowFacts(
        window=facts.window,
        host=facts.host,
        products=[ProductInfo(12, "Cap", 7)],
        sales=[SaleLine(200, at(5), 12, 1, 100, "EUR", deal_id=6)],
        deals=[Deal(6, 12, at(1), 2)],
    )
    (cap,) = build_report(facts)["products"]
    assert cap["conversion"] is None
    assert cap["deals"] == [{"deal_id": 6, "quantity": 2, "sold": 1, "sell_through_s": None}]
    assert build_report(facts)["viewers"]["peak"] == 0


def test_a_seller_sees_only_their_products_lines() -> None:
    report = build_report(show().scoped({11}))
    assert [p["product_id"] for p in report["products"]] == [11]
    assert [p["product_id"] for p in report["pins"]] == [11]
    assert report["sales"]["orders"] == 2
    assert report["sales"]["gmv"] == [
        {"currency": "EUR", "minor": 1500},
        {"currency": "USD", "minor": 2500},
    ]
    assert report["series"]["gmv"][0]["minor"] == [0, 1500, 0, 0, 0, 0]
    assert report["viewers"]["unique"] == 3  # the show's audience


def test_who_reads_a_report() -> None:
    def person(role: Role, user_id: int) -> Principal:
        return Principal(f"u:{user_id}", "x", role, user_id)

    assert report_scope(person(Role.ADMIN, 5), 1, None, False) == "all"
    if hasattr(Role, "COACH"):  # platform staff who review hosts' shows
        assert report_scope(person(Role("coach"), 5), 1, None, False) == "all"
    assert report_scope(person(Role.HOST, 1), 1, None, False) == "all"
    assert report_scope(person(Role.SELLER, 3), 1, 7, True) == "seller"
    for who, seller, sells in [
        (person(Role.HOST, 2), None, False),
        (person(Role.SELLER, 3), 7, False),
        (person(Role.VIEWER, 4), None, False),
        (person(Role.MODERATOR, 6), None, False),
    ]:
        with pytest.raises(Forbidden) as refused:
            report_scope(who, 1, seller, sells)
        assert refused.value.code == "report_forbidden"
    with pytest.raises(Conflict):
        check_started(None)
