"""Where shops ship: the seller's table of fees, and what a show's products cost to ship to a
country, which the viewer page asks before the tap (docs/protocol.md "Addresses and
shipping")."""

from __future__ import annotations

from aiohttp import web

from server.contract.shipping import ShippingRates, rates_view, show_shipping_view
from server.core.domain.addresses import check_country
from server.core.domain.error_codes import ShippingCode
from server.core.domain.errors import ValidationError
from server.core.services.shipping import ShippingService
from server.edge.http.addresses import ADDRESSES
from server.edge.http.errors import read_json
from server.edge.http.requests import PRINCIPAL, path_id, principal

routes = web.RouteTableDef()
SHIPPING = web.AppKey("shipping", ShippingService)


@routes.get("/api/seller/shipping")
async def get_rates(request: web.Request) -> web.Response:
    rates = await request.app[SHIPPING].rates(principal(request))
    return web.json_response(rates_view(rates))


@routes.put("/api/seller/shipping")
async def set_rates(request: web.Request) -> web.Response:
    who, shipping = principal(request), request.app[SHIPPING]
    await shipping.rates(who)  # only a seller with a shop, before the body is looked at
    rates = ShippingRates.parse(await read_json(request)).checked_rates()
    return web.json_response(rates_view(await shipping.set_rates(who, rates)))


@routes.get("/api/streams/{id}/shipping")
async def show_shipping(request: web.Request) -> web.Response:
    """`?country=XX`, else the signed-in buyer's (default address, then profile)."""
    stream_id = path_id(request)
    country = request.query.get("country")
    if country is None:
        who = request.get(PRINCIPAL)
        if who is not None and not isinstance(who, Exception):
            country = await request.app[ADDRESSES].default_country(who)
    if country is None:
        raise ValidationError(
            "name a country (?country=PL) or save an address first",
            code=ShippingCode.ADDRESS_REQUIRED,
        )
    country = check_country(country)
    products = await request.app[SHIPPING].for_show(stream_id, country)
    return web.json_response(show_shipping_view(country, products))
