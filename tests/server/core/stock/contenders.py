"""A buyer process for the multi-process test: many concurrent reservations of one SKU."""

from __future__ import annotations

import asyncio
import time

from server.core.domain.errors import SoldOut
from server.core.stock.redis_lua import RedisStockReservations
from tests.server.core.stock.conftest import T0


def contend(url: str, prefix: str, sku: str, worker: int, attempts: int, start_at: float) -> int:
    """Reserve one unit `attempts` times at once, from `start_at` (wall clock); the successes."""
    return asyncio.run(_contend(url, prefix, sku, worker, attempts, start_at))


async def _contend(
    url: str, prefix: str, sku: str, worker: int, attempts: int, start_at: float
) -> int:
    stock = RedisStockReservations.from_url(url, prefix)
    try:
        await stock.level(sku)  # connect before the start, so that all begin together
        await asyncio.sleep(max(0.0, start_at - time.time()))
        results = await asyncio.gather(
            *(stock.reserve(f"w{worker}-{n}", sku, 1, T0) for n in range(attempts)),
            return_exceptions=True,
        )
    finally:
        await stock.close()
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, SoldOut)]
    if unexpected:
        raise unexpected[0]
    return sum(not isinstance(r, BaseException) for r in results)
