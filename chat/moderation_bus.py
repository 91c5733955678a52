"""Tells every node to act on a moderation change that touches sockets it holds.

python-socketio carries events to rooms across nodes, but it cannot make another node drop or
move one of its sockets: `disconnect` and `enter_room` only reach sids, and a node knows only
its own. So a ban, or a change of who is staff in a show, goes out as a `Signal`; each node
finds its own sockets of that person and acts (chat/namespace.py).

`LocalModerationBus` hands the signal straight back (one process). `RedisModerationBus` handles
it here at once and publishes it on `<channel>:moderation` for the other nodes; pub/sub keeps
nothing, so a node that is cut off from Redis misses it. That is tolerable because the state
in the store is what refuses a banned person's messages and joins: the signal only hastens it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RECONNECT_S = 1.0

EVICT = "evict"  # send the person's sockets in the stream `event`, then disconnect them
STANDING = "standing"  # the person's standing in the stream changed: re-check staff rooms


@dataclass(frozen=True)
class Signal:
    kind: str
    stream_id: int | None  # None: every stream (a platform ban)
    keys: tuple[str, ...]  # Person.keys of whom it is about
    event: str | None = None  # sent to each of their sockets before acting
    payload: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Signal:
        data = json.loads(raw)
        return cls(**(data | {"keys": tuple(data["keys"])}))


Handler = Callable[[Signal], Awaitable[None]]


class ModerationBus(ABC):
    def __init__(self) -> None:
        self._handler: Handler | None = None

    def attach(self, handler: Handler) -> None:
        self._handler = handler

    @abstractmethod
    async def publish(self, signal: Signal) -> None: ...

    async def run(self) -> None:
        """Receive other nodes' signals until cancelled (nothing to do in one process)."""
        return None

    async def close(self) -> None:
        return None

    async def _handle(self, signal: Signal) -> None:
        if self._handler is None:
            return
        try:
            await self._handler(signal)
        except Exception:
            logger.exception("moderation signal %s failed", signal.kind)


class LocalModerationBus(ModerationBus):
    async def publish(self, signal: Signal) -> None:
        await self._handle(signal)


class RedisModerationBus(ModerationBus):
    def __init__(self, redis_url: str, channel: str) -> None:
        super().__init__()
        self._redis = aioredis.from_url(redis_url)  # no socket timeout: it listens idle
        self._channel = f"{channel}:moderation"
        self._node = secrets.token_hex(8)  # to skip our own signals, handled on publish

    async def publish(self, signal: Signal) -> None:
        await self._handle(signal)
        message = json.dumps({"node": self._node, "signal": signal.to_json()})
        try:
            await self._redis.publish(self._channel, message)
        except (RedisError, OSError) as exc:
            logger.warning("moderation signal not sent to other nodes: %r", exc)

    async def run(self) -> None:
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        await self._receive(message["data"])
            except (RedisError, OSError) as exc:
                logger.warning("moderation bus: lost Redis (%r); retrying", exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(RECONNECT_S)

    async def close(self) -> None:
        await self._redis.aclose()

    async def _receive(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
            if message["node"] == self._node:
                return
            signal = Signal.from_json(message["signal"])
        except (ValueError, KeyError, TypeError):
            logger.warning("moderation bus: ignored a malformed message")
            return
        await self._handle(signal)
