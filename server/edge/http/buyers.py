"""Buyers' doors wired in one place: profiles and addresses, shops' shipping, "My orders"."""

from __future__ import annotations

from aiohttp import web

from server.core.services.addresses import AddressService
from server.core.services.my_orders import BuyerOrders
from server.core.services.shipping import ShippingService
from server.edge.http import addresses, my_orders, shipping
from server.edge.http.context import DATABASE, SERVICES


def install(app: web.Application) -> None:
    """After DATABASE and SERVICES are on the app."""
    database = app[DATABASE]
    app[addresses.ADDRESSES] = AddressService(database)
    app[shipping.SHIPPING] = ShippingService(database)
    app[my_orders.BUYER_ORDERS] = BuyerOrders(
        database, app[SERVICES].orders, app[shipping.SHIPPING]
    )
    for module in (addresses, shipping, my_orders):
        app.router.add_routes(module.routes)
