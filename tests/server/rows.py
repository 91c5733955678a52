"""Records written straight to the database, for service tests that must not depend on the
order service: a database of the test's backend, users, shops, shows, products, orders."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from server.core.domain.roles import Principal, Role
from server.core.store.db import Database, migrate
from server.core.store.rows import Order, OrderLine, Product, Seller, Stream, User
from tests.conftest import Backend

_seq = itertools.count(1)


def _far_time_zone(dbapi_connection: Any, _record: Any) -> None:
    # Nothing may depend on the server's session zone: run PostgreSQL tests away from UTC.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'Pacific/Kiritimati'")  # UTC+14
    cursor.close()


async def database(backend: Backend) -> AsyncIterator[Database]:
    db = Database(backend.database_url)
    if db.engine.dialect.name == "postgresql":
        event.listen(db.engine.sync_engine, "connect", _far_time_zone)
    await migrate(db.engine)
    yield db
    await db.close()


@dataclass(frozen=True)
class World:
    """Two hosts with a show each, two shops with a product each, a buyer, an admin."""

    admin: Principal
    hosts: tuple[Principal, Principal]
    sellers: tuple[Principal, Principal]  # their shops: shop_ids, in the same order
    shop_ids: tuple[int, int]
    stream_ids: tuple[int, int]  # hosts[0]'s show, hosts[1]'s show
    product_ids: tuple[int, int]  # shop_ids[0]'s product, shop_ids[1]'s product
    buyer: Principal


async def user(db: Database, role: Role) -> Principal:
    n = next(_seq)
    row = User(email=f"r{n}@example.test", password_hash="-", display_name=f"U{n}", role=role)
    async with db.writing() as session:
        session.add(row)
    return Principal(f"u:{row.id}", row.display_name, role, row.id)


async def world(db: Database) -> World:
    admin = await user(db, Role.ADMIN)
    hosts = (await user(db, Role.HOST), await user(db, Role.HOST))
    sellers = (await user(db, Role.SELLER), await user(db, Role.SELLER))
    async with db.writing() as session:
        shops = [Seller(user_id=s.user_id, name="Shop", country="PL") for s in sellers]
        streams = [
            Stream(host_id=h.user_id, title="Show", language="en", stream_key=f"k{next(_seq)}")
            for h in hosts
        ]
        session.add_all([*shops, *streams])
        await session.flush()
        products = [
            Product(seller_id=shop.id, title="Thing", price_minor=1000, currency="EUR")
            for shop in shops
        ]
        session.add_all(products)
    return World(
        admin=admin,
        hosts=hosts,
        sellers=sellers,
        shop_ids=(shops[0].id, shops[1].id),
        stream_ids=(streams[0].id, streams[1].id),
        product_ids=(products[0].id, products[1].id),
        buyer=await user(db, Role.VIEWER),
    )


def order(
    buyer_id: int,
    *,
    stream_id: int | None = None,
    host_id: int | None = None,
    coupon_id: int | None = None,
    status: str = "reserved",
    currency: str = "EUR",
) -> Order:
    return Order(
        buyer_id=buyer_id,
        stream_id=stream_id,
        host_id=host_id,
        coupon_id=coupon_id,
        idempotency_key=f"key-{next(_seq):08d}",
        status=status,
        total_minor=0,
        currency=currency,
    )


def line(
    product_id: int,
    seller_id: int,
    *,
    unit_price_minor: int,
    quantity: int = 1,
    discount_minor: int = 0,
    commission_bp: int = 0,
    currency: str = "EUR",
) -> OrderLine:
    return OrderLine(
        product_id=product_id,
        seller_id=seller_id,
        title="Thing",
        unit_price_minor=unit_price_minor,
        currency=currency,
        quantity=quantity,
        discount_minor=discount_minor,
        commission_bp=commission_bp,
    )
