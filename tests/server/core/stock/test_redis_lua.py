"""The Redis backend: the same answers as the model, and no overselling under any concurrency."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from functools import partial
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from server.core.domain.errors import DomainError, SoldOut
from server.core.domain.reservations import Reservation, StockBook, StockLevel
from server.core.stock.redis_lua import RedisStockReservations
from tests.conftest import REDIS_URL
from tests.server.core.stock.conftest import HOLD, T0, forget, new_prefix, require_redis
from tests.server.core.stock.contenders import contend

SKUS = ("TEE-M", "TEE-L")
IDS = tuple(f"r{n}" for n in range(6))  # few, so that ids are often reused and retried

Outcome = tuple[Any, ...]


def _refused(error: DomainError) -> Outcome:
    return ("refused", type(error), error.code, error.message)


def outcome(call: Callable[[], Any]) -> Outcome:
    try:
        return ("ok", call())
    except DomainError as error:
        return _refused(error)


async def outcome_of(call: Awaitable[Any]) -> Outcome:
    try:
        return ("ok", await call)
    except DomainError as error:
        return _refused(error)


class Twins(RuleBasedStateMachine):
    """StockBook and the Redis backend, given the same operations, answer the same (result or
    error class, code and message), and hold the same levels and reservations after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = RedisStockReservations.from_url(REDIS_URL, new_prefix(), hold=HOLD)
        self.book = StockBook(hold=HOLD)
        self.now = T0

    def teardown(self) -> None:
        self.loop.run_until_complete(self._close())
        self.loop.close()

    async def _close(self) -> None:
        await forget(self.redis.redis, self.redis.prefix)
        await self.redis.close()

    def same(self, on_book: Callable[[], Any], on_redis: Callable[[], Awaitable[Any]]) -> None:
        expected = outcome(on_book)
        assert self.loop.run_until_complete(outcome_of(on_redis())) == expected

    @rule(sku=st.sampled_from(SKUS), quantity=st.integers(0, 4))
    def restock(self, sku: str, quantity: int) -> None:
        self.same(
            lambda: self.book.restock(sku, quantity), lambda: self.redis.restock(sku, quantity)
        )

    @rule(rid=st.sampled_from(IDS), sku=st.sampled_from(SKUS), quantity=st.integers(1, 3))
    def reserve(self, rid: str, sku: str, quantity: int) -> None:
        self.same(
            lambda: self.book.reserve(rid, sku, quantity, self.now),
            lambda: self.redis.reserve(rid, sku, quantity, self.now),
        )

    @rule(rid=st.sampled_from(IDS))
    def confirm(self, rid: str) -> None:
        self.same(
            lambda: self.book.confirm(rid, self.now), lambda: self.redis.confirm(rid, self.now)
        )

    @rule(rid=st.sampled_from(IDS))
    def release(self, rid: str) -> None:
        self.same(lambda: self.book.release(rid), lambda: self.redis.release(rid))

    @rule(rid=st.sampled_from(IDS))
    def refund(self, rid: str) -> None:
        self.same(lambda: self.book.refund(rid), lambda: self.redis.refund(rid))

    @rule(sku=st.none() | st.sampled_from(SKUS))
    def expire(self, sku: str | None) -> None:
        self.same(lambda: self.book.expire(self.now, sku), lambda: self.redis.expire(self.now, sku))

    # Steps that are fractions of the hold, so that `now` often lands exactly on an expiry.
    @rule(seconds=st.sampled_from([0, 1, 150, 300, 600]))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @invariant()
    def same_state(self) -> None:
        for sku in SKUS:
            self.same(partial(self.book.level, sku), partial(self.redis.level, sku))
        for rid in IDS:
            self.same(partial(self.book.get, rid), partial(self.redis.get, rid))


def test_redis_answers_like_the_model() -> None:
    require_redis()
    run_state_machine_as_test(
        Twins, settings=settings(max_examples=50, stateful_step_count=40, deadline=None)
    )


async def test_200_buyers_at_once_take_exactly_the_50_units(
    redis_stock: RedisStockReservations,
) -> None:
    await redis_stock.restock("FLASH", 50)
    results = await asyncio.gather(
        *(redis_stock.reserve(f"b{n}", "FLASH", 1, T0) for n in range(200)),
        return_exceptions=True,
    )
    held = [r for r in results if isinstance(r, Reservation)]
    refused = [r for r in results if isinstance(r, SoldOut)]
    assert (len(held), len(refused)) == (50, 150)
    assert {error.code for error in refused} == {"sold_out"}
    assert await redis_stock.level("FLASH") == StockLevel(available=0, reserved=50)


async def test_double_clicks_at_once_hold_once(redis_stock: RedisStockReservations) -> None:
    await redis_stock.restock("FLASH", 30)
    attempts = [f"b{n}" for n in range(100)] * 2  # every buyer sends the same request twice
    results = await asyncio.gather(
        *(redis_stock.reserve(rid, "FLASH", 1, T0) for rid in attempts), return_exceptions=True
    )
    held = {r.id: r for r in results if isinstance(r, Reservation)}
    assert len(held) == 30
    # Both copies of a request that got stock got the same reservation back.
    assert sum(isinstance(r, Reservation) for r in results) == 60
    assert await redis_stock.level("FLASH") == StockLevel(available=0, reserved=30)


async def test_four_processes_never_sell_beyond_stock(
    redis_stock: RedisStockReservations,
) -> None:
    await redis_stock.restock("FLASH", 120)
    start_at = time.time() + 2.0  # time for the processes to start, then all begin together
    loop = asyncio.get_running_loop()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=spawn) as pool:
        successes = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, contend, REDIS_URL, redis_stock.prefix, "FLASH", worker, 100, start_at
                )
                for worker in range(4)
            )
        )
    assert sum(successes) == 120
    assert await redis_stock.level("FLASH") == StockLevel(available=0, reserved=120)
