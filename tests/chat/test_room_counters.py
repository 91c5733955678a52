"""Viewer counts and like totals over several nodes (chat/room_counters.py): real Redis, and
two app nodes whose viewers see one count."""

from __future__ import annotations

import secrets

import pytest
import redis.asyncio as aioredis

from chat.room_counters import STALE_S, MemoryRoomCounters, RedisRoomCounters, RoomTotals
from tests import factory
from tests.chat.test_room import joined
from tests.conftest import REDIS_URL, SESSION, _require, config_for
from tests.server.edge.test_redis_loss import own_redis  # noqa: F401 - a fixture

SHOW = 7


def nodes(*names: str, clock: list[float]) -> list[RedisRoomCounters]:
    _require("Redis", "127.0.0.1", 6379)
    prefix = f"shopcast-test-{SESSION}-{secrets.token_hex(4)}"
    return [
        RedisRoomCounters(aioredis.from_url(REDIS_URL), prefix, name, lambda: clock[0])
        for name in names
    ]


async def test_the_embedded_default_counts_this_process() -> None:
    counters = MemoryRoomCounters()
    assert await counters.tick(SHOW, 3, 2) == RoomTotals(3, 2)
    assert await counters.tick(SHOW, 4, 5) == RoomTotals(4, 7)
    assert await counters.totals(SHOW, 4) == RoomTotals(4, 7)
    assert await counters.totals(SHOW + 1, 0) == RoomTotals(0, 0)


async def test_nodes_sum_their_viewers_and_likes() -> None:
    clock = [1000.0]
    a, b = nodes("a", "b", clock=clock)
    try:
        assert await a.tick(SHOW, 3, 2) == RoomTotals(3, 2)
        assert await b.tick(SHOW, 4, 5) == RoomTotals(7, 7)
        assert await a.tick(SHOW, 3, 0) == RoomTotals(7, 7)
        assert await a.totals(SHOW, 3) == RoomTotals(7, 7)  # what a joiner is told
        # A node whose room emptied takes its count out at once.
        assert await b.tick(SHOW, 0, 1) == RoomTotals(3, 8)
        assert await a.tick(SHOW, 3, 0) == RoomTotals(3, 8)
    finally:
        await a.close()
        await b.close()


async def test_a_node_that_went_silent_is_left_out() -> None:
    clock = [1000.0]
    a, b = nodes("a", "b", clock=clock)
    try:
        await b.tick(SHOW, 40, 0)
        assert (await a.tick(SHOW, 2, 0)).viewers == 42
        clock[0] += STALE_S + 0.1  # b crashed: it never ticks again
        assert (await a.tick(SHOW, 2, 0)).viewers == 2
    finally:
        await a.close()
        await b.close()


async def test_likes_counted_while_redis_is_away_are_added_when_it_is_back(
    own_redis,  # noqa: F811 - the fixture
) -> None:
    counters = RedisRoomCounters.from_url(own_redis.url, f"shopcast-test-{SESSION}")
    try:
        assert await counters.tick(SHOW, 5, 10) == RoomTotals(5, 10)
        await own_redis.stop()
        assert await counters.tick(SHOW, 6, 3) == RoomTotals(6, 13)  # local, and kept
        assert await counters.tick(SHOW, 6, 2) == RoomTotals(6, 15)
        await own_redis.start()  # a fresh server: it lost everything it had
        assert await counters.tick(SHOW, 6, 1) == RoomTotals(6, 6)  # 3 + 2 + 1 arrive
    finally:
        await counters.close()


@pytest.mark.parametrize("backend", ["postgres+redis"], indirect=True)
async def test_viewers_on_two_nodes_see_one_count_and_every_like(backend, start) -> None:
    config = config_for(backend)
    node_a, node_b = await start(config), await start(config)
    show = await factory.show(node_a)
    on_a, events_a, _ = await joined(node_a, show.viewer, show.stream_id, "viewer_count", "likes")
    on_b, events_b, _ = await joined(node_b, show.viewer2, show.stream_id, "viewer_count", "likes")
    for events in (events_a, events_b):
        while (await events.next("viewer_count"))["count"] != 2:
            pass  # the first tick may come before the other node's
    assert (await on_a.call("like", {"count": 3}))["ok"]
    assert (await on_b.call("like", {"count": 4}))["ok"]
    for events in (events_a, events_b):
        added = [(await events.next("likes")) for _ in range(2)]
        assert sorted(e["added"] for e in added) == [3, 4]
        assert max(e["total"] for e in added) == 7
    _, _, state = await joined(node_b, show.host, show.stream_id)
    assert state["viewers"] == 3  # the host joins as the third
    assert state["likes"] == 7
