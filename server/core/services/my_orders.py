"""A buyer's orders as "My orders" shows them: each with where it ships and the show it came
from (the orders themselves are OrderService's; cancelling is OrderLifecycle's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from server.core.domain.roles import Principal
from server.core.services.orders import OrderService
from server.core.services.shipping import OrderShippingView, ShippingService
from server.core.store.db import Database
from server.core.store.rows import Order, Stream


@dataclass(frozen=True)
class BuyerOrder:
    order: Order
    shipping: OrderShippingView | None
    show: dict[str, Any] | None  # id, title, status, language


class BuyerOrders:
    def __init__(self, db: Database, orders: OrderService, shipping: ShippingService) -> None:
        self._db = db
        self._orders = orders
        self._shipping = shipping

    async def list(self, principal: Principal, limit: int = 100) -> list[BuyerOrder]:
        orders = await self._orders.mine(principal, limit)
        shipping = await self._shipping.of_orders(o.id for o in orders)
        stream_ids = {o.stream_id for o in orders if o.stream_id is not None}
        shows: dict[int, dict[str, Any]] = {}
        if stream_ids:
            async with self._db.reading() as session:
                rows = await session.execute(
                    select(Stream.id, Stream.title, Stream.status, Stream.language).where(
                        Stream.id.in_(stream_ids)
                    )
                )
                for id_, title, status, language in rows:
                    shows[id_] = {"id": id_, "title": title, "status": status, "language": language}
        return [
            BuyerOrder(
                o, shipping.get(o.id), shows.get(o.stream_id) if o.stream_id is not None else None
            )
            for o in orders
        ]
