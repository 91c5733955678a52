"""The Redis stock gate in front of the database: seeding, admission all-or-nothing, the deal's
own pool, sellers' changes, repair after Redis lost its keys, and failing open."""

from __future__ import annotations

import asyncio

import pytest

from server.core.domain.errors import Conflict, SoldOut
from server.core.stock.gate import Hold, StockGate, deal_key, hold_id, variant_key
from server.core.stock.redis_lua import RedisStockReservations
from tests.conftest import REDIS_URL
from tests.server.core.stock.conftest import HOLD, T0


class Shelf:
    """What the database would answer a seed with, and how often it was asked."""

    def __init__(self, **units: int) -> None:
        self.units = units
        self.asked = 0

    async def seed(self, key: str) -> int:
        self.asked += 1
        await asyncio.sleep(0.01)  # a database read: other buyers arrive meanwhile
        return self.units.get(key, 0)


def holds(buyer: int, *keys: str, quantity: int = 1) -> list[Hold]:
    return [Hold(hold_id(buyer, "key-0001", k), k, quantity) for k in keys]


async def test_a_stampede_seeds_once_and_admits_exactly_the_stock(redis_stock) -> None:
    shelf = Shelf(v1=5)
    gate = StockGate(redis_stock, shelf.seed)
    outcomes = await asyncio.gather(
        *(gate.admit(holds(buyer, "v1"), T0) for buyer in range(40)), return_exceptions=True
    )
    assert sum(isinstance(o, list) and len(o) == 1 for o in outcomes) == 5
    assert all(isinstance(o, SoldOut) for o in outcomes if not isinstance(o, list))
    assert shelf.asked == 1
    level = await redis_stock.level("v1")
    assert (level.available, level.reserved) == (0, 5)


async def test_a_retry_finds_its_own_hold_instead_of_a_second(redis_stock) -> None:
    gate = StockGate(redis_stock, Shelf(v1=1).seed)
    assert await gate.admit(holds(7, "v1"), T0)
    assert await gate.admit(holds(7, "v1"), T0)  # same key: admitted again, no new units
    with pytest.raises(SoldOut):
        await gate.admit(holds(8, "v1"), T0)


async def test_the_deal_pool_running_dry_is_the_deal_selling_out(redis_stock) -> None:
    gate = StockGate(redis_stock, Shelf(v1=10, d3=1).seed)
    assert await gate.admit(holds(1, deal_key(3), variant_key(1)), T0)
    with pytest.raises(Conflict) as refused:
        await gate.admit(holds(2, deal_key(3), variant_key(1)), T0)
    assert refused.value.code == "deal_sold_out"
    assert (await redis_stock.level("v1")).available == 9  # all or nothing


async def test_release_and_a_sellers_change_move_the_count(redis_stock) -> None:
    gate = StockGate(redis_stock, Shelf(v1=2).seed)
    taken = await gate.admit(holds(1, "v1", quantity=2), T0)
    await gate.release(taken)
    await gate.release(taken)  # twice changes nothing
    assert (await redis_stock.level("v1")).available == 2
    await gate.adjust("v1", 3)
    await gate.adjust("v9", 3)  # not counted yet: left to seeding
    assert (await redis_stock.level("v1")).available == 5
    assert (await redis_stock.level("v9")).received == 0


async def test_a_flushed_redis_is_seeded_again_from_the_database(redis_stock) -> None:
    clock = [0.0]
    shelf = Shelf(v1=3)
    gate = StockGate(redis_stock, shelf.seed, clock=lambda: clock[0])
    assert await gate.admit(holds(1, "v1"), T0)
    await redis_stock.redis.delete(f"{redis_stock.prefix}:stock:v1")  # Redis lost its data
    clock[0] = 60.0  # past RESEED_S: the next buyer repairs it in the background
    with pytest.raises(SoldOut):
        await gate.admit(holds(2, "v1"), T0)
    await asyncio.sleep(0.05)
    assert await gate.admit(holds(3, "v1"), T0)
    assert shelf.asked == 2


async def test_without_redis_the_gate_lets_everyone_through_to_the_database() -> None:
    unreachable = RedisStockReservations.from_url("redis://127.0.0.1:1", "nowhere", HOLD)
    gate = StockGate(unreachable, Shelf(v1=1).seed)
    try:
        assert await gate.admit(holds(1, "v1"), T0) == []
        assert await gate.admit(holds(2, "v1"), T0) == []
        assert gate.failed_open == 2
        await gate.release(holds(1, "v1"))  # nothing to do, nothing raised
    finally:
        await gate.close()


