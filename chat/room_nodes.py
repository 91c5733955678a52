"""The deployment's nodes as the room counters see them (chat/room_counters.py): with Redis,
every node writes its viewer count per show into the show's hash each tick; the nodes with a
fresh count are the ones serving rooms now. The staff console's health view reads them."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chat.room_counters import STALE_S

logger = logging.getLogger(__name__)
SCAN_BATCH = 200


@dataclass(frozen=True)
class NodeLoad:
    node: str  # the node's counter name (random per process)
    shows: int  # rooms it has members in
    viewers: int  # its members over those rooms


async def node_loads(
    redis: aioredis.Redis, prefix: str, now: float | None = None
) -> list[NodeLoad]:
    """Each node with a fresh count, busiest first; raises RedisError/OSError when Redis is
    away (the caller says so)."""
    now = time.time() if now is None else now
    shows: dict[str, int] = defaultdict(int)
    viewers: dict[str, int] = defaultdict(int)
    async for key in redis.scan_iter(match=f"{prefix}:room:*:viewers", count=SCAN_BATCH):
        for name, value in (await redis.hgetall(key)).items():
            count, _, at = _text(value).partition(":")
            try:
                fresh = now - float(at) < STALE_S
                members = max(0, int(count))
            except ValueError:
                continue
            if fresh:
                node = _text(name)
                shows[node] += 1
                viewers[node] += members
    found = [NodeLoad(node, shows[node], viewers[node]) for node in shows]
    return sorted(found, key=lambda n: (-n.viewers, n.node))


def _text(raw: bytes | str) -> str:
    """The hash's fields and values as text, whichever way the client decodes responses."""
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw


__all__ = ["NodeLoad", "RedisError", "node_loads"]
