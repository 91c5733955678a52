"""How much each door reads (docs/protocol.md, "Size limits"): nothing is read without a bound,
and a body past its door's limit is answered `413 payload_too_large`.

- JSON bodies: `MAX_REQUEST_BYTES` for the app as a whole (aiohttp's `client_max_size`, which
  `request.read()` enforces, chunked bodies too); the sign-in doors anyone can knock on take
  `MAX_SIGN_IN_BYTES`.
- SDP offers (WHIP/WHEP): `MAX_SDP_BYTES`.
- Socket.IO: `ChatConfig.max_payload_bytes` per WebSocket message (aiohttp closes the socket,
  1009) and per long-polling POST (checked here before Engine.IO reads it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import DomainError
from server.edge.http.context import CONFIG

# A product with texts in eight languages (5,000-character descriptions, JSON-escaped) fits.
MAX_REQUEST_BYTES = 256 * 1024
MAX_SIGN_IN_BYTES = 8 * 1024
MAX_SDP_BYTES = 64 * 1024
SOCKET_PATH = "/socket.io/"


class PayloadTooLarge(DomainError):
    code = GeneralCode.PAYLOAD_TOO_LARGE
    status = 413


async def read_limited(request: web.Request, limit: int, what: str = "the body") -> bytes:
    """The whole body, up to `limit` bytes. A declared length past the limit is refused before
    anything is read; an undeclared (chunked) one is read until it passes the limit."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"{what} is larger than {limit} bytes")
    body = bytearray()
    # One read() returns what has arrived so far, not the whole body: loop until the end.
    while chunk := await request.content.read(limit + 1 - len(body)):
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"{what} is larger than {limit} bytes")
    return bytes(body)


@web.middleware
async def socket_post_limit(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Engine.IO reads a long-polling POST by its Content-Length and answers one past its limit
    with a bare 400 and a dropped session: say 413 with our code instead, before it reads."""
    if request.method == "POST" and request.path == SOCKET_PATH:
        limit = request.app[CONFIG].chat.max_payload_bytes
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"a Socket.IO POST is larger than {limit} bytes")
    return await handler(request)
