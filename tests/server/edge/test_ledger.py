"""The commission ledger as stored: entries written with the order's transaction, and reports
summed in SQL that equal the domain's `aggregate`, periods included, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from server.core.domain.commissions import (
    CommissionLine,
    EntryKind,
    LedgerEntry,
    LedgerKey,
    Period,
    Totals,
    aggregate,
    reversal_entry,
    sale_entry,
)
from server.core.domain.money import Money
from server.core.domain.roles import Principal
from server.core.services.ledger import Ledger, SourcedKey
from server.core.store.db import Database
from server.core.store.rows import CommissionEntry, Order
from server.edge.http.context import DATABASE, SERVICES
from tests.server import rows

PAID = datetime(2026, 1, 4, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # Monday 04:30 UTC


@pytest.fixture
async def db(backend) -> AsyncIterator[Database]:
    async for database in rows.database(backend):
        yield database


async def _order(
    db: Database,
    world: rows.World,
    *lines: dict[str, Any],
    host: int | None = 0,
    shop: int = 0,
    source: str = "live",
) -> Order:
    """An order in hosts[host]'s show (None: outside any show) of shop_ids[shop]'s product,
    bought live or from the show's replay (`source`)."""
    async with db.writing() as session:
        placed = rows.order(
            world.buyer.user_id or 0,
            stream_id=world.stream_ids[host] if host is not None else None,
            host_id=world.hosts[host].user_id if host is not None else None,
        )
        placed.source = source
        for terms in lines:
            placed.lines.append(rows.line(world.product_ids[shop], world.shop_ids[shop], **terms))
        session.add(placed)
    return placed


async def _entries(db: Database) -> list[tuple[Any, ...]]:
    async with db.reading() as session:
        found = await session.scalars(select(CommissionEntry).order_by(CommissionEntry.id))
        return [
            (
                *(e.kind, e.order_line_id, e.host_id, e.seller_id, e.stream_id, e.currency),
                *(e.gmv_minor, e.commission_minor),
                e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC),  # SQLite's are naive UTC
            )
            for e in found
        ]


async def test_a_sale_records_what_the_buyer_paid_per_line_once(db) -> None:
    world = await rows.world(db)
    ledger = Ledger(db)
    placed = await _order(
        db,
        world,
        {"unit_price_minor": 1999, "quantity": 3, "discount_minor": 500, "commission_bp": 1250},
        {"unit_price_minor": 1000, "quantity": 1, "commission_bp": 0},
    )
    for _ in range(2):  # a redelivered payment records nothing twice
        async with db.writing() as session:
            await ledger.record_sale(session, placed, PAID)
    first, second = (line.id for line in placed.lines)
    host, stream, shop = world.hosts[0].user_id, world.stream_ids[0], world.shop_ids[0]
    paid = PAID.astimezone(UTC)
    assert await _entries(db) == [
        # 5997 - 500 = 5497 paid; 12.5 % of it is 687.125: the fraction stays with the seller
        ("sale", first, host, shop, stream, "EUR", 5497, 687, paid),
        ("sale", second, host, shop, stream, "EUR", 1000, 0, paid),
    ]


async def test_an_order_outside_a_show_earns_no_one_anything(db) -> None:
    world = await rows.world(db)
    ledger = Ledger(db)
    placed = await _order(db, world, {"unit_price_minor": 1000, "commission_bp": 1000}, host=None)
    async with db.writing() as session:
        assert await ledger.record_sale(session, placed, PAID) == []
        assert await ledger.record_refund(session, placed, PAID) == []
    assert await _entries(db) == []


