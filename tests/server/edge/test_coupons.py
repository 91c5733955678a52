"""Coupons as stored: who may create which, and redemption inside an order's transaction, exact
under concurrency on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

from server.contract.coupons import NewCoupon
from server.core.domain.coupons import CouponLine
from server.core.domain.errors import Conflict, DomainError, NotFound, ValidationError
from server.core.domain.money import Money
from server.core.services.coupons import CouponService
from server.core.store.db import Database
from server.core.store.rows import Coupon, Order
from tests import factory
from tests.server import rows

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(backend) -> AsyncIterator[Database]:
    async for database in rows.database(backend):
        yield database


# -- redeeming -------------------------------------------------------------------------------


async def _setup(db: Database, **terms: Any) -> tuple[CouponService, rows.World, Coupon]:
    world = await rows.world(db)
    coupons = CouponService(db)
    payload = {"code": "SAVE10", "percent_bp": 1000, "scope": "platform", **terms}
    return coupons, world, await coupons.create(world.admin, NewCoupon.parse(payload).terms())


def _lines(world: rows.World, *amounts: int) -> list[CouponLine]:
    return [CouponLine(world.shop_ids[0], Money(a, "EUR")) for a in amounts]


async def _buy(
    db: Database,
    coupons: CouponService,
    world: rows.World,
    code: str = "SAVE10",
    *,
    buyer_id: int | None = None,
    stream_id: int | None = None,
    amounts: tuple[int, ...] = (1000,),
    now: datetime = NOW,
) -> int:
    """Redeem and place an order with the coupon in one write transaction, as checkout does;
    the order's discount."""
    buyer = buyer_id or world.buyer.user_id
    assert buyer is not None
    async with db.writing() as session:
        coupon, discount = await coupons.redeem(
            session,
            code,
            buyer_id=buyer,
            stream_id=stream_id,
            lines=_lines(world, *amounts),
            now=now,
        )
        await asyncio.sleep(0)  # let the others run into the lock
        placed = rows.order(buyer, stream_id=stream_id, coupon_id=coupon.id)
        placed.discount_minor = discount.total.amount_minor
        session.add(placed)
    return discount.total.amount_minor


async def _used(db: Database, code: str = "SAVE10") -> int:
    async with db.reading() as session:
        used = await session.scalar(select(Coupon.used).where(Coupon.code == code))
    assert used is not None
    return used


async def _orders_with(db: Database, coupon_id: int) -> int:
    async with db.reading() as session:
        count = await session.scalar(
            select(func.count()).select_from(Order).where(Order.coupon_id == coupon_id)
        )
    return count or 0


async def test_redeeming_counts_a_use_and_splits_the_discount_over_the_lines(db) -> None:
    coupons, world, created = await _setup(db)
    async with db.writing() as session:
        await session.get(Coupon, created.id)  # already in the session: must be refreshed
        coupon, discount = await coupons.redeem(
            session,
            " save10 ",
            buyer_id=world.buyer.user_id or 0,
            stream_id=None,
            lines=_lines(world, 999, 1),
            now=NOW,
        )
        assert coupon.id == created.id and coupon.used == 1
    assert discount.total == Money(100, "EUR")
    assert discount.per_line == (Money(100, "EUR"), Money(0, "EUR"))
    assert await _used(db) == 1


async def test_fifty_buyers_racing_for_ten_uses_get_exactly_ten(db) -> None:
    coupons, world, created = await _setup(db, max_uses=10)
    outcomes = await asyncio.gather(
        *(_buy(db, coupons, world) for _ in range(50)), return_exceptions=True
    )
    won = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(won) == 10 and all(o == 100 for o in won)
    assert len(refused) == 40 and {e.code for e in refused} == {"coupon_exhausted"}
    assert await _used(db) == 10
    assert await _orders_with(db, created.id) == 10


