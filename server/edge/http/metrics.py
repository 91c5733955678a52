"""GET /metrics: the app's Prometheus registry (server/edge/metrics.py) in the Prometheus text
format (version 0.0.4): per-show media counters, the live room's fan-out counters, the
database pool, event-loop lag, and the process.

Counters belong to a show for as long as this process serves it; a show that ends is gone
from the next scrape, and one that starts again starts from zero, which Prometheus reads as a
counter reset.

With `SHOPCAST_METRICS_TOKEN` set the scraper must send `Authorization: Bearer <token>`
(Prometheus: `authorization: {credentials: ...}`); unset, the page is open to anyone who can
reach it, which only suits a port the public cannot.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from server.core.auth import bearer
from server.core.domain.error_codes import AuthCode
from server.core.domain.errors import AuthRequired
from server.edge.http.context import CONFIG, DATABASE, MEDIA, ROOM
from server.edge.metrics import Metrics, Snapshot, build_metrics

routes = web.RouteTableDef()
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")


def install(app: web.Application) -> None:
    """Give the app its registry, and run the event-loop lag probe while the app runs."""
    app[METRICS] = build_metrics(app[MEDIA], app[ROOM], app[DATABASE].engine)
    app.cleanup_ctx.append(_loop_lag)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    check_scraper(request)
    # The counters are read on the loop, where they change; writing the text is most of a
    # scrape's work (~10x the reading), so it runs in a thread and the loop keeps forwarding.
    snapshot = Snapshot(list(request.app[METRICS].registry.collect()))
    # generate_latest writes the 0.0.4 text format (names escaped with underscores); its
    # CONTENT_TYPE_LATEST would announce 1.0.0, which scrapers have not been sent until now.
    body = await asyncio.to_thread(generate_latest, snapshot)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


def check_scraper(request: web.Request) -> None:
    expected = request.app[CONFIG].metrics_token
    if expected is None:
        return
    sent = bearer(request.headers.get("Authorization"))
    if sent is None:
        raise AuthRequired("send Authorization: Bearer <SHOPCAST_METRICS_TOKEN>")
    # Compared in constant time: how long a refusal takes says nothing about the token.
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise AuthRequired("the metrics token is wrong", code=AuthCode.BAD_TOKEN)


async def _loop_lag(app: web.Application) -> AsyncIterator[None]:
    probe = asyncio.create_task(app[METRICS].loop_lag.run(), name="event-loop-lag")
    yield
    probe.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await probe
