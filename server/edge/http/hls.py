"""LL-HLS of a live H.264 show: `/hls/<id>/playlist.m3u8`, its init segments, segments and
parts (media/hls.py packages them), with cache headers that let a CDN carry the audience.

Segments, parts and init segments never change under their name (the name carries the
packager's run): `immutable`, cached a year. A plain playlist lives one second; a blocking
reload (`_HLS_msn`, `_HLS_part`) is its own URL and answers one state: cached a minute.
Errors are cached by nobody. The hot path reads only memory: the database is asked only when
this node does not package the show yet.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from media import exceptions as media_errors
from media.hls import (
    HlsBadRequest,
    HlsNeedsH264,
    HlsNotFound,
    HlsNotReady,
    Packager,
)
from server.core.domain.errors import DomainError
from server.core.domain.streams import StreamStatus
from server.edge.http.context import MEDIA, SERVICES
from server.edge.http.errors import error_response
from server.edge.http.requests import path_id

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.Response]]

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MP4_TYPE = "video/mp4"
IMMUTABLE = "public, max-age=31536000, immutable"
PLAYLIST_CACHE = "public, max-age=1"
BLOCKING_CACHE = "public, max-age=60"
NO_STORE = "no-store"
MAX_NUMBER_DIGITS = 9
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Age"}
_PART = re.compile(r"(\d{1,9})\.(\d{1,4})\.m4s")
_SEGMENT = re.compile(r"(\d{1,9})\.m4s")
_INIT = re.compile(r"(init-[0-9a-f]{12})\.mp4")
STATUS: dict[type[media_errors.MediaError], int] = {
    HlsBadRequest: 400,
    HlsNotFound: 404,
    HlsNeedsH264: 409,
    HlsNotReady: 503,
    media_errors.NotLive: 404,
}


def _answered(handler: Handler) -> Handler:
    """HLS errors as JSON like every door's, never cached; every answer readable cross-origin."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        try:
            response = await handler(request)
        except media_errors.MediaError as exc:
            response = error_response(STATUS.get(type(exc), 400), exc.code, str(exc))
            if isinstance(exc, HlsNotReady):
                response.headers["Retry-After"] = "1"
        except DomainError as exc:
            response = error_response(exc.status, exc.code, exc.message)
        if response.status >= 400:
            response.headers["Cache-Control"] = NO_STORE
        response.headers.update(CORS)
        return response

    return wrapped


def _number(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_NUMBER_DIGITS:
        raise HlsBadRequest(f"{name} must be a whole number of at most {MAX_NUMBER_DIGITS} digits")
    return int(raw)


async def _packager(request: web.Request) -> Packager:
    stream_id = path_id(request)
    media = request.app[MEDIA]
    key = str(stream_id)
    found = media.hls_packager(key)
    if found is not None:
        return found
    stream = await request.app[SERVICES].streams.get(stream_id)  # 404 for an unknown show
    if stream.status == StreamStatus.ENDED:
        raise HlsNotFound("this show has ended: its replay is on its page")
    return await media.hls(key)


@routes.get("/hls/{id}/playlist.m3u8")
@_answered
async def playlist(request: web.Request) -> web.Response:
    msn = _number(request.query.get("_HLS_msn"), "_HLS_msn")
    part = _number(request.query.get("_HLS_part"), "_HLS_part")
    if part is not None and msn is None:
        raise HlsBadRequest("_HLS_part needs _HLS_msn")
    packager = await _packager(request)
    text = await packager.playlist(msn, part)
    cache = BLOCKING_CACHE if msn is not None else PLAYLIST_CACHE
    return web.Response(text=text, content_type=PLAYLIST_TYPE, headers={"Cache-Control": cache})


@routes.get("/hls/{id}/{run}/{name}")
@_answered
async def media_file(request: web.Request) -> web.Response:
    packager = await _packager(request)
    if request.match_info["run"] != packager.run:
        raise HlsNotFound("no such HLS run: reload the playlist")
    name = request.match_info["name"]
    if found := _PART.fullmatch(name):
        body = await packager.part(int(found[1]), int(found[2]))
    elif found := _SEGMENT.fullmatch(name):
        body = packager.segment(int(found[1]))
    elif found := _INIT.fullmatch(name):
        body = packager.init(found[1])
    else:
        raise HlsNotFound()
    return web.Response(body=body, content_type=MP4_TYPE, headers={"Cache-Control": IMMUTABLE})
