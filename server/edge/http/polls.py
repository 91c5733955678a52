"""Polls over HTTP, for anyone: a show's polls with their results (the final ones stored when
each closed), and one poll (docs/protocol.md "Polls")."""

from __future__ import annotations

from aiohttp import web

from server.contract.polls import poll_view
from server.core.store.rows import utcnow
from server.edge.http.context import SERVICES
from server.edge.http.requests import path_id

routes = web.RouteTableDef()


@routes.get("/api/streams/{id}/polls")
async def of_stream(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    stream = await services.streams.get(path_id(request))
    now = utcnow()
    found = await services.polls.of_stream(stream.id)
    return web.json_response({"polls": [poll_view(p, now) for p in found]})


@routes.get("/api/polls/{id}")
async def one(request: web.Request) -> web.Response:
    poll = await request.app[SERVICES].polls.get(path_id(request))
    return web.json_response(poll_view(poll, utcnow()))
