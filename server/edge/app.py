"""The composition root: `create_app(config)` builds every part and keeps it on the app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import redis.asyncio as aioredis
from aiohttp import web

from chat.realtime import create_socket_server
from media.bus import MediaBus
from media.service import MediaService
from server.core.auth import Tokens
from server.core.services import Services
from server.core.store.db import Database, check_schema
from server.edge.config import Config
from server.edge.http import (
    api,
    auctions,
    buyers,  # profiles, addresses, shipping, "My orders"
    coupons,
    following,  # issue 18: discovery, following, password reset
    giveaways,
    health,
    hls,
    ledger,
    media,
    metrics,
    offers,
    openapi,
    orders,
    pages,
    polls,
    recordings,
    replays,
    reports,
    reviews,
    staff,
    statements,
    turn,
)
from server.edge.http.context import CONFIG, DATABASE, MEDIA, REDIS, ROOM, SERVICES, SOCKETS
from server.edge.http.errors import error_middleware
from server.edge.http.limits import MAX_REQUEST_BYTES, socket_post_limit
from server.edge.http.rate_limits import door_limits
from server.edge.http.requests import auth_middleware
from server.edge.http.security import add_security_headers, csrf_middleware
from server.edge.webhooks import AiohttpWebhooks

logger = logging.getLogger(__name__)

Cleanup = Callable[[web.Application], AsyncIterator[None]]
SHUTDOWN_STEP_S = 5.0  # a stuck peer or backend must not keep a stopping node alive


async def bounded(step: str, work: Awaitable[object]) -> None:
    """Run one shutdown step, giving up (with a warning naming it) after SHUTDOWN_STEP_S."""
    try:
        await asyncio.wait_for(work, SHUTDOWN_STEP_S)
    except TimeoutError:
        logger.warning("shutdown step %r took over %.0f s; moving on", step, SHUTDOWN_STEP_S)


def create_app(config: Config) -> web.Application:
    config = config.validated()
    app = web.Application(
        # Who is asking is known before CSRF (which asks how the token came) and the doors.
        middlewares=[
            error_middleware,
            auth_middleware,
            csrf_middleware,
            door_limits,
            socket_post_limit,
        ],
        client_max_size=MAX_REQUEST_BYTES,
    )
    app.on_response_prepare.append(add_security_headers)
    database = Database(config.database_url)
    services = Services.build(
        database,
        Tokens(config.secret, config.token_ttl_s, previous_secrets=config.auth.previous_secrets),
        config.commerce,
        config.redis_url,
        redis_prefix=config.chat.redis_channel,
        auth=config.auth,
        payments=config.payments,
        notifications=config.notifications,  # issue 18: emails and webhooks from a queue
        public_url=config.base_url,
        webhooks=AiohttpWebhooks(),
    )
    sio, room = create_socket_server(
        services, config.chat, config.redis_url, config.secret, config.public_url
    )
    sio.attach(app)
    room.listen_to(services.events)  # the room tells what the services change

    app[CONFIG] = config
    app[DATABASE] = database
    app[SERVICES] = services
    app[ROOM] = room
    app[SOCKETS] = sio
    # With Redis, a show ingested on one node is watched on any (media/bus.py).
    bus = MediaBus(config.redis_url, config.chat.redis_channel) if config.redis_url else None
    app[MEDIA] = MediaService(config.media, bus)
    app[REDIS] = _redis_client(config.redis_url) if config.redis_url else None

    app.router.add_routes(api.routes)
    app.router.add_routes(orders.routes)
    app.router.add_routes(media.routes)
    app.router.add_routes(health.routes)
    app.router.add_routes(metrics.routes)
    app.router.add_routes(openapi.routes)
    app.router.add_routes(recordings.routes)
    app.router.add_routes(replays.routes)
    app.router.add_routes(coupons.routes)
    app.router.add_routes(ledger.routes)
    app.router.add_routes(reviews.routes)
    app.router.add_routes(reports.routes)
    buyers.install(app)  # profiles, addresses, shipping, "My orders"
    app.router.add_routes(auctions.routes)
    app.router.add_routes(offers.routes)  # the marketplace and its statements
    app.router.add_routes(statements.routes)
    app.router.add_routes(turn.routes)  # TURN credentials for the pages
    staff.install(app)  # the staff console's service and admin-only routes
    app.router.add_routes(giveaways.routes)  # issue 16: giveaways and polls
    app.router.add_routes(polls.routes)
    app.router.add_routes(hls.routes)  # LL-HLS of live H.264 shows, for CDNs and big audiences
    following.install(app)  # home, hosts, follows, reminders, unsubscribe, password reset
    pages.add_routes(app)
    announcements = media.relay_publisher_events(app)
    recordings.store_recordings(app)
    metrics.install(app)  # the app's Prometheus registry and its event-loop lag probe
    app.cleanup_ctx.extend([_database, _background, _media_with(announcements), _redis])
    app.on_shutdown.append(_close_sockets)
    return app


async def _close_sockets(app: web.Application) -> None:
    """Close live sockets at shutdown: clients reconnect elsewhere instead of holding us open."""
    await bounded("close sockets", app[ROOM].disconnect_all())


async def _database(app: web.Application) -> AsyncIterator[None]:
    await check_schema(app[DATABASE].engine)  # `shopcast migrate` upgrades it
    yield
    await bounded("close database", app[DATABASE].close())


async def _background(app: web.Application) -> AsyncIterator[None]:
    counts = asyncio.create_task(app[ROOM].run_viewer_counts(), name="viewer-counts")
    signals = asyncio.create_task(app[ROOM].run_moderation_signals(), name="moderation-signals")
    lifecycle = app[SERVICES].lifecycle
    period = app[CONFIG].commerce.expiry_period_s
    expiry = asyncio.create_task(lifecycle.run_expiry(period), name="order-expiry")
    webhooks = asyncio.create_task(lifecycle.run_test_webhooks(), name="test-webhooks")
    bids = asyncio.create_task(app[SERVICES].auctions.run(), name="auctions")  # log, settle
    draws = asyncio.create_task(app[ROOM].run_giveaway_draws(), name="giveaway-draws")
    closing = asyncio.create_task(app[SERVICES].polls.run_closing(), name="poll-closing")
    yield
    await bounded("stop Socket.IO", app[SOCKETS].shutdown())
    # The Redis manager's listener is not stopped by shutdown(): stop it so no task outlives us.
    listener = getattr(app[SOCKETS].manager, "thread", None)
    for background in (counts, signals, expiry, webhooks, bids, draws, closing, listener):
        if isinstance(background, asyncio.Task):
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bounded("stop background task", background)
    await bounded("close moderation state", app[ROOM].close())
    await bounded("close stock gate", app[SERVICES].close())


def _media_with(announcements: Callable[[], Awaitable[None]]) -> Cleanup:
    async def _media(app: web.Application) -> AsyncIterator[None]:
        await app[MEDIA].start()
        yield
        await bounded("close media sessions", app[MEDIA].close())
        # Closing sessions announces dropped hosts; those hold database sessions, which must be
        # done before the database closes (a cancelled one would stay open in its transaction).
        await bounded("announce dropped hosts", announcements())

    return _media


def _redis_client(url: str) -> aioredis.Redis:
    """Requests queue for a free connection: the default pool fails past 100 at once, which a
    flash sale's stampede reaches."""
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=5.0)
    return aioredis.Redis.from_pool(pool)


async def _redis(app: web.Application) -> AsyncIterator[None]:
    yield
    client = app[REDIS]
    if client is not None:
        await bounded("close Redis", client.aclose())
