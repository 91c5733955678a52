"""The marketplace's doors: sellers publish and answer offers, hosts browse and join them
(shapes: docs/protocol.md "Offers")."""

from __future__ import annotations

from aiohttp import web

from server.contract.offers import (
    DecisionBody,
    JoinBody,
    NewOfferBody,
    OfferChangeBody,
    member_view,
    offer_view,
)
from server.core.domain import offers as rules
from server.core.domain.catalog import check_country
from server.core.domain.commissions import check_rate
from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import ValidationError
from server.core.domain.offers import Filters
from server.core.domain.roles import Role
from server.core.domain.streams import check_language
from server.edge.http.context import SERVICES
from server.edge.http.errors import read_json
from server.edge.http.requests import path_id, principal

routes = web.RouteTableDef()


@routes.post("/api/offers")
async def create_offer(request: web.Request) -> web.Response:
    who = principal(request)
    raw = await read_json(request)
    offer = await request.app[SERVICES].offers.create(who, NewOfferBody.parse(raw).terms())
    return web.json_response(offer_view(offer), status=201)


@routes.get("/api/offers")
async def browse_offers(request: web.Request) -> web.Response:
    """?category=&language=&country=&min_rate_bp=: active offers, each with your membership."""
    found = await request.app[SERVICES].offers.browse(principal(request), _filters(request))
    return web.json_response({"offers": [offer_view(o, status) for o, status in found]})


@routes.get("/api/offers/mine")
async def own_offers(request: web.Request) -> web.Response:
    """A seller's offers with their hosts; a host's memberships and applications."""
    who, offers = principal(request), request.app[SERVICES].offers
    if who.role == Role.HOST:
        joined = await offers.joined(who)
        views = [offer_view(o, rules.MemberStatus(m.status)) for o, m in joined]
    else:
        views = [offer_view(o, members=members) for o, members in await offers.own(who)]
    return web.json_response({"offers": views})


@routes.patch("/api/offers/{id}")
async def change_offer(request: web.Request) -> web.Response:
    who, offer_id = principal(request), path_id(request)
    change = OfferChangeBody.parse(await read_json(request))
    offer = await request.app[SERVICES].offers.change(
        who, offer_id, status=change.status, rate_bp=change.rate_bp
    )
    return web.json_response(offer_view(offer))


@routes.post("/api/offers/{id}/join")
async def join_offer(request: web.Request) -> web.Response:
    who, offer_id = principal(request), path_id(request)
    body = JoinBody.parse(await read_json(request))
    member = await request.app[SERVICES].offers.join(who, offer_id, body.country)
    return web.json_response(member_view(member, who.display_name), status=201)


@routes.post("/api/offers/{id}/members/{host_id}")
async def decide_member(request: web.Request) -> web.Response:
    who, offer_id, host_id = principal(request), path_id(request), path_id(request, "host_id")
    body = DecisionBody.parse(await read_json(request))
    member = await request.app[SERVICES].offers.decide(
        who, offer_id, host_id, body.decision == "approve"
    )
    return web.json_response(member_view(member))


def _filters(request: web.Request) -> Filters:
    query = request.query
    category, language = query.get("category") or None, query.get("language") or None
    country, rate = query.get("country") or None, query.get("min_rate_bp") or None
    try:
        min_rate = check_rate(int(rate)) if rate is not None else None
    except ValueError:
        raise ValidationError(
            "min_rate_bp must be 0 to 10000 basis points", code=GeneralCode.BAD_QUERY
        ) from None
    return Filters(
        category=rules.check_category(category) if category is not None else None,
        language=check_language(language) if language is not None else None,
        country=check_country(country.upper()) if country is not None else None,
        min_rate_bp=min_rate,
    )
