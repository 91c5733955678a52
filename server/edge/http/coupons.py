"""Coupons: sellers, hosts and admins create them and list their own (shapes: docs/protocol.md)."""

from __future__ import annotations

from aiohttp import web

from server.contract.coupons import NewCoupon
from server.contract.serializers import coupon_view
from server.edge.http.context import SERVICES
from server.edge.http.errors import read_json
from server.edge.http.requests import principal

routes = web.RouteTableDef()


@routes.post("/api/coupons")
async def create_coupon(request: web.Request) -> web.Response:
    who, coupons = principal(request), request.app[SERVICES].coupons
    raw = await read_json(request)
    coupons.authorize_create(who)
    coupon = await coupons.create(who, NewCoupon.parse(raw).terms())
    return web.json_response(coupon_view(coupon), status=201)


@routes.get("/api/coupons")
async def list_coupons(request: web.Request) -> web.Response:
    coupons = await request.app[SERVICES].coupons.list(principal(request))
    return web.json_response({"coupons": [coupon_view(c) for c in coupons]})
