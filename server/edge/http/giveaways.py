"""Giveaways over HTTP, for anyone: a show's giveaways, one giveaway, and its entry list with
the proof that docs/verify_giveaway.py checks (docs/protocol.md "Giveaways")."""

from __future__ import annotations

from aiohttp import web

from server.contract.giveaways import entries_export, giveaway_view
from server.core.store.rows import utcnow
from server.edge.http.context import SERVICES
from server.edge.http.requests import path_id

routes = web.RouteTableDef()


@routes.get("/api/streams/{id}/giveaways")
async def of_stream(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    stream = await services.streams.get(path_id(request))
    now = utcnow()
    found = await services.giveaways.of_stream(stream.id)
    return web.json_response({"giveaways": [giveaway_view(g, now) for g in found]})


@routes.get("/api/giveaways/{id}")
async def one(request: web.Request) -> web.Response:
    giveaway = await request.app[SERVICES].giveaways.get(path_id(request))
    return web.json_response(giveaway_view(giveaway, utcnow()))


@routes.get("/api/giveaways/{id}/entries")
async def entries(request: web.Request) -> web.Response:
    """The counted entries, sorted, with the commitment; the seed and winners once drawn."""
    service = request.app[SERVICES].giveaways
    giveaway = await service.get(path_id(request))
    export = entries_export(giveaway, await service.entrants(giveaway.id))
    return web.json_response(export, headers={"Cache-Control": "no-store"})
