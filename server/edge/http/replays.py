"""Replays of ended shows (docs/protocol.md, "Replays"): the replay with its chapters and a
signed media link, its chat window by window, the replay switch, the recent replays, and the
file itself, served with Range through the signed link so a plain `<video src>` plays it.

Buying from a replay goes through the show's usual buy and checkout routes (orders.py)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from server.contract.replays import (
    ReplayPatch,
    chat_view,
    listed_view,
    replay_view,
    setting_view,
)
from server.core.domain import replays as rules
from server.core.domain.error_codes import StreamCode
from server.core.domain.errors import NotFound
from server.core.domain.recordings import CONTENT_TYPES
from server.core.domain.roles import Principal
from server.edge.http.context import CONFIG, SERVICES
from server.edge.http.errors import read_json
from server.edge.http.requests import PRINCIPAL, path_id, principal

routes = web.RouteTableDef()
KEY_PURPOSE = b"shopcast replay media links"


def media_key(app: web.Application) -> bytes:
    """The media links' HMAC key, derived from the server's secret (every node has it)."""
    return hmac.new(app[CONFIG].secret.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def _viewer(request: web.Request) -> Principal | None:
    """Who asks, if anyone: replays are public reads; a refused token reads as nobody."""
    found = request.get(PRINCIPAL)
    return found if isinstance(found, Principal) else None


def _language(request: web.Request) -> str | None:
    return request.query.get("lang") or None


@routes.get("/api/streams/{id}/replay")
async def get_replay(request: web.Request) -> web.Response:
    stream_id = path_id(request)
    language = _language(request)
    replay = await request.app[SERVICES].replays.get(_viewer(request), stream_id, language)
    if request.app[CONFIG].chat.show_metrics and not replay.live:  # a view in the report
        who = _viewer(request)
        request.app[SERVICES].show_reports.metrics.replayed(stream_id, who.subject if who else "")
    taken_down = replay.stream.replay_taken_down_at is not None
    audience = rules.link_audience(replay.stream.replay, taken_down, live=replay.live)
    expires = int(time.time()) + rules.MEDIA_LINK_TTL_S
    link = rules.MediaLink(stream_id, replay.recording.id, expires, audience)
    signature = rules.sign(media_key(request.app), link)
    url = str(
        request.url.with_path(f"/api/streams/{stream_id}/replay/media").with_query(
            recording=link.recording_id, expires=expires, audience=audience, signature=signature
        )
    )
    url = url[url.index("/api/") :]  # the path and query: the page is on the same origin
    expires_at = datetime.fromtimestamp(expires, UTC).isoformat()
    return web.json_response(
        replay_view(replay, url, expires_at, language or replay.stream.language)
    )


@routes.get("/api/streams/{id}/replay/chat")
async def replay_chat(request: web.Request) -> web.Response:
    query = request.query
    chat = await request.app[SERVICES].replays.chat(
        _viewer(request), path_id(request), query.get("from_ms"), query.get("to_ms")
    )
    return web.json_response(chat_view(chat))


@routes.patch("/api/streams/{id}/replay")
async def change_replay(request: web.Request) -> web.Response:
    who = principal(request)
    body = ReplayPatch.parse(await read_json(request))
    stream = await request.app[SERVICES].replays.change(
        who, path_id(request), body.replay, body.taken_down
    )
    return web.json_response(setting_view(stream))


@routes.get("/api/replays")
async def recent_replays(request: web.Request) -> web.Response:
    found = await request.app[SERVICES].replays.recent()
    return web.json_response({"replays": [listed_view(listed) for listed in found]})


@routes.get("/api/streams/{id}/replay/media")
async def replay_media(request: web.Request) -> web.StreamResponse:
    link, signature = rules.parse_link(path_id(request), request.query)
    rules.check_link(media_key(request.app), link, signature, time.time())
    recording = await request.app[SERVICES].replays.media(link)
    path = Path(recording.path)
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("the recording's file is gone", code=StreamCode.RECORDING_FILE_MISSING)
    headers = {"Content-Type": CONTENT_TYPES[recording.container], "Cache-Control": "private"}
    return web.FileResponse(path, headers=headers)
