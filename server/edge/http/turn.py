"""TURN for viewers behind any network: time-limited credentials (server/core/domain/turn.py)
for the pages (`GET /api/ice-servers`) and in WHIP/WHEP answers' `Link` headers."""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from server.core.domain.turn import TurnCredential, issue
from server.edge.http.context import CONFIG

routes = web.RouteTableDef()


def credential(request: web.Request) -> TurnCredential | None:
    """A fresh credential under a random name (the TURN server's logs tell sessions apart
    without naming accounts), or None without TURN configured."""
    return issue(request.app[CONFIG].turn, secrets.token_hex(8), time.time())


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ice_links(request: web.Request) -> list[str]:
    """`Link` header values (RFC 9725): SHOPCAST_ICE_SERVERS as they are, then each TURN URL
    with the credential."""
    links = [f'<{url}>; rel="ice-server"' for url in request.app[CONFIG].media.ice_servers]
    found = credential(request)
    if found is not None:
        links += [
            f'<{url}>; rel="ice-server"; username={_quoted(found.username)}; '
            f'credential={_quoted(found.credential)}; credential-type="password"'
            for url in found.urls
        ]
    return links


@routes.get("/api/ice-servers")
async def ice_servers(request: web.Request) -> web.Response:
    """What a page hands `RTCPeerConnection({iceServers})`: STUN/TURN URLs, TURN with a
    credential that expires (`expires_at`, Unix seconds; ask again for a new connection)."""
    servers: list[dict[str, object]] = [
        {"urls": [url]} for url in request.app[CONFIG].media.ice_servers
    ]
    found = credential(request)
    if found is not None:
        servers.append(found.ice_server())
    answer = {"ice_servers": servers, "expires_at": found.expires_at if found else None}
    return web.json_response(answer, headers={"Cache-Control": "no-store"})
