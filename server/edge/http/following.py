"""Discovery and following: the home page's shows, a host's public page, follow and unfollow,
"remind me", the one-click unsubscribe link and password reset (docs/protocol.md "Following",
"Notifications", "Password reset")."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from server.contract.following import ResetConfirm, ResetRequest
from server.core.domain.accounts import require_account
from server.core.domain.roles import Principal
from server.core.domain.streams import LANGUAGES, StreamStatus, check_language
from server.core.store.rows import Stream
from server.edge.http.context import ROOM, SERVICES
from server.edge.http.errors import read_json
from server.edge.http.requests import PRINCIPAL, client_address, path_id, principal
from server.edge.webhooks import AiohttpWebhooks

routes = web.RouteTableDef()
HOME_SHOWS = 60


def _asker(request: web.Request) -> Principal | None:
    """Who asks, if anyone: these are public reads; a refused token reads as nobody."""
    found = request.get(PRINCIPAL)
    return found if isinstance(found, Principal) else None


def _show(stream: Stream) -> dict:
    return {
        "id": stream.id,
        "title": stream.title,
        "language": stream.language,
        "status": stream.status,
        "host": {"id": stream.host.id, "display_name": stream.host.display_name},
        "scheduled_at": stream.scheduled_at.isoformat() if stream.scheduled_at else None,
        "started_at": stream.started_at.isoformat() if stream.started_at else None,
        "ended_at": stream.ended_at.isoformat() if stream.ended_at else None,
    }


@routes.get("/api/home")
async def home(request: web.Request) -> web.Response:
    """Live now (with viewer counts, most watched first) and upcoming (soonest first), in the
    asked language when `lang` is given."""
    raw = request.query.get("lang")
    language = check_language(raw) if raw else None
    streams, room = request.app[SERVICES].streams, request.app[ROOM]
    live = await streams.find(StreamStatus.LIVE, limit=HOME_SHOWS)
    upcoming = await streams.find(StreamStatus.SCHEDULED, limit=HOME_SHOWS)
    if language is not None:
        live = [s for s in live if s.language == language]
        upcoming = [s for s in upcoming if s.language == language]
    counted = [(_show(s) | {"viewers": await room.viewers(s.id)}) for s in live]
    counted.sort(key=lambda s: -s["viewers"])
    upcoming.sort(key=lambda s: (s.scheduled_at is None, s.scheduled_at or s.created_at))
    return web.json_response(
        {"languages": list(LANGUAGES), "live": counted, "upcoming": [_show(s) for s in upcoming]}
    )


@routes.get("/api/hosts/{id}")
async def host_page(request: web.Request) -> web.Response:
    page = await request.app[SERVICES].following.host_page(path_id(request), _asker(request))
    return web.json_response(
        {
            "host": {"id": page.host.id, "display_name": page.host.display_name},
            "followers": page.followers,
            "following": page.following,
            "live": [_show(s) for s in page.live],
            "upcoming": [_show(s) for s in page.upcoming],
            "past": [_show(s) for s in page.past],
        }
    )


@routes.post("/api/hosts/{id}/follow")
async def follow(request: web.Request) -> web.Response:
    host_id = path_id(request)
    count = await request.app[SERVICES].following.follow(principal(request), host_id)
    return web.json_response({"host_id": host_id, "followers": count, "following": True})


@routes.delete("/api/hosts/{id}/follow")
async def unfollow(request: web.Request) -> web.Response:
    host_id = path_id(request)
    count = await request.app[SERVICES].following.unfollow(principal(request), host_id)
    return web.json_response({"host_id": host_id, "followers": count, "following": False})


@routes.get("/api/me/follows")
async def my_follows(request: web.Request) -> web.Response:
    user_id = require_account(principal(request), "follow hosts")
    services = request.app[SERVICES]
    return web.json_response(
        {
            "hosts": await services.following.follows(user_id),
            "reminders": await services.following.reminders(user_id),
            "unsubscribed": await services.notifications.unsubscribed(user_id),
        }
    )


@routes.post("/api/streams/{id}/remind")
async def remind(request: web.Request) -> web.Response:
    await request.app[SERVICES].following.remind(principal(request), path_id(request))
    return web.json_response({"stream_id": path_id(request), "reminded": True})


@routes.delete("/api/streams/{id}/remind")
async def forget_reminder(request: web.Request) -> web.Response:
    await request.app[SERVICES].following.forget_reminder(principal(request), path_id(request))
    return web.json_response({"stream_id": path_id(request), "reminded": False})


UNSUBSCRIBED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shopcast · Unsubscribed</title><link rel="stylesheet" href="/static/css/app.css"></head>
<body><main class="page"><h1>Unsubscribed</h1>
<p>You will get no more emails about hosts going live or shows starting. You still follow
them on Shopcast, and password reset emails you ask for still come.</p>
<p><a href="/">Shopcast</a></p></main></body></html>"""


@routes.get("/api/unsubscribe")
async def unsubscribe_link(request: web.Request) -> web.Response:
    """The link in every email: one click unsubscribes (and says so)."""
    await request.app[SERVICES].notifications.unsubscribe(request.query.get("token"))
    return web.Response(text=UNSUBSCRIBED_PAGE, content_type="text/html")


@routes.post("/api/unsubscribe")
async def unsubscribe_one_click(request: web.Request) -> web.Response:
    """RFC 8058's one-click POST, which mail clients send from the List-Unsubscribe header."""
    await request.app[SERVICES].notifications.unsubscribe(request.query.get("token"))
    return web.json_response({"unsubscribed": True})


@routes.post("/api/auth/password-reset")
async def request_reset(request: web.Request) -> web.Response:
    """Always 202 with the same answer: it tells nobody whether the address has an account."""
    asked = ResetRequest.parse(await read_json(request))
    await request.app[SERVICES].password_resets.request(asked.email, client_address(request))
    return web.json_response({"sent": True}, status=202)


@routes.post("/api/auth/password-reset/confirm")
async def confirm_reset(request: web.Request) -> web.Response:
    given = ResetConfirm.parse(await read_json(request))
    await request.app[SERVICES].password_resets.confirm(given.token, given.password)
    return web.json_response({"reset": True})


def install(app: web.Application) -> None:
    """The routes, the room's toasts, and each node's announcer and sender tasks."""
    app.router.add_routes(routes)
    app.cleanup_ctx.append(_notifying)


async def _notifying(app: web.Application) -> AsyncIterator[None]:
    app[ROOM].hear_following()  # host_live toasts; follows move this node's sockets
    queue = app[SERVICES].notifications
    tasks = [
        asyncio.create_task(queue.run_announcer(), name="notification-announcer"),
        asyncio.create_task(queue.run_sender(), name="notification-sender"),
    ]
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if isinstance(queue.webhooks, AiohttpWebhooks):
        await queue.webhooks.close()
