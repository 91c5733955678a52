"""Builds the Socket.IO server: in-process by default, Redis pub/sub across nodes when set;
either way a room event is framed once for this node's sockets (chat/fanout.py), and a `buy`
this node can refuse from memory is answered as it arrives (chat/inline_acks.py).

The same choice picks where moderation state lives, how bans reach other nodes' sockets and
where viewer counts and likes are summed: in this process, or shared through Redis
(chat/moderation_store.py, chat/moderation_bus.py, chat/room_counters.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import socketio

from chat.config import ChatConfig
from chat.fanout import FanoutManager, FanoutRedisManager, use_direct_websockets
from chat.inline_acks import InlineAckServer
from chat.moderation_bus import LocalModerationBus, ModerationBus, RedisModerationBus
from chat.moderation_store import MemoryModerationStore, ModerationStore, RedisModerationStore
from chat.namespace import StreamNamespace
from chat.room_counters import MemoryRoomCounters, RedisRoomCounters, RoomCounters
from server.core.services import Services


def create_socket_server(
    services: Services,
    config: ChatConfig,
    redis_url: str | None,
    secret: str,
    public_url: str | None = None,
) -> tuple[socketio.AsyncServer, StreamNamespace]:
    manager: FanoutManager = (
        FanoutRedisManager(redis_url, channel=config.redis_channel)
        if redis_url
        else FanoutManager()
    )
    sio = InlineAckServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=same_origin(public_url),
        # Bounds every frame a client sends: each WebSocket message (aiohttp closes the socket
        # past it) and each long-polling POST (server/edge/http/limits.py answers 413 first).
        max_http_buffer_size=config.max_payload_bytes,
        transports=list(config.transports),
        logger=False,
        engineio_logger=False,
    )
    use_direct_websockets(sio)
    store: ModerationStore
    bus: ModerationBus
    counters: RoomCounters
    if redis_url:
        store = RedisModerationStore.from_url(redis_url, config.redis_channel)
        bus = RedisModerationBus(redis_url, config.redis_channel)
        counters = RedisRoomCounters.from_url(redis_url, config.redis_channel)
    else:
        store, bus, counters = MemoryModerationStore(), LocalModerationBus(), MemoryRoomCounters()
    namespace = StreamNamespace(services, config, store, bus, counters, secret)
    sio.register_namespace(namespace)
    # A sold-out flash deal's losers are refused as their `buy` arrives (chat/inline_acks.py).
    sio.answer_inline("buy", namespace.buy_refused_inline)
    return sio, namespace


def same_origin(public_url: str | None) -> Callable[[str, Mapping[str, Any]], bool]:
    """Engine.IO's check of a handshake's Origin (browsers send one, with the page's cookies):
    only our own pages may open a socket, so another site cannot speak in its visitors' names
    (cross-site WebSocket hijacking). Clients that send no Origin are not browsers."""
    public = urlsplit(public_url) if public_url else None
    own = {f"{public.scheme}://{public.netloc}"} if public else set()

    def allowed(origin: str, environ: Mapping[str, Any]) -> bool:
        host = environ.get("HTTP_HOST", "")
        # Either scheme: behind a TLS proxy the app itself is reached over plain HTTP.
        return origin in own or (bool(host) and origin in (f"http://{host}", f"https://{host}"))

    return allowed