async def test_a_refund_mirrors_each_sale_once(db) -> None:
    world = await rows.world(db)
    ledger = Ledger(db)
    placed = await _order(
        db,
        world,
        {"unit_price_minor": 2500, "quantity": 2, "discount_minor": 1, "commission_bp": 999},
        {"unit_price_minor": 700, "commission_bp": 10_000},
    )
    unpaid = await _order(db, world, {"unit_price_minor": 900, "commission_bp": 500})
    async with db.writing() as session:
        await ledger.record_sale(session, placed, PAID)
    refunded = PAID + timedelta(days=40)
    for _ in range(2):  # refunding twice reverses once
        async with db.writing() as session:
            await ledger.record_refund(session, placed, refunded)
            assert await ledger.record_refund(session, unpaid, refunded) == []
    entries = await _entries(db)
    sales, reversals = entries[:2], entries[2:]
    assert [e[0] for e in reversals] == ["reversal", "reversal"]
    assert [e[1:8] for e in reversals] == [e[1:8] for e in sales]
    assert {e[8] for e in reversals} == {refunded.astimezone(UTC)}
    report = await ledger.report(world.admin, as_="admin", by={"period"}, period=Period.MONTH)
    assert report == {
        LedgerKey("EUR", period=date(2026, 1, 1)): Totals(2, 0, 4999 + 700, 499 + 700),
        LedgerKey("EUR", period=date(2026, 2, 1)): Totals(0, 2, -(4999 + 700), -(499 + 700)),
    }


async def test_the_stored_entries_are_the_domain_rules(db) -> None:
    """One rule set: a sale and a whole refund store the domain's `sale_entry` and the
    domain's reversal of every unit, a discounted line included."""
    world = await rows.world(db)
    ledger = Ledger(db)
    terms = {"unit_price_minor": 1999, "quantity": 3, "discount_minor": 500, "commission_bp": 1250}
    placed = await _order(db, world, terms)
    async with db.writing() as session:
        await ledger.record_sale(session, placed, PAID)
        await ledger.record_refund(session, placed, PAID)
    line = CommissionLine(Money(1999, "EUR"), 3, 1250, discount_minor=500)
    ids = {"host_id": world.hosts[0].user_id or 0, "seller_id": world.shop_ids[0]}
    sale = sale_entry(line, stream_id=world.stream_ids[0], at=PAID.astimezone(UTC), **ids)
    back = reversal_entry(sale, line, 0, 3, PAID.astimezone(UTC))
    stored = await _entries(db)
    assert [(e[0], *e[6:8]) for e in stored] == [
        (str(d.kind), d.gmv_minor, d.commission_minor) for d in (sale, back)
    ]


# -- reports equal the domain's aggregate ------------------------------------------------------

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))]
)
# Around a year's end, a month's end and ISO weeks that straddle both.
MOMENTS = st.datetimes(
    min_value=datetime(2023, 12, 24), max_value=datetime(2024, 3, 4), timezones=ZONES
)
ENTRIES = st.lists(
    st.tuples(
        st.sampled_from([EntryKind.SALE, EntryKind.REVERSAL]),
        st.integers(0, 1),  # host
        st.integers(0, 1),  # shop
        st.integers(0, 1),  # stream
        st.sampled_from(["EUR", "PLN"]),
        st.integers(0, 10**11),
        st.integers(0, 10**10),
        MOMENTS,
    ),
    max_size=30,
)


