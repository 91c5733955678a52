"""WHIP (publish) and WHEP (watch) endpoints: auth and stream state here, media in media/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from media import exceptions as media_errors
from server.contract.viewing import PlayerSize
from server.core.auth import bearer
from server.core.domain.error_codes import GeneralCode, StreamCode
from server.core.domain.errors import Conflict, DomainError
from server.core.domain.roles import Principal
from server.core.domain.streams import StreamStatus
from server.edge.http.context import MEDIA, SERVICES
from server.edge.http.errors import read_json
from server.edge.http.limits import MAX_SDP_BYTES, read_limited
from server.edge.http.requests import path_id
from server.edge.http.turn import ice_links

logger = logging.getLogger(__name__)

routes = web.RouteTableDef()
SDP = "application/sdp"
MAX_VIEW_BYTES = 256
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Expose-Headers": "Location, Link",
}


class UnsupportedMediaType(DomainError):
    code = GeneralCode.UNSUPPORTED_MEDIA_TYPE
    status = 415


async def read_offer(request: web.Request) -> str:
    if request.content_type != SDP:
        raise UnsupportedMediaType(f"send the SDP offer as {SDP}")
    body = await read_limited(request, MAX_SDP_BYTES, "the SDP offer")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise media_errors.InvalidOffer("the SDP offer is not UTF-8 text") from None


def sdp_created(request: web.Request, location: str, answer: str) -> web.Response:
    links = ice_links(request)  # STUN/TURN servers, TURN with a time-limited credential
    headers = {**CORS, "Location": location, "ETag": f'"{location.rsplit("/", 1)[-1]}"'}
    if links:
        headers["Link"] = ", ".join(links)
    return web.Response(status=201, text=answer, content_type=SDP, headers=headers)


@routes.route("OPTIONS", "/whip/{id}")
@routes.route("OPTIONS", "/whep/{id}")
@routes.route("OPTIONS", "/whip/{id}/{session}")
@routes.route("OPTIONS", "/whep/{id}/{session}")
async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=CORS)


@routes.post("/whip/{id}")
async def publish(request: web.Request) -> web.Response:
    stream_id = path_id(request)
    streams = request.app[SERVICES].streams
    await streams.check_stream_key(stream_id, bearer(request.headers.get("Authorization")))
    offer = await read_offer(request)
    session = await request.app[MEDIA].publish(str(stream_id), offer)
    try:
        await streams.publisher_connected(stream_id)  # live, and the room hears it
    except DomainError:
        await request.app[MEDIA].unpublish(str(stream_id), session.session_id)
        raise
    return sdp_created(request, f"/whip/{stream_id}/{session.session_id}", session.sdp)


@routes.delete("/whip/{id}/{session}")
async def unpublish(request: web.Request) -> web.Response:
    stream_id = path_id(request)
    await request.app[SERVICES].streams.check_stream_key(
        stream_id, bearer(request.headers.get("Authorization"))
    )
    media = request.app[MEDIA]
    try:
        await media.unpublish(str(stream_id), request.match_info["session"])
    except media_errors.SessionNotFound:
        # Another node holds the session (behind one port, another worker may have taken this
        # request): ending the show reaches it through the media bus.
        if not await media.live_elsewhere(str(stream_id)):
            raise
    await end_show(request.app, None, stream_id)
    return web.Response(status=200, headers=CORS)


@routes.post("/whep/{id}")
async def watch(request: web.Request) -> web.Response:
    stream_id = path_id(request)
    stream = await request.app[SERVICES].streams.get(stream_id)
    if stream.status == StreamStatus.ENDED:
        raise Conflict("this show has ended", code=StreamCode.STREAM_ENDED)
    offer = await read_offer(request)
    session = await request.app[MEDIA].watch(str(stream_id), offer)
    return sdp_created(request, f"/whep/{stream_id}/{session.session_id}", session.sdp)


@routes.post("/whep/{id}/{session}/view")
async def view(request: web.Request) -> web.Response:
    """The page's player height: the viewer's simulcast layer is never taller. Answers the
    layer it gets and whether its link holds only audio (the page asks every few seconds)."""
    stream_id = path_id(request)
    size = PlayerSize.parse(await read_json(request, MAX_VIEW_BYTES))
    state = request.app[MEDIA].view(
        str(stream_id), request.match_info["session"], size.player_height
    )
    answer = {"layer": state.layer, "audio_only": state.audio_only, "layers": list(state.layers)}
    return web.json_response(answer, headers={**CORS, "Cache-Control": "no-store"})


@routes.delete("/whep/{id}/{session}")
async def unwatch(request: web.Request) -> web.Response:
    stream_id = path_id(request)
    await request.app[MEDIA].unwatch(str(stream_id), request.match_info["session"])
    return web.Response(status=200, headers=CORS)


async def end_show(app: web.Application, by: Principal | None, stream_id: int) -> None:
    """End a show: close purchases and tell the room (the service), drop the publisher and
    viewers."""
    await app[SERVICES].streams.end(by, stream_id)
    await app[MEDIA].end(str(stream_id))


def relay_publisher_events(app: web.Application) -> Callable[[], Awaitable[None]]:
    """Tell the stream service when a show's publisher drops (media calls back
    synchronously); the service tells the room, whose viewers show "host reconnecting" and
    keep their media sessions. The WHIP handler reports the (re)connection, once the
    stream is marked live."""
    tasks: set[asyncio.Task] = set()

    async def publisher_dropped(stream_id: int) -> None:
        try:
            await app[SERVICES].streams.publisher_dropped(stream_id)
        except Exception:
            logger.exception("could not report that stream %s lost its publisher", stream_id)

    def on_media_event(stream_key: str, event: str) -> None:
        if event == "publisher_disconnected":
            task = asyncio.ensure_future(publisher_dropped(int(stream_key)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    app[MEDIA].add_listener(on_media_event)

    async def drain() -> None:
        """Let announcements in flight finish: each holds a database session until it does."""
        while tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    return drain
