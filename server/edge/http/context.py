"""Typed keys for what the composition root keeps on the aiohttp app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    import socketio

    from chat.namespace import StreamNamespace
    from media.service import MediaService
    from server.core.services import Services
    from server.core.store.db import Database
    from server.edge.config import Config

CONFIG: web.AppKey[Config] = web.AppKey("config")
DATABASE: web.AppKey[Database] = web.AppKey("database")
SERVICES: web.AppKey[Services] = web.AppKey("services")
MEDIA: web.AppKey[MediaService] = web.AppKey("media")
ROOM: web.AppKey[StreamNamespace] = web.AppKey("room")
SOCKETS: web.AppKey[socketio.AsyncServer] = web.AppKey("sockets")
REDIS: web.AppKey[aioredis.Redis | None] = web.AppKey("redis")
