"""The back ends a benchmark's servers share: a fresh PostgreSQL database and a flushed Redis
database, both undone when the run's exit stack closes."""

from __future__ import annotations

import contextlib
import secrets
from urllib.parse import urlsplit, urlunsplit

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379"


async def fresh_postgres(
    admin_url: str, stack: contextlib.AsyncExitStack, prefix: str = "bench_flash"
) -> str:
    """CREATE DATABASE <prefix>_<random>, dropped when the stack closes; its SQLAlchemy URL."""
    import asyncpg

    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    stack.push_async_callback(drop)
    parts = urlsplit(admin_url)
    return urlunsplit(("postgresql+asyncpg", parts.netloc, f"/{name}", "", ""))


async def flushed_redis(base_url: str, db: int, stack: contextlib.AsyncExitStack) -> str:
    """redis://…/<db>, flushed now and again when the stack closes."""
    import redis.asyncio as aioredis

    if db == 0:
        raise SystemExit("--redis-db 0 is never flushed by this benchmark: pick another")
    url = f"{base_url.rstrip('/')}/{db}"

    async def flush() -> None:
        client = aioredis.from_url(url)
        try:
            await client.flushdb()
        finally:
            await client.aclose()

    await flush()
    stack.push_async_callback(flush)
    return url
