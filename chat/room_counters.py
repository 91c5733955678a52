"""A show's viewer count and like total, over every node that serves its room.

One interface, two implementations chosen once in chat/realtime.py:

- `MemoryRoomCounters`, the embedded default: this process is the only node.
- `RedisRoomCounters` (with `SHOPCAST_REDIS_URL`): every counters tick, each node writes its own
  viewer count for the show into one hash (field: the node, value: count and time) and reads the
  sum of the fresh fields back; likes go into one INCRBY counter per show. One pipelined round
  trip per show per tick, whatever the number of viewers or likes. A node that stopped (crashed,
  cut off) stops refreshing its field, and counts older than `STALE_S` are left out of the sum.

While Redis is away a node reports what it knows (its own viewers, the last total of likes plus
what it counted since) and keeps the likes it could not add, to add them when Redis is back.
"""

from __future__ import annotations

import logging
import secrets
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

STALE_S = 5.0  # a node's count older than this is a node that went away
KEY_TTL_S = 24 * 3600  # counters of a show nobody watches any more are dropped after a day


@dataclass(frozen=True)
class RoomTotals:
    viewers: int  # connected to the room now, on every node
    likes: int  # since the show's room first counted one


class RoomCounters(ABC):
    @abstractmethod
    async def tick(self, stream_id: int, local_viewers: int, likes_added: int) -> RoomTotals:
        """Report this node's viewers of a show (0: none left) and the likes it counted since
        its last tick; the show's totals."""

    @abstractmethod
    async def totals(self, stream_id: int, local_viewers: int) -> RoomTotals:
        """The show's totals as last known, without reporting (for a joining viewer)."""

    async def close(self) -> None:
        return None


class MemoryRoomCounters(RoomCounters):
    def __init__(self) -> None:
        self._likes: dict[int, int] = defaultdict(int)

    async def tick(self, stream_id: int, local_viewers: int, likes_added: int) -> RoomTotals:
        if likes_added:
            self._likes[stream_id] += likes_added
        return await self.totals(stream_id, local_viewers)

    async def totals(self, stream_id: int, local_viewers: int) -> RoomTotals:
        return RoomTotals(local_viewers, self._likes.get(stream_id, 0))


class RedisRoomCounters(RoomCounters):
    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        node: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:room"
        self._node = node or secrets.token_hex(8)
        self._clock = clock
        self._last: dict[int, RoomTotals] = {}  # the totals last read, per show
        self._unsent: dict[int, int] = defaultdict(int)  # likes Redis has not taken yet
        self._degraded = False

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisRoomCounters:
        return cls(aioredis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0), prefix)

    async def close(self) -> None:
        await self._redis.aclose()

    async def tick(self, stream_id: int, local_viewers: int, likes_added: int) -> RoomTotals:
        self._unsent[stream_id] += likes_added
        adding = self._unsent[stream_id]
        viewers_key, likes_key = self._keys(stream_id)
        now = self._clock()
        pipe = self._redis.pipeline(transaction=False)
        if local_viewers:
            pipe.hset(viewers_key, self._node, f"{local_viewers}:{now:.3f}")
            pipe.expire(viewers_key, KEY_TTL_S)
        else:
            pipe.hdel(viewers_key, self._node)
        pipe.hgetall(viewers_key)
        pipe.incrby(likes_key, adding)  # by 0 reads it
        pipe.expire(likes_key, KEY_TTL_S)
        try:
            replies = await pipe.execute()
        except (RedisError, OSError) as exc:
            return self._offline(stream_id, local_viewers, exc)
        self._unsent.pop(stream_id, None)
        self._back_online()
        counts = replies[-3]
        totals = RoomTotals(_fresh_sum(counts, self._node, local_viewers, now), int(replies[-2]))
        self._remember(stream_id, totals, local_viewers)
        return totals

    async def totals(self, stream_id: int, local_viewers: int) -> RoomTotals:
        viewers_key, likes_key = self._keys(stream_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(viewers_key)
        pipe.get(likes_key)
        unsent = self._unsent.get(stream_id, 0)
        try:
            counts, likes = await pipe.execute()
        except (RedisError, OSError):
            last = self._last.get(stream_id)
            if last is None:
                return RoomTotals(local_viewers, unsent)
            return RoomTotals(max(last.viewers, local_viewers), last.likes + unsent)
        viewers = _fresh_sum(counts, self._node, local_viewers, self._clock())
        return RoomTotals(viewers, int(likes or 0) + unsent)

    def _offline(self, stream_id: int, local_viewers: int, exc: BaseException) -> RoomTotals:
        if not self._degraded:
            self._degraded = True
            logger.warning("room counters: Redis unavailable (%s); counting locally", exc)
        last = self._last.get(stream_id)
        likes = (last.likes if last else 0) + self._unsent[stream_id]
        return RoomTotals(local_viewers, likes)

    def _back_online(self) -> None:
        if self._degraded:
            self._degraded = False
            logger.warning("room counters: Redis is back")

    def _remember(self, stream_id: int, totals: RoomTotals, local_viewers: int) -> None:
        if local_viewers:
            self._last[stream_id] = totals
        else:
            self._last.pop(stream_id, None)  # this node no longer serves the room

    def _keys(self, stream_id: int) -> tuple[str, str]:
        return f"{self._prefix}:{stream_id}:viewers", f"{self._prefix}:{stream_id}:likes"


def _fresh_sum(fields: dict[bytes, bytes], node: str, local: int, now: float) -> int:
    """The sum of the nodes' counts that are recent; this node's own as it is now."""
    total = local
    mine = node.encode()
    for name, value in fields.items():
        if name == mine:
            continue
        count, _, at = value.partition(b":")
        try:
            if now - float(at) < STALE_S:
                total += max(0, int(count))
        except ValueError:  # not written by a node of ours: ignored
            continue
    return total
