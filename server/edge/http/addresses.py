"""A buyer's profile and shipping addresses (shapes: docs/protocol.md "Addresses and
shipping")."""

from __future__ import annotations

from aiohttp import web

from server.contract.addresses import (
    NewAddress,
    ProfileChange,
    address_view,
    countries_view,
    profile_view,
)
from server.core.domain.roles import Principal
from server.core.services.addresses import AddressService
from server.edge.http.errors import read_json
from server.edge.http.requests import path_id, principal

routes = web.RouteTableDef()
ADDRESSES = web.AppKey("addresses", AddressService)


def _service(request: web.Request) -> tuple[Principal, AddressService]:
    return principal(request), request.app[ADDRESSES]


@routes.get("/api/account/countries")
async def countries(request: web.Request) -> web.Response:
    """Where we ship, each country's postal code example and whether it needs a region."""
    return web.json_response(countries_view())


@routes.get("/api/account/profile")
async def get_profile(request: web.Request) -> web.Response:
    who, addresses = _service(request)
    return web.json_response(profile_view(await addresses.profile(who)))


@routes.patch("/api/account/profile")
async def change_profile(request: web.Request) -> web.Response:
    who, addresses = _service(request)
    raw = await read_json(request)
    changes = ProfileChange.parse(raw).changes(raw if isinstance(raw, dict) else {})
    return web.json_response(profile_view(await addresses.set_profile(who, changes)))


@routes.get("/api/account/addresses")
async def list_addresses(request: web.Request) -> web.Response:
    who, addresses = _service(request)
    return web.json_response({"addresses": [address_view(a) for a in await addresses.list(who)]})


@routes.post("/api/account/addresses")
async def add_address(request: web.Request) -> web.Response:
    who, addresses = _service(request)
    await addresses.profile(who)  # guests are refused before their body is looked at
    new = NewAddress.parse(await read_json(request))
    row = await addresses.add(who, new.address(), new.default)
    return web.json_response(address_view(row), status=201)


@routes.put("/api/account/addresses/{id}")
async def replace_address(request: web.Request) -> web.Response:
    who, addresses = _service(request)
    address_id = path_id(request)
    await addresses.profile(who)
    new = NewAddress.parse(await read_json(request))
    row = await addresses.replace(who, address_id, new.address(), new.default)
    return web.json_response(address_view(row))


@routes.delete("/api/account/addresses/{id}")
async def delete_address(request: web.Request) -> web.Response:
    who, addresses = _service(request)
    address_id = path_id(request)
    await addresses.delete(who, address_id)
    return web.json_response({"deleted": address_id})


__all__ = ["ADDRESSES", "routes"]
