"""Buying during a show: atomic stock decrement, idempotent orders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.db import Database
from server.domain.errors import AuthRequired, Forbidden, NotFound, SoldOut
from server.domain.money import Money
from server.domain.orders import (
    BuyRequest,
    OrderLineDraft,
    OrderStatus,
    check_buyable,
    check_same_request,
)
from server.domain.roles import Principal, Role
from server.models import Order, OrderLine, Product, Stream, StreamProduct


@dataclass(frozen=True)
class Purchase:
    order: Order
    created: bool  # False when an idempotent retry returned the earlier order
    stock_left: int


class OrderService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def buy(self, principal: Principal, stream_id: int, req: BuyRequest) -> Purchase:
        if principal.user_id is None:
            raise AuthRequired("sign in to buy: guests can watch and chat", code="account_required")
        earlier = await self._by_key(principal.user_id, req)
        if earlier is not None:
            return earlier
        try:
            return await self._place(principal.user_id, stream_id, req)
        except IntegrityError:
            # The same key raced in from another tab or node: the first insert won.
            earlier = await self._by_key(principal.user_id, req)
            if earlier is None:
                raise
            return earlier

    async def _place(self, buyer_id: int, stream_id: int, req: BuyRequest) -> Purchase:
        async with self._db.writing() as session:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream", code="stream_not_found")
            in_lineup = await session.get(StreamProduct, (stream_id, req.product_id))
            check_buyable(stream.status, in_lineup is not None)
            # One statement decides: stock never goes below zero, whatever runs beside it.
            stock_left = await session.scalar(
                update(Product)
                .where(Product.id == req.product_id, Product.stock >= req.quantity)
                .values(stock=Product.stock - req.quantity)
                .returning(Product.stock)
            )
            product = await session.get(Product, req.product_id)
            if product is None:
                raise NotFound("no such product")
            if stock_left is None:
                raise SoldOut(_sold_out_message(product.stock, req.quantity))
            line = OrderLineDraft(
                product_id=product.id,
                seller_id=product.seller_id,
                title=product.title,
                unit_price=Money(product.price_minor, product.currency),
                quantity=req.quantity,
            )
            order = _order(buyer_id, stream_id, req.idempotency_key, line)
            session.add(order)
            await session.flush()
            order_id = order.id
        return Purchase(order=await self.get_by_id(order_id), created=True, stock_left=stock_left)

    async def _by_key(self, buyer_id: int, req: BuyRequest) -> Purchase | None:
        async with self._db.reading() as session:
            order = await session.scalar(
                select(Order).where(
                    Order.buyer_id == buyer_id, Order.idempotency_key == req.idempotency_key
                )
            )
            if order is None:
                return None
            line = order.lines[0]
            check_same_request(line.product_id, line.quantity, req)
            stock = await session.scalar(select(Product.stock).where(Product.id == line.product_id))
        return Purchase(order=order, created=False, stock_left=stock or 0)

    async def get_by_id(self, order_id: int) -> Order:
        async with self._db.reading() as session:
            order = await session.get(Order, order_id)
        if order is None:
            raise NotFound("no such order")
        return order

    async def get(self, principal: Principal, order_id: int) -> Order:
        order = await self.get_by_id(order_id)
        if order.buyer_id != principal.user_id and principal.role != Role.ADMIN:
            raise Forbidden("this is someone else's order")
        return order

    async def mine(self, principal: Principal, limit: int = 100) -> list[Order]:
        if principal.user_id is None:
            raise AuthRequired("sign in to see orders", code="account_required")
        query = (
            select(Order)
            .where(Order.buyer_id == principal.user_id)
            .order_by(Order.id.desc())
            .limit(limit)
        )
        async with self._db.reading() as session:
            return list(await session.scalars(query))


def _order(buyer_id: int, stream_id: int, key: str, line: OrderLineDraft) -> Order:
    total = line.total
    return Order(
        buyer_id=buyer_id,
        stream_id=stream_id,
        idempotency_key=key,
        status=OrderStatus.RESERVED,
        total_minor=total.amount_minor,
        currency=total.currency,
        lines=[
            OrderLine(
                product_id=line.product_id,
                seller_id=line.seller_id,
                title=line.title,
                unit_price_minor=line.unit_price.amount_minor,
                currency=line.unit_price.currency,
                quantity=line.quantity,
            )
        ],
    )


def _sold_out_message(stock: int, wanted: int) -> str:
    if stock == 0:
        return "sold out"
    return f"only {stock} left: lower the quantity"
