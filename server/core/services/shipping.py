"""Shops' shipping rates, what a show's products cost to ship to a country (asked by the viewer
page before the tap), and the shipping an order carries (written inside its transaction)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.addresses import Address
from server.core.domain.error_codes import CatalogCode, StreamCode
from server.core.domain.errors import Forbidden, NotFound
from server.core.domain.money import Money
from server.core.domain.roles import Principal, Role
from server.core.domain.shipping import ShippingQuote, ShippingRate, quote, rate_for
from server.core.services.addresses import as_address, owned_address
from server.core.store.db import Database
from server.core.store.rows import (
    Order,
    OrderShipping,
    OrderShippingLine,
    Product,
    Seller,
    ShippingRateRow,
    Stream,
    StreamProduct,
)


@dataclass(frozen=True)
class ProductShipping:
    """Whether one product of a show ships to a country, and its shop's fee there."""

    product_id: int
    seller_id: int
    fee: Money | None  # None: its shop does not ship there


@dataclass(frozen=True)
class OrderShippingView:
    address: dict[str, str]
    lines: list[str]  # the address as written on the parcel
    country: str
    fee: Money
    per_seller: tuple[tuple[int, Money], ...]


class ShippingService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rates(self, principal: Principal) -> list[ShippingRate]:
        async with self._db.reading() as session:
            seller_id = await _own_shop(session, principal)
            return (await _rates_of(session, [seller_id])).get(seller_id, [])

    async def set_rates(
        self, principal: Principal, rates: list[ShippingRate]
    ) -> list[ShippingRate]:
        """Replace the caller's shop's whole table (checked by domain/shipping.check_rates)."""
        async with self._db.writing() as session:
            seller_id = await _own_shop(session, principal)
            await session.execute(
                delete(ShippingRateRow).where(ShippingRateRow.seller_id == seller_id)
            )
            for rate in rates:
                session.add(
                    ShippingRateRow(
                        seller_id=seller_id,
                        country=rate.country,
                        fee_minor=rate.fee.amount_minor,
                        currency=rate.fee.currency,
                    )
                )
        return rates

    async def for_show(self, stream_id: int, country: str) -> list[ProductShipping]:
        """Each product of a show's line-up: does its shop ship to `country`, for how much."""
        async with self._db.reading() as session:
            if await session.get(Stream, stream_id) is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            rows = (
                await session.execute(
                    select(Product.id, Product.seller_id)
                    .join(StreamProduct, StreamProduct.product_id == Product.id)
                    .where(StreamProduct.stream_id == stream_id)
                    .order_by(StreamProduct.position)
                )
            ).all()
            rates = await _rates_of(session, {seller_id for _, seller_id in rows})
        answer = []
        for product_id, seller_id in rows:
            rate = rate_for(rates.get(seller_id, []), country)
            answer.append(ProductShipping(product_id, seller_id, rate.fee if rate else None))
        return answer

    async def of_orders(self, order_ids: Iterable[int]) -> dict[int, OrderShippingView]:
        ids = list(order_ids)
        if not ids:
            return {}
        async with self._db.reading() as session:
            heads = list(
                await session.scalars(select(OrderShipping).where(OrderShipping.order_id.in_(ids)))
            )
            lines = list(
                await session.scalars(
                    select(OrderShippingLine)
                    .where(OrderShippingLine.order_id.in_(ids))
                    .order_by(OrderShippingLine.id)
                )
            )
        per_order: dict[int, list[tuple[int, Money]]] = defaultdict(list)
        for line in lines:
            per_order[line.order_id].append((line.seller_id, Money(line.fee_minor, line.currency)))
        views = {}
        for head in heads:
            address = json.loads(head.address)
            views[head.order_id] = OrderShippingView(
                address=address,
                lines=_address_lines(address),
                country=head.country,
                fee=Money(head.fee_minor, head.currency),
                per_seller=tuple(per_order[head.order_id]),
            )
        return views


async def attach_shipping(session: AsyncSession, order: Order, address_id: int) -> ShippingQuote:
    """Inside the order's transaction, after its lines and discount: ship it to the buyer's
    address `address_id`, one line per shop, the fees added to its total. Refused (and so
    the whole purchase) when the address is not the buyer's or a shop does not ship there."""
    row = await owned_address(session, order.buyer_id, address_id)
    sellers = {line.seller_id for line in order.lines}
    rates = await _rates_of(session, sellers)
    shipping = quote(rates, sellers, row.country, order.currency)
    address = as_address(row)
    session.add(
        OrderShipping(
            order_id=order.id,
            address=json.dumps(address.to_dict(), ensure_ascii=False),
            country=row.country,
            fee_minor=shipping.total.amount_minor,
            currency=shipping.total.currency,
        )
    )
    for line in shipping.lines:
        session.add(
            OrderShippingLine(
                order_id=order.id,
                seller_id=line.seller_id,
                fee_minor=line.fee.amount_minor,
                currency=line.fee.currency,
            )
        )
    order.total_minor += shipping.total.amount_minor
    return shipping


def _address_lines(fields: dict[str, str]) -> list[str]:
    return Address(**fields).lines()


async def _rates_of(
    session: AsyncSession, seller_ids: Iterable[int]
) -> dict[int, list[ShippingRate]]:
    rows = await session.scalars(
        select(ShippingRateRow)
        .where(ShippingRateRow.seller_id.in_(list(seller_ids)))
        .order_by(ShippingRateRow.country)
    )
    rates: dict[int, list[ShippingRate]] = defaultdict(list)
    for row in rows:
        rates[row.seller_id].append(ShippingRate(row.country, Money(row.fee_minor, row.currency)))
    return dict(rates)


async def _own_shop(session: AsyncSession, principal: Principal) -> int:
    if principal.role != Role.SELLER or principal.user_id is None:
        raise Forbidden("only sellers set where their shop ships")
    seller_id = await session.scalar(select(Seller.id).where(Seller.user_id == principal.user_id))
    if seller_id is None:
        raise NotFound("open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER)
    return seller_id


__all__ = ["OrderShippingView", "ProductShipping", "ShippingService", "attach_shipping"]