@pytest.fixture
async def ledger_world(db) -> tuple[Database, rows.World, list[int]]:
    """An order with a line per entry a draw can hold: a line has one sale and one reversal."""
    world = await rows.world(db)
    placed = await _order(db, world, *({"unit_price_minor": 1} for _ in range(30)))
    return db, world, [line.id for line in placed.lines]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # each example starts empty
)
@given(
    drawn=ENTRIES,
    viewpoint=st.sampled_from(["admin", "host", "seller"]),
    by=st.sets(st.sampled_from(["host", "seller", "stream"])),
    period=st.none() | st.sampled_from(list(Period)),
    since=st.none() | MOMENTS,
    until=st.none() | MOMENTS,
)
async def test_the_sql_report_equals_the_domain_aggregate(
    ledger_world, drawn, viewpoint, by, period, since, until
) -> None:
    assume(since is None or until is None or since < until)
    db, world, line_ids = ledger_world
    entries = [
        LedgerEntry(
            kind,
            world.hosts[host].user_id or 0,
            world.shop_ids[shop],
            world.stream_ids[stream],
            currency,
            gmv,
            commission,
            at,
        )
        for kind, host, shop, stream, currency, gmv, commission, at in drawn
    ]
    async with db.writing() as session:
        await session.execute(delete(CommissionEntry))
        session.add_all(
            CommissionEntry(
                order_line_id=line_ids[i],
                kind=e.kind.value,
                host_id=e.host_id,
                seller_id=e.seller_id,
                stream_id=e.stream_id,
                currency=e.currency,
                gmv_minor=e.gmv_minor,
                commission_minor=e.commission_minor,
                at=e.at.astimezone(UTC),  # as the ledger writes them
            )
            for i, e in enumerate(entries)
        )
    who: Principal = {"admin": world.admin, "host": world.hosts[0], "seller": world.sellers[0]}[
        viewpoint
    ]
    visible = [
        e
        for e in entries
        if viewpoint == "admin"
        or (viewpoint == "host" and e.host_id == world.hosts[0].user_id)
        or (viewpoint == "seller" and e.seller_id == world.shop_ids[0])
    ]
    asked = {"by": by | ({"period"} if period else set()), "period": period}
    asked |= {"since": since, "until": until}
    report = await Ledger(db).report(who, as_=viewpoint, **asked)
    assert report == aggregate(
        visible,
        by_host="host" in by,
        by_seller="seller" in by,
        by_stream="stream" in by,
        period=period,
        since=since,
        until=until,
    )
    # Split by source (every entry here is of one live order), the same rows, marked live.
    sourced = await Ledger(db).report(who, as_=viewpoint, **asked, by_source=True)
    assert all(isinstance(k, SourcedKey) and k.source == "live" for k in sourced)
    assert {_unsourced(k): totals for k, totals in sourced.items()} == report


def _unsourced(key: LedgerKey) -> LedgerKey:
    fields = {k: v for k, v in vars(key).items() if k != "source"}
    return LedgerKey(**fields)


# -- over HTTP -----------------------------------------------------------------------------------


async def _sold(
    running: Any,
    world: rows.World,
    host: int,
    shop: int,
    price: int,
    bp: int,
    source: str = "live",
) -> Order:
    db, ledger = running.app[DATABASE], running.app[SERVICES].ledger
    terms = {"unit_price_minor": price, "commission_bp": bp}
    placed = await _order(db, world, terms, host=host, shop=shop, source=source)
    async with db.writing() as session:
        await ledger.record_sale(session, placed, PAID)
    return placed


async def _ledger(running: Any, who: Principal | None, query: str) -> tuple[int, Any]:
    token = running.app[SERVICES].tokens.issue(who) if who is not None else None
    return await running.call("GET", f"/api/ledger?{query}", token)


def _row(**fields: Any) -> dict[str, Any]:
    return {"currency": "EUR", "source": "live", "sales": 1, "refunds": 0, **fields}


async def test_hosts_sellers_and_admins_each_see_their_own_share(running) -> None:
    world = await rows.world(running.app[DATABASE])
    await _sold(running, world, host=0, shop=0, price=1000, bp=1000)
    await _sold(running, world, host=1, shop=1, price=2000, bp=500)
    await _sold(running, world, host=0, shop=1, price=3000, bp=2000)
    (host0, host1), (seller0, seller1) = world.hosts, world.sellers
    h0, h1 = host0.user_id, host1.user_id
    s0, s1 = world.shop_ids

    status, body = await _ledger(running, host0, "as=host&by=stream")
    assert status == 200, body
    assert body["rows"] == [
        _row(stream_id=world.stream_ids[0], sales=2, gmv_minor=4000, commission_minor=700)
    ]
    status, body = await _ledger(running, host1, "")  # `as` defaults to the caller's role
    assert (status, body["as"], body["rows"]) == (
        200,
        "host",
        [_row(gmv_minor=2000, commission_minor=100)],
    )
    status, body = await _ledger(running, seller1, "as=seller&by=host")
    assert body["rows"] == [
        _row(host_id=h0, gmv_minor=3000, commission_minor=600),
        _row(host_id=h1, gmv_minor=2000, commission_minor=100),
    ]
    status, body = await _ledger(running, seller0, "by=period&period=week")
    assert body["rows"] == [_row(period="2026-01-05", gmv_minor=1000, commission_minor=100)]
    status, body = await _ledger(running, world.admin, "as=admin&by=seller,host")
    assert [(r["host_id"], r["seller_id"], r["gmv_minor"]) for r in body["rows"]] == [
        (h0, s0, 1000),
        (h0, s1, 3000),
        (h1, s1, 2000),
    ]
    status, body = await _ledger(running, world.admin, f"as=admin&seller_id={s1}&host_id={h0}")
    assert body["rows"] == [_row(gmv_minor=3000, commission_minor=600)]
    since = "2026-01-05T04:30:00.000001Z"  # just after the sales: nothing left
    status, body = await _ledger(running, world.admin, f"as=admin&since={since}")
    assert (status, body["rows"]) == (200, [])


