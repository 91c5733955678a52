"""Auctions over HTTP: start one, bid (as the room's `bid` does), read it and its bid history
(shapes and codes: docs/protocol.md "Auctions")."""

from __future__ import annotations

from aiohttp import web

from server.contract.auctions import (
    BidBody,
    NewAuction,
    auction_view,
    bid_answer,
    bid_view,
)
from server.core.store.rows import Auction, utcnow
from server.edge.http.context import ROOM, SERVICES
from server.edge.http.errors import read_json
from server.edge.http.requests import path_id, principal

routes = web.RouteTableDef()


@routes.post("/api/streams/{id}/auctions")
async def start_auction(request: web.Request) -> web.Response:
    who, auctions = principal(request), request.app[SERVICES].auctions
    stream_id = path_id(request)
    await auctions.authorize_staff(who, stream_id)  # who may, before what they sent is read
    spec = NewAuction.parse(await read_json(request)).spec()
    row = await auctions.start(who, stream_id, spec)
    return web.json_response({"auction": await _view(request, row)}, status=201)


@routes.get("/api/streams/{id}/auctions")
async def list_auctions(request: web.Request) -> web.Response:
    rows = await request.app[SERVICES].auctions.of_stream(path_id(request))
    return web.json_response({"auctions": [await _view(request, row) for row in rows]})


@routes.get("/api/auctions/{id}")
async def get_auction(request: web.Request) -> web.Response:
    row = await request.app[SERVICES].auctions.get(path_id(request))
    return web.json_response({"auction": await _view(request, row)})


@routes.post("/api/auctions/{id}/bids")
async def place_bid(request: web.Request) -> web.Response:
    """A bid `{amount_minor | buy_now, idempotency_key}`, or a maximum `{max_minor,
    idempotency_key}`; 201 with the auction after it, 200 for a retry's first answer."""
    who, services = principal(request), request.app[SERVICES]
    auction_id = path_id(request)
    body = await read_json(request)
    fields = {**body, "auction_id": auction_id} if isinstance(body, dict) else body
    asked = BidBody.parse(fields).request()
    row = await services.auctions.get(auction_id)
    stream = await services.streams.get(row.stream_id)
    await request.app[ROOM].bidder_refusal(who, stream)
    answer = await services.auctions.bid(who, auction_id, asked)
    status = 200 if answer.decided.replayed else 201
    return web.json_response(bid_answer(answer), status=status)


@routes.get("/api/auctions/{id}/bids")
async def bid_history(request: web.Request) -> web.Response:
    who, auction_id = principal(request), path_id(request)
    bids = await request.app[SERVICES].auctions.history(who, auction_id)
    return web.json_response({"bids": [bid_view(b) for b in bids]})


@routes.post("/api/auctions/{id}/stop")
async def stop_auction(request: web.Request) -> web.Response:
    who = principal(request)
    row = await request.app[SERVICES].auctions.stop(who, path_id(request))
    return web.json_response({"auction": await _view(request, row)})


async def _view(request: web.Request, row: Auction) -> dict:
    state, name = await request.app[SERVICES].auctions.live_state(row)
    return auction_view(row, state, name, utcnow())
