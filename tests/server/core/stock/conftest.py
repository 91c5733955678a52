"""Stock backends for tests: the in-process one and the Redis one on a key prefix of its own."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from server.core.stock import MemoryStockReservations, RedisStockReservations, StockReservations
from tests.conftest import REDIS_URL, SESSION, _require

T0 = datetime(2025, 5, 1, 18, 0, tzinfo=UTC)
HOLD = timedelta(minutes=10)


def new_prefix() -> str:
    """Under the session's pattern, so the session's cleanup also catches a crashed test."""
    return f"shopcast-test-{SESSION}-stock-{secrets.token_hex(4)}"


async def forget(client: aioredis.Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await client.delete(*keys)


def require_redis() -> None:
    _require("Redis", "127.0.0.1", 6379)


@asynccontextmanager
async def redis_backend() -> AsyncIterator[RedisStockReservations]:
    """The Redis backend on a fresh prefix; its keys are deleted on the way out."""
    require_redis()
    prefix = new_prefix()
    backend = RedisStockReservations.from_url(REDIS_URL, prefix, hold=HOLD)
    try:
        yield backend
    finally:
        await forget(backend.redis, prefix)
        await backend.close()


@pytest.fixture
async def redis_stock() -> AsyncIterator[RedisStockReservations]:
    async with redis_backend() as backend:
        yield backend


@pytest.fixture(params=["memory", "redis"])
async def stock(request: pytest.FixtureRequest) -> AsyncIterator[StockReservations]:
    if request.param == "memory":
        yield MemoryStockReservations(hold=HOLD)
        return
    async with redis_backend() as backend:
        yield backend
