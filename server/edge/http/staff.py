"""The staff console's doors (admins only: 403 admins_only for anyone else; docs/protocol.md
"Staff console"). Every change goes through StaffService, which writes the audit entry."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from chat.room_nodes import RedisError, node_loads
from server.contract.accounts import AccountPatch
from server.contract.coupons import NewCoupon
from server.contract.serializers import audit_view, coupon_view, iso, user_view
from server.contract.staff import TakeDown
from server.core.domain.accounts import AccountChange
from server.core.services.staff import PlatformBan, StaffService
from server.core.store.rows import Stream, User, as_utc
from server.edge.http.context import CONFIG, DATABASE, MEDIA, REDIS, ROOM, SERVICES
from server.edge.http.errors import read_json
from server.edge.http.requests import path_id, principal

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()
STAFF: web.AppKey[StaffService] = web.AppKey("staff")


def install(app: web.Application) -> None:
    services = app[SERVICES]
    app[STAFF] = StaffService(
        app[DATABASE],
        services.accounts,
        services.streams,
        services.replays,
        services.coupons,
        services.moderation_audit,
    )
    app.router.add_routes(routes)


def _user(user: User) -> dict[str, Any]:
    return user_view(user) | {"disabled": user.disabled}


def _show(stream: Stream, viewers: int | None = None) -> dict[str, Any]:
    return {
        "id": stream.id,
        "title": stream.title,
        "status": stream.status,
        "host_id": stream.host_id,
        "started_at": iso(as_utc(stream.started_at)) if stream.started_at else None,
        "ended_at": iso(as_utc(stream.ended_at)) if stream.ended_at else None,
        "viewers": viewers,
        "replay": stream.replay,
        "replay_taken_down": stream.replay_taken_down_at is not None,
    }


@routes.get("/api/staff/users")
async def find_users(request: web.Request) -> web.Response:
    query, role = request.query.get("q", "").strip(), request.query.get("role", "").strip()
    users = await request.app[STAFF].find_users(principal(request), query or None, role or None)
    return web.json_response({"users": [_user(u) for u in users]})


@routes.patch("/api/staff/users/{id}")
async def change_user(request: web.Request) -> web.Response:
    who, user_id = principal(request), path_id(request)
    StaffService.authorize(who)
    change = AccountPatch.parse(await read_json(request)).checked(AccountChange)
    user = await request.app[STAFF].change_account(who, user_id, change)
    return web.json_response({"user": _user(user)})


@routes.get("/api/staff/shows")
async def shows(request: web.Request) -> web.Response:
    live, ended = await request.app[STAFF].shows(principal(request))
    room = request.app[ROOM]
    return web.json_response(
        {
            "live": [_show(s, await room.viewers(s.id)) for s in live],
            "ended": [_show(s) for s in ended],
        }
    )


@routes.post("/api/staff/shows/{id}/end")
async def end(request: web.Request) -> web.Response:
    who, stream_id = principal(request), path_id(request)
    stream = await request.app[STAFF].end_show(who, stream_id)
    await request.app[MEDIA].end(str(stream_id))  # drops its publisher and viewers
    return web.json_response({"show": _show(stream)})


@routes.post("/api/staff/shows/{id}/take-down")
async def take_down(request: web.Request) -> web.Response:
    who, stream_id = principal(request), path_id(request)
    StaffService.authorize(who)
    body = TakeDown.parse(await read_json(request))
    stream = await request.app[STAFF].take_down_replay(who, stream_id, body.down)
    return web.json_response({"show": _show(stream)})


@routes.get("/api/staff/coupons")
async def coupons(request: web.Request) -> web.Response:
    found = await request.app[STAFF].coupons(principal(request))
    return web.json_response({"coupons": [coupon_view(c) for c in found]})


@routes.post("/api/staff/coupons")
async def create_coupon(request: web.Request) -> web.Response:
    who = principal(request)
    StaffService.authorize(who)
    terms = NewCoupon.parse(await read_json(request)).terms()
    coupon = await request.app[STAFF].create_coupon(who, terms)
    return web.json_response(coupon_view(coupon), status=201)


@routes.get("/api/staff/audit")
async def audit(request: web.Request) -> web.Response:
    """The newest entries, the platform bans in force as the log has them, and the names of
    the accounts they mention."""
    who, staff = principal(request), request.app[STAFF]
    entries = await staff.audit_log(who)
    bans = await staff.platform_bans(who)
    subjects = [s for e in entries for s in (e.actor, e.target)]
    names = await staff.names(subjects + [s for b in bans for s in (b.target, b.by)])
    return web.json_response(
        {
            "entries": [audit_view(e) for e in entries],
            "bans": [_ban(b) for b in bans],
            "names": names,
        }
    )


def _ban(ban: PlatformBan) -> dict[str, Any]:
    return {
        "target": ban.target,
        "by": ban.by,
        "at": iso(datetime.fromtimestamp(ban.at, UTC)),
        "until": None if ban.until is None else iso(datetime.fromtimestamp(ban.until, UTC)),
        "reason": ban.reason,
    }


@routes.get("/api/staff/health")
async def health(request: web.Request) -> web.Response:
    StaffService.authorize(principal(request))
    app = request.app
    media = app[MEDIA].metrics()
    client = app[REDIS]
    redis_ok = client is not None
    if client is not None:
        try:
            loads = [
                {"node": n.node, "shows": n.shows, "viewers": n.viewers}
                for n in await node_loads(client, app[CONFIG].chat.redis_channel)
            ]
        except (RedisError, OSError) as exc:
            logger.warning("staff health: Redis unavailable (%s)", exc)
            loads, redis_ok = [], False
    else:
        rooms = app[ROOM].local_rooms()
        loads = [{"node": "this node", "shows": len(rooms), "viewers": sum(rooms.values())}]
    return web.json_response(
        {
            "nodes": loads,
            "media_shows": len(media),
            "media_viewers": sum(m.viewers for m in media.values()),
            "redis": redis_ok,
        }
    )
