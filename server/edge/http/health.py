"""GET /healthz: 200 when the database (and Redis, when configured) answer, 503 otherwise.
The `Shopcast-Worker` header names the process that answered (`<worker>/<pid>`, worker 0 when
`shopcast serve` runs as one process), for telling `--workers` apart behind their one port."""

from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import web

from server.core.store.db import ping
from server.edge.http.context import CONFIG, DATABASE, REDIS

logger = logging.getLogger(__name__)

routes = web.RouteTableDef()
CHECK_TIMEOUT_S = 2.0


async def _check(probe: object) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_S)  # type: ignore[arg-type]
        return "ok"
    except Exception as exc:  # any failure to answer is "down"; say which kind
        logger.warning("health check failed: %r", exc)
        return f"down: {type(exc).__name__}"


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    database = await _check(ping(request.app[DATABASE].engine))
    redis_client = request.app[REDIS]
    redis = "off" if redis_client is None else await _check(redis_client.ping())
    healthy = database == "ok" and redis in ("ok", "off")
    body = {"status": "ok" if healthy else "unavailable", "database": database, "redis": redis}
    worker = f"{request.app[CONFIG].worker}/{os.getpid()}"
    return web.json_response(
        body, status=200 if healthy else 503, headers={"Shopcast-Worker": worker}
    )