# -- losers refused from memory, across processes -----------------------------------------------


class Counted:
    """Counts the reserve round trips a gate makes (the real script still runs)."""

    def __init__(self, stock: RedisStockReservations) -> None:
        self.calls = 0
        self._reserve = stock.reserve
        stock.reserve = self._counted  # type: ignore[method-assign]

    async def _counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return await self._reserve(*args, **kwargs)


async def until(condition, tries: int = 200) -> None:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the gate never reached the state the test waits for")


@pytest.fixture
async def two_gates(redis_stock):  # type: ignore[no-untyped-def]
    """Two processes' gates on one Redis prefix, each with its own client, both listening."""
    name = f"gate-{redis_stock.prefix}"  # so a test can find this client's connections
    other = RedisStockReservations.from_url(
        f"{REDIS_URL}?client_name={name}", redis_stock.prefix, hold=HOLD
    )
    shelf = Shelf(v1=3, d5=2)
    first = StockGate(redis_stock, shelf.seed, listen=True)
    second = StockGate(other, shelf.seed, listen=True)
    try:
        yield first, second
    finally:
        for gate in (first, second):
            if gate._listener is not None:
                gate._listener.cancel()
        await second.close()


async def test_after_a_sell_out_the_losers_cost_no_round_trip(two_gates) -> None:
    first, second = two_gates
    counted = Counted(second.reservations)
    for buyer in range(3):
        assert await first.admit(holds(buyer, "v1"), T0)
    with pytest.raises(SoldOut):  # Redis says so once; the gate reads the key's state
        await second.admit(holds(10, "v1"), T0)
    await until(lambda: not second.board.needs_sync("v1"))
    calls = counted.calls
    for buyer in range(11, 60):
        with pytest.raises(SoldOut) as refused:
            await second.admit(holds(buyer, "v1"), T0)
    assert refused.value.code == "sold_out"
    assert counted.calls == calls
    assert second.board.refused == 49
    assert await second.admit(holds(1, "v1"), T0)  # a winner's retry still finds its hold
    assert counted.calls == calls + 1


async def test_units_coming_back_reopen_every_process(two_gates) -> None:
    first, second = two_gates
    won = [await first.admit(holds(buyer, "v1"), T0) for buyer in range(3)]
    with pytest.raises(SoldOut):
        await second.admit(holds(10, "v1"), T0)
    await until(lambda: not second.board.needs_sync("v1"))
    await first.release(won[0])  # a cancel: one unit is back
    await until(lambda: not second.board.refuses("v1", hold_id(11, "key-0001", "v1")))
    assert await second.admit(holds(11, "v1"), T0)
    with pytest.raises(SoldOut):
        await second.admit(holds(12, "v1"), T0)


async def test_a_sold_out_deal_is_refused_with_the_deals_code(two_gates) -> None:
    first, second = two_gates
    for buyer in range(2):
        assert await first.admit(holds(buyer, deal_key(5), variant_key(1)), T0)
    with pytest.raises(Conflict):
        await second.admit(holds(9, deal_key(5), variant_key(1)), T0)
    await until(lambda: not second.board.needs_sync(deal_key(5)))
    with pytest.raises(Conflict) as refused:
        await second.admit(holds(10, deal_key(5), variant_key(1)), T0)
    assert refused.value.code == "deal_sold_out"
    assert (await second.reservations.level("v1")).available == 1  # nothing taken


async def test_a_lost_subscription_sends_everyone_to_redis_again(two_gates) -> None:
    first, second = two_gates
    for buyer in range(3):
        await first.admit(holds(buyer, "v1"), T0)
    with pytest.raises(SoldOut):
        await second.admit(holds(10, "v1"), T0)
    await until(lambda: not second.board.needs_sync("v1"))
    generation = second._listening
    redis = first.reservations.redis
    listed = await redis.execute_command("CLIENT", "LIST", "TYPE", "pubsub")
    text = listed.decode() if isinstance(listed, bytes) else listed
    ours = [line for line in text.splitlines() if f"name=gate-{first.reservations.prefix} " in line]
    assert len(ours) == 1  # the second gate's subscription, and no one else's
    client_id = ours[0].split(" ")[0].removeprefix("id=")
    await redis.execute_command("CLIENT", "KILL", "ID", client_id)
    await until(lambda: second._listening == 0 or second._listening > generation)
    assert second.board.needs_sync("v1")  # nothing read before the loss is trusted
    await until(lambda: second._listening > generation, tries=400)  # subscribed again