async def test_one_buyer_racing_with_themselves_gets_the_per_buyer_limit(db) -> None:
    coupons, world, created = await _setup(db, per_buyer_limit=2)
    other = await rows.user(db, world.buyer.role)
    outcomes = await asyncio.gather(
        *(
            _buy(db, coupons, world, buyer_id=buyer)
            for _ in range(15)
            for buyer in (world.buyer.user_id, other.user_id)
        ),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert sum(isinstance(o, int) for o in outcomes) == 4  # two each
    assert len(refused) == 26 and {e.code for e in refused} == {"coupon_limit_reached"}
    assert await _used(db) == 4  # refused attempts rolled their count back
    assert await _orders_with(db, created.id) == 4


async def test_a_cancelled_order_gives_its_use_back(db) -> None:
    coupons, world, created = await _setup(db, max_uses=1, per_buyer_limit=1)
    await _buy(db, coupons, world)
    with pytest.raises(Conflict) as exhausted:
        await _buy(db, coupons, world)
    assert exhausted.value.code == "coupon_exhausted"
    async with db.writing() as session:
        await session.execute(update(Order).values(status="cancelled"))
        await coupons.give_back(session, created.id)
    assert await _used(db) == 0
    await _buy(db, coupons, world)  # a cancelled order counts for neither limit
    assert await _used(db) == 1


async def test_giving_back_never_goes_below_zero(db) -> None:
    coupons, _, created = await _setup(db)
    async with db.writing() as session:
        await coupons.give_back(session, created.id)
    assert await _used(db) == 0


def _first_show(world: rows.World) -> dict[str, object]:
    return {"scope": "stream", "stream_id": world.stream_ids[0]}


REFUSALS = [
    pytest.param({}, "NOPE1", None, "coupon_unknown", id="unknown"),
    pytest.param({}, "no", None, "bad_coupon_code", id="malformed"),
    pytest.param(
        {"starts_at": "2026-05-05T00:00:00+00:00"}, "SAVE10", None, "coupon_not_started", id="early"
    ),
    pytest.param({"ends_at": "2026-05-04T12:00:00Z"}, "SAVE10", None, "coupon_expired", id="late"),
    pytest.param(
        {"min_order_minor": 1001, "currency": "EUR"}, "SAVE10", None, "coupon_min_order", id="min"
    ),
    pytest.param(
        {"min_order_minor": 100, "currency": "PLN"}, "SAVE10", None, "coupon_currency", id="cur"
    ),
    pytest.param(_first_show, "SAVE10", None, "coupon_not_applicable", id="outside-a-show"),
    pytest.param(_first_show, "SAVE10", 1, "coupon_not_applicable", id="another-show"),
    pytest.param(
        lambda world: {"scope": "seller", "seller_id": world.shop_ids[1]},
        "SAVE10",
        None,
        "coupon_not_applicable",
        id="another-shop",
    ),
]


@pytest.mark.parametrize(("terms", "code", "show", "error"), REFUSALS)
async def test_a_refused_redemption_counts_nothing(db, terms, code, show, error) -> None:
    world = await rows.world(db)
    coupons = CouponService(db)
    scope = terms(world) if callable(terms) else {"scope": "platform", **terms}
    asked = NewCoupon.parse({"code": "SAVE10", "percent_bp": 1000, **scope}).terms()
    await coupons.create(world.admin, asked)
    stream_id = world.stream_ids[show] if show is not None else None
    with pytest.raises(DomainError) as refused:
        await _buy(db, coupons, world, code, stream_id=stream_id)
    assert refused.value.code == error
    assert await _used(db) == 0
    assert await _orders_with(db, (await coupons.get("SAVE10")).id) == 0


async def test_a_stream_coupon_covers_its_show_only(db) -> None:
    world = await rows.world(db)
    coupons = CouponService(db)
    terms = {"fixed_minor": 500, "currency": "EUR", "stream_id": world.stream_ids[0]}
    await coupons.create(world.hosts[0], NewCoupon.parse({"code": "LIVE5", **terms}).terms())
    assert await _buy(db, coupons, world, "LIVE5", stream_id=world.stream_ids[0]) == 500
    with pytest.raises(Conflict):
        await _buy(db, coupons, world, "LIVE5", stream_id=world.stream_ids[1])
    assert await _used(db, "LIVE5") == 1


async def test_get_finds_a_code_however_it_is_typed(db) -> None:
    coupons, _, created = await _setup(db)
    assert (await coupons.get("save10")).id == created.id
    with pytest.raises(NotFound):
        await coupons.get("OTHER")
    with pytest.raises(ValidationError):
        await coupons.get("?")


# -- creating over HTTP ----------------------------------------------------------------------


async def _me(run: Any, token: str) -> int:
    status, body = await run.call("GET", "/api/me", token)
    assert status == 200, body
    return body["user_id"]


async def _shop(run: Any) -> tuple[str, int]:
    token = await factory.account(run, "seller")
    status, body = await run.call(
        "POST", "/api/sellers", token, json={"name": "S", "country": "PL"}
    )
    assert status == 201, body
    return token, body["id"]


async def _show(run: Any) -> tuple[str, int]:
    token = await factory.account(run, "host")
    status, body = await run.call("POST", "/api/streams", token, json={"title": "Live"})
    assert status == 201, body
    return token, body["id"]


async def _listed(run: Any, token: str) -> list[str]:
    status, body = await run.call("GET", "/api/coupons", token)
    assert status == 200, body
    return [c["code"] for c in body["coupons"]]


async def test_a_seller_creates_coupons_for_their_shop_and_lists_their_own(running) -> None:
    seller, shop_id = await _shop(running)
    other, _ = await _shop(running)
    status, body = await running.call(
        "POST",
        "/api/coupons",
        seller,
        json={
            "code": " spring-10 ",
            "percent_bp": 1000,
            "min_order_minor": 5000,
            "currency": "EUR",
            "starts_at": "2026-03-20T00:00:00+01:00",
            "ends_at": "2026-06-21T00:00:00Z",
            "max_uses": 100,
            "per_buyer_limit": 1,
        },
    )
    assert status == 201, body
    assert body == {
        "id": body["id"],
        "code": "SPRING-10",
        "scope": "seller",
        "scope_id": shop_id,
        "percent_bp": 1000,
        "fixed_minor": None,
        "currency": "EUR",
        "min_order_minor": 5000,
        "starts_at": "2026-03-19T23:00:00+00:00",
        "ends_at": "2026-06-21T00:00:00+00:00",
        "max_uses": 100,
        "per_buyer_limit": 1,
        "used": 0,
        "created_by": await _me(running, seller),
        "created_at": body["created_at"],
    }
    assert await _listed(running, seller) == ["SPRING-10"]
    assert await _listed(running, other) == []
    assert await _listed(running, await factory.admin_token(running)) == ["SPRING-10"]


async def test_who_may_create_which_coupon(running) -> None:
    seller, shop_id = await _shop(running)
    _, other_shop_id = await _shop(running)
    host, stream_id = await _show(running)
    _, other_stream_id = await _show(running)
    admin = await factory.admin_token(running)
    viewer = await factory.account(running)
    shopless = await factory.account(running, "seller")
    cases: list[tuple[str | None, dict[str, Any], int, str]] = [
        (seller, {"seller_id": other_shop_id}, 403, "forbidden"),
        (seller, {"scope": "platform"}, 403, "forbidden"),
        (seller, {"stream_id": stream_id}, 403, "forbidden"),
        (shopless, {}, 404, "no_seller"),
        (host, {"stream_id": other_stream_id}, 403, "forbidden"),
        (host, {"stream_id": 999_999}, 404, "stream_not_found"),
        (host, {}, 400, "bad_coupon_scope"),
        (host, {"seller_id": shop_id}, 403, "forbidden"),
        (host, {"scope": "platform"}, 403, "forbidden"),
        (viewer, {"scope": "platform"}, 403, "forbidden"),
        (admin, {"seller_id": 999_999}, 404, "seller_not_found"),
        (admin, {"scope": "seller"}, 400, "bad_coupon_scope"),
        (None, {}, 401, "auth_required"),
    ]
    for n, (token, terms, status, code) in enumerate(cases):
        payload = {"code": f"REFUSED{n}", "percent_bp": 500, **terms}
        got, body = await running.call("POST", "/api/coupons", token, json=payload)
        assert (got, body["error"]["code"]) == (status, code), (n, body)
    allowed: list[tuple[str, dict[str, Any], str, int | None]] = [
        (seller, {}, "seller", shop_id),
        (seller, {"seller_id": shop_id, "scope": "seller"}, "seller", shop_id),
        (host, {"stream_id": stream_id}, "stream", stream_id),
        (admin, {}, "platform", None),
        (admin, {"seller_id": other_shop_id}, "seller", other_shop_id),
        (admin, {"scope": "stream", "stream_id": other_stream_id}, "stream", other_stream_id),
    ]
    for n, (token, terms, scope, scope_id) in enumerate(allowed):
        payload = {"code": f"FINE{n}", "percent_bp": 500, **terms}
        status, body = await running.call("POST", "/api/coupons", token, json=payload)
        assert status == 201, (n, body)
        assert (body["scope"], body["scope_id"]) == (scope, scope_id)
    assert sorted(await _listed(running, admin)) == [f"FINE{n}" for n in range(len(allowed))]


async def test_a_code_is_taken_whatever_its_case(running) -> None:
    seller, _ = await _shop(running)
    first = {"code": "TAKEN", "percent_bp": 500}
    assert (await running.call("POST", "/api/coupons", seller, json=first))[0] == 201
    status, body = await running.call(
        "POST",
        "/api/coupons",
        seller,
        json={"code": "taken", "fixed_minor": 100, "currency": "EUR"},
    )
    assert status == 409 and body["error"]["code"] == "coupon_exists"
    assert await _listed(running, seller) == ["TAKEN"]


BAD_PAYLOADS = [
    ([], "invalid"),
    ({"code": "OK1", "percent_bp": 500, "colour": "red"}, "bad_field"),
    ({"percent_bp": 500}, "bad_coupon_code"),
    ({"code": "ab", "percent_bp": 500}, "bad_coupon_code"),
    ({"code": "has space", "percent_bp": 500}, "bad_coupon_code"),
    ({"code": 12345, "percent_bp": 500}, "bad_coupon_code"),
    ({"code": "X" * 33, "percent_bp": 500}, "bad_coupon_code"),
    ({"code": "OK1"}, "bad_coupon_value"),
    ({"code": "OK1", "percent_bp": 500, "fixed_minor": 100, "currency": "EUR"}, "bad_coupon_value"),
    ({"code": "OK1", "percent_bp": 0}, "bad_coupon_value"),
    ({"code": "OK1", "percent_bp": 10_001}, "bad_coupon_value"),
    ({"code": "OK1", "percent_bp": "10"}, "bad_coupon_value"),
    ({"code": "OK1", "percent_bp": True}, "bad_coupon_value"),
    ({"code": "OK1", "percent_bp": 12.5}, "bad_coupon_value"),
    ({"code": "OK1", "fixed_minor": 0, "currency": "EUR"}, "bad_coupon_value"),
    ({"code": "OK1", "fixed_minor": -100, "currency": "EUR"}, "bad_coupon_value"),
    ({"code": "OK1", "fixed_minor": 10**12, "currency": "EUR"}, "bad_coupon_value"),
    ({"code": "OK1", "fixed_minor": 100}, "bad_currency"),
    ({"code": "OK1", "fixed_minor": 100, "currency": "XXX"}, "bad_currency"),
    ({"code": "OK1", "percent_bp": 500, "currency": "EUR"}, "bad_coupon_value"),
    (
        {"code": "OK1", "percent_bp": 500, "min_order_minor": 0, "currency": "EUR"},
        "bad_coupon_value",
    ),
    ({"code": "OK1", "percent_bp": 500, "min_order_minor": 100}, "bad_currency"),
    ({"code": "OK1", "percent_bp": 500, "starts_at": "2026-05-01T00:00:00"}, "bad_time"),
    ({"code": "OK1", "percent_bp": 500, "starts_at": "tomorrow"}, "bad_time"),
    ({"code": "OK1", "percent_bp": 500, "ends_at": 1_777_000_000}, "bad_time"),
    (
        {
            "code": "OK1",
            "percent_bp": 500,
            "starts_at": "2026-05-02T00:00:00Z",
            "ends_at": "2026-05-02T01:00:00+01:00",
        },
        "bad_coupon_window",
    ),
    ({"code": "OK1", "percent_bp": 500, "max_uses": 0}, "bad_coupon_limit"),
    ({"code": "OK1", "percent_bp": 500, "max_uses": 2**31}, "bad_coupon_limit"),
    ({"code": "OK1", "percent_bp": 500, "per_buyer_limit": "2"}, "bad_coupon_limit"),
    ({"code": "OK1", "percent_bp": 500, "per_buyer_limit": -1}, "bad_coupon_limit"),
    ({"code": "OK1", "percent_bp": 500, "scope": "global"}, "bad_coupon_scope"),
    ({"code": "OK1", "percent_bp": 500, "scope": ["seller"]}, "bad_coupon_scope"),
    ({"code": "OK1", "percent_bp": 500, "seller_id": "mine"}, "bad_coupon_scope"),
    ({"code": "OK1", "percent_bp": 500, "seller_id": 0}, "bad_coupon_scope"),
    ({"code": "OK1", "percent_bp": 500, "scope": "seller", "stream_id": 1}, "bad_coupon_scope"),
]


async def test_every_bad_payload_is_refused_with_a_code_and_creates_nothing(running) -> None:
    seller, _ = await _shop(running)
    admin = await factory.admin_token(running)
    for payload, code in BAD_PAYLOADS:
        status, body = await running.call("POST", "/api/coupons", seller, json=payload)
        assert (status, body["error"]["code"]) == (400, code), payload
    status, body = await running.call("POST", "/api/coupons", seller, data=b"{nope")
    assert (status, body["error"]["code"]) == (400, "bad_json")
    assert await _listed(running, admin) == []
