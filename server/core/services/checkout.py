"""Checking out a buyer's cart in a show: one use case for every door (HTTP and the room).

The cart becomes one order under the buyer's idempotency key and is emptied. A retry of that
key finds the cart empty: its answer is the order the first checkout placed, as a retried buy
gets its first order."""

from __future__ import annotations

from server.core.domain.error_codes import OrderCode
from server.core.domain.errors import Conflict
from server.core.domain.roles import Principal
from server.core.services.cart import CartService
from server.core.services.orders import OrderService, Purchase


async def check_out(
    carts: CartService,
    orders: OrderService,
    principal: Principal,
    stream_id: int,
    key: str,
    coupon: str | None,
    address_id: int | None = None,
) -> Purchase:
    try:
        items = await carts.as_items(principal, stream_id)
    except Conflict as refusal:
        if refusal.code != OrderCode.CART_EMPTY:
            raise
        earlier = await orders.placed_under(principal, stream_id, key)
        if earlier is None:
            raise
        return earlier
    purchase = await orders.place(principal, stream_id, items, key, coupon, address_id)
    await carts.clear(principal, stream_id)
    return purchase
