"""The one place that maps errors to HTTP answers: a JSON body naming the problem, no traceback."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from enum import StrEnum

from aiohttp import web

from media import exceptions as media_errors
from media.hls_shows import WebRtcFull
from server.core.domain.error_codes import AuthCode, GeneralCode
from server.core.domain.errors import DomainError
from server.edge.http.limits import read_limited

logger = logging.getLogger(__name__)

MEDIA_STATUS: dict[type[media_errors.MediaError], int] = {  # the code is the error's own
    media_errors.InvalidOffer: 400,
    media_errors.UnsupportedCodec: 400,
    media_errors.AlreadyPublishing: 409,
    media_errors.NotLive: 409,
    media_errors.SessionNotFound: 404,
    WebRtcFull: 503,  # the page then watches over HLS
}
HTTP_CODES = {
    400: GeneralCode.INVALID,
    401: AuthCode.AUTH_REQUIRED,
    403: AuthCode.FORBIDDEN,
    404: GeneralCode.NOT_FOUND,
    405: GeneralCode.METHOD_NOT_ALLOWED,
    413: GeneralCode.PAYLOAD_TOO_LARGE,
    415: GeneralCode.UNSUPPORTED_MEDIA_TYPE,
}


def error_response(status: int, code: StrEnum, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        response = error_response(exc.status, exc.code, exc.message)
        retry_after_s = getattr(exc, "retry_after_s", None)
        if retry_after_s is not None:  # a rate limit: when trying again may succeed
            response.headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))
        return response
    except media_errors.MediaError as exc:
        return error_response(MEDIA_STATUS.get(type(exc), 400), exc.code, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = HTTP_CODES.get(exc.status, GeneralCode.HTTP_ERROR)
        return error_response(exc.status, code, exc.reason)
    except Exception:
        logger.exception("%s %s failed", request.method, request.path)
        return error_response(
            500, GeneralCode.INTERNAL, "the server failed; the fault has been logged"
        )


async def read_json(request: web.Request, limit: int | None = None) -> object:
    """The request body as JSON, or a 400 naming what is wrong with it. Bounded by the app's
    `client_max_size`, or by `limit` when given (server/edge/http/limits.py)."""
    raw = await (request.read() if limit is None else read_limited(request, limit))
    try:
        return json.loads(raw) if raw else {}
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise DomainError("the body is not valid JSON", code=GeneralCode.BAD_JSON) from None
