""" "My orders": the buyer's orders with where each ships and the show it came from (the plain
list is GET /api/orders; cancelling is POST /api/orders/{id}/cancel)."""

from __future__ import annotations

from aiohttp import web

from server.contract.shipping import my_order_view
from server.core.services.my_orders import BuyerOrders
from server.edge.http.requests import principal

routes = web.RouteTableDef()
BUYER_ORDERS = web.AppKey("buyer_orders", BuyerOrders)


@routes.get("/api/account/orders")
async def my_orders(request: web.Request) -> web.Response:
    found = await request.app[BUYER_ORDERS].list(principal(request))
    return web.json_response(
        {"orders": [my_order_view(o.order, o.shipping, o.show) for o in found]}
    )
