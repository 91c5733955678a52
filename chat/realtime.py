"""Builds the Socket.IO server: in-process by default, Redis pub/sub across nodes when set."""

from __future__ import annotations

import socketio

from chat.config import ChatConfig
from chat.namespace import StreamNamespace
from server.services import Services


def create_socket_server(
    services: Services, config: ChatConfig, redis_url: str | None
) -> tuple[socketio.AsyncServer, StreamNamespace]:
    manager = (
        socketio.AsyncRedisManager(redis_url, channel=config.redis_channel) if redis_url else None
    )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins="*",
        max_http_buffer_size=config.max_payload_bytes,
        logger=False,
        engineio_logger=False,
    )
    namespace = StreamNamespace(services, config)
    sio.register_namespace(namespace)
    return sio, namespace
