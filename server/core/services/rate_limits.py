"""Rate limits on the doors that invite guessing or cost the most: sign-in per address and per
account (with a wait that grows), account creation and guest tokens per address.

Counted by the `limits` library's moving windows, in this process's memory for one node, or
in Redis (shared by every node, so a limit holds however requests are spread) when
SHOPCAST_REDIS_URL is set. The doors and their numbers are in AuthConfig (server/core/config.py).

If the Redis counting the limits fails, the doors stay open (and it is logged): the database
and argon2 still guard accounts, and a Redis blip must not lock everyone out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from enum import StrEnum

import limits
import redis.asyncio as aioredis
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from server.core.config import AuthConfig
from server.core.domain.errors import RateLimited

logger = logging.getLogger(__name__)

ACCOUNT_FAILURES = "sign_in_failures"


class Door(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_UP = "sign_up"
    GUEST = "guest"


def backoff(config: AuthConfig) -> list[limits.RateLimitItem]:
    """An account's failed sign-ins as moving windows: `free` failures per `wait`, 2x`free`
    per 2x`wait`, 3x`free` per 4x`wait`... So after each `free` further failures the wait for
    the next attempt doubles (5 free, then up to 1, 2, 4 ... 64 minutes with the defaults)."""
    free, wait = config.sign_in_free_failures, config.sign_in_wait_s
    return [
        limits.RateLimitItemPerSecond(free * (step + 1), wait * 2**step)
        for step in range(config.sign_in_doublings + 1)
    ]


class RateLimits:
    def __init__(
        self,
        storage: Storage,
        config: AuthConfig,
        pool: aioredis.ConnectionPool | None = None,
        clock: Callable[[], float] = time.time,  # the limits library's own clock
    ) -> None:
        self._storage = storage
        self._pool = pool
        self._limiter = MovingWindowRateLimiter(storage)
        self._clock = clock
        self._doors = {
            Door.SIGN_IN: limits.parse_many(config.sign_in_per_address),
            Door.SIGN_UP: limits.parse_many(config.sign_up_per_address),
            Door.GUEST: limits.parse_many(config.guest_per_address),
        }
        self._backoff = backoff(config)

    @classmethod
    def build(cls, config: AuthConfig, redis_url: str | None, prefix: str) -> RateLimits:
        if redis_url is None:
            return cls(MemoryStorage(wrap_exceptions=True), config)
        pool = aioredis.ConnectionPool.from_url(redis_url)
        storage = RedisStorage(
            _limits_uri(redis_url),
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=f"{prefix}:limits",
            connection_pool=pool,  # type: ignore[arg-type]  # documented; typed as scalars
        )
        return cls(storage, config, pool)

    async def knock(self, door: Door, address: str) -> None:
        """Count one attempt at `door` from `address`; RateLimited if it is one too many."""
        refusal = f"too many attempts at {door} from this address"
        await self._take(self._doors[door], door.value, address, refusal=refusal)

    async def before_sign_in(self, email: str) -> None:
        """Refuse to check a password while the account waits out its failures."""
        key = _account_key(email)
        try:
            waits = [
                await self._wait(item, ACCOUNT_FAILURES, key)
                for item in self._backoff
                if not await self._limiter.test(item, ACCOUNT_FAILURES, key)
            ]
        except StorageError:
            logger.warning("rate limit storage failed; sign-in not limited", exc_info=True)
            return
        if waits:
            _refuse("too many failed sign-ins for this account", max(waits))

    async def failed_sign_in(self, email: str) -> None:
        key = _account_key(email)
        try:
            for item in self._backoff:
                await self._limiter.hit(item, ACCOUNT_FAILURES, key)
        except StorageError:
            logger.warning("rate limit storage failed; failure not counted", exc_info=True)

    async def signed_in(self, email: str) -> None:
        """The owner got in: their earlier failures no longer count."""
        key = _account_key(email)
        try:
            for item in self._backoff:
                await self._limiter.clear(item, ACCOUNT_FAILURES, key)
        except StorageError:
            logger.warning("rate limit storage failed; failures not cleared", exc_info=True)

    async def limit(self, spec: str, name: str, key: str, *, refusal: str) -> None:
        """Count one attempt at a door the caller names (`spec` in limits notation), per `key`:
        a client address, or `account_key(email)`; RateLimited if it is one too many."""
        await self._take(limits.parse_many(spec), name, key, refusal=refusal)

    async def close(self) -> None:
        timer = getattr(self._storage, "timer", None)  # MemoryStorage's expiry task
        if timer is not None:
            timer.cancel()
        if self._pool is not None:
            await self._pool.aclose()

    async def _take(
        self, items: list[limits.RateLimitItem], *identifiers: str, refusal: str
    ) -> None:
        try:
            refused = [item for item in items if not await self._limiter.test(item, *identifiers)]
            if not refused:
                for item in items:
                    if not await self._limiter.hit(item, *identifiers):
                        refused.append(item)  # taken meanwhile by a parallel request
            waits = [await self._wait(item, *identifiers) for item in refused]
        except StorageError:
            logger.warning("rate limit storage failed: %s not limited", refusal, exc_info=True)
            return
        if waits:
            _refuse(refusal, max(waits))

    async def _wait(self, item: limits.RateLimitItem, *identifiers: str) -> float:
        stats = await self._limiter.get_window_stats(item, *identifiers)
        return stats.reset_time - self._clock()


def _refuse(message: str, wait_s: float) -> None:
    seconds = max(1, math.ceil(wait_s))
    raise RateLimited(f"{message}: try again in {seconds} s", retry_after_s=seconds)


def account_key(email: str) -> str:
    """An account's key for `limit`: a hash of the address typed."""
    return _account_key(email)


def _account_key(email: str) -> str:
    """Accounts are counted by a hash of the address typed: no e-mail is kept in Redis."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _limits_uri(redis_url: str) -> str:
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url.removeprefix("unix://")
    return "async+" + redis_url