async def test_replay_orders_are_marked_in_their_own_rows(running) -> None:
    """Orders bought from a show's replay earn its host as live ones do, in rows of their own
    marked `replay`; a refund of one is taken back in the replay row."""
    world = await rows.world(running.app[DATABASE])
    await _sold(running, world, host=0, shop=0, price=1000, bp=1000)
    replayed = await _sold(running, world, host=0, shop=0, price=2500, bp=1000, source="replay")
    await _sold(running, world, host=0, shop=1, price=4000, bp=500, source="replay")
    host, stream = world.hosts[0], world.stream_ids[0]

    status, body = await _ledger(running, host, "as=host&by=stream")
    assert status == 200, body
    assert body["rows"] == [
        _row(stream_id=stream, gmv_minor=1000, commission_minor=100),
        _row(stream_id=stream, source="replay", sales=2, gmv_minor=6500, commission_minor=450),
    ]
    status, body = await _ledger(running, world.sellers[0], "as=seller&by=host")
    assert [(r["source"], r["gmv_minor"]) for r in body["rows"]] == [
        ("live", 1000),
        ("replay", 2500),
    ]

    db, ledger = running.app[DATABASE], running.app[SERVICES].ledger
    async with db.writing() as session:
        await ledger.record_refund(session, replayed, PAID + timedelta(days=1))
    status, body = await _ledger(running, world.admin, "as=admin")
    assert body["rows"] == [
        _row(gmv_minor=1000, commission_minor=100),
        _row(source="replay", sales=2, refunds=1, gmv_minor=4000, commission_minor=200),
    ]


REFUSED = [
    ("host0", "as=host&host_id={h1}", 403, "forbidden"),
    ("host0", "as=seller", 403, "forbidden"),
    ("host0", "as=admin", 403, "forbidden"),
    ("seller0", "as=seller&seller_id={s1}", 403, "forbidden"),
    ("seller0", "as=host", 403, "forbidden"),
    ("buyer", "", 403, "forbidden"),
    ("buyer", "as=host", 403, "forbidden"),
    (None, "as=admin", 401, "auth_required"),
    ("admin", "as=boss", 400, "bad_query"),
    ("admin", "by=stream,colour", 400, "bad_query"),
    ("admin", "by=period", 400, "bad_query"),
    ("admin", "period=week", 400, "bad_query"),
    ("admin", "by=period&period=year", 400, "bad_query"),
    ("admin", "since=yesterday", 400, "bad_query"),
    ("admin", "since=2026-01-01T00:00:00", 400, "bad_query"),
    ("admin", "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", 400, "bad_query"),
    ("admin", "until=2026-01-01T00:00:00 00:00", 400, "bad_query"),  # `+` sent unencoded
    ("admin", "host_id=abc", 400, "bad_query"),
    ("admin", "seller_id=0", 400, "bad_query"),
]


async def test_a_refused_report_says_why(running) -> None:
    world = await rows.world(running.app[DATABASE])
    await _sold(running, world, host=1, shop=1, price=1000, bp=1000)
    principals = {
        "host0": world.hosts[0],
        "seller0": world.sellers[0],
        "buyer": world.buyer,
        "admin": world.admin,
        None: None,
    }
    for who, query, status, code in REFUSED:
        query = query.format(h1=world.hosts[1].user_id, s1=world.shop_ids[1])
        got, body = await _ledger(running, principals[who], query)
        assert (got, body["error"]["code"]) == (status, code), (who, query, body)
