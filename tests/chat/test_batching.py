"""The room batcher with a recording emit: frames, order, and the quiet-room fast path."""

from __future__ import annotations

import asyncio
from typing import Any

from chat.batching import BATCH, RoomBatcher

WINDOW = 0.05


class Sent:
    def __init__(self) -> None:
        self.frames: list[tuple[str, Any, str]] = []

    async def __call__(self, event: str, data: Any, room: str) -> None:
        self.frames.append((event, data, room))


async def test_a_quiet_room_gets_its_event_at_once() -> None:
    sent = Sent()
    batcher = RoomBatcher(sent, WINDOW)
    await batcher.send("r", "chat_message", {"id": 1})
    assert sent.frames == [("chat_message", {"id": 1}, "r")]


async def test_a_burst_leaves_as_one_batch_frame_in_order() -> None:
    sent = Sent()
    batcher = RoomBatcher(sent, WINDOW)
    for n in range(5):
        await batcher.send("r", "chat_message", {"id": n})
    await batcher.send("r", "likes", {"added": 3})
    assert len(sent.frames) == 1  # the first went at once; the rest wait for the window
    await asyncio.sleep(WINDOW * 2)
    assert len(sent.frames) == 2
    event, items, room = sent.frames[1]
    assert (event, room) == (BATCH, "r")
    assert items == [["chat_message", {"id": n}] for n in range(1, 5)] + [["likes", {"added": 3}]]
    assert batcher.frames == 2 and batcher.events == 6


async def test_rooms_are_batched_separately_and_a_lone_wait_is_a_plain_event() -> None:
    sent = Sent()
    batcher = RoomBatcher(sent, WINDOW)
    await batcher.send("a", "x", 1)
    await batcher.send("b", "x", 2)  # another room: not held back by the first
    await batcher.send("a", "y", 3)
    assert [f[2] for f in sent.frames] == ["a", "b"]
    await asyncio.sleep(WINDOW * 2)
    assert sent.frames[-1] == ("y", 3, "a")  # one waiting event needs no batch wrapper


async def test_after_a_quiet_window_events_go_at_once_again_and_flush_empties() -> None:
    sent = Sent()
    batcher = RoomBatcher(sent, WINDOW)
    await batcher.send("r", "x", 1)
    await asyncio.sleep(WINDOW * 1.5)
    await batcher.send("r", "x", 2)
    assert len(sent.frames) == 2
    await batcher.send("r", "x", 3)
    await batcher.send("r", "x", 4)
    await batcher.flush()
    assert sent.frames[-1] == (BATCH, [["x", 3], ["x", 4]], "r")
    await asyncio.sleep(WINDOW * 2)
    assert len(sent.frames) == 3  # the flushed events are not sent twice


async def test_a_failing_frame_does_not_stop_the_next() -> None:
    calls: list[Any] = []

    async def flaky(event: str, data: Any, room: str) -> None:
        calls.append(data)
        if data == 2:
            raise ConnectionError("redis went away")

    batcher = RoomBatcher(flaky, WINDOW)
    await batcher.send("r", "x", 1)
    await batcher.send("r", "x", 2)
    await asyncio.sleep(WINDOW * 2)
    await batcher.send("r", "x", 3)
    await asyncio.sleep(WINDOW * 2)
    assert calls == [1, 2, 3]


async def test_events_gather_while_a_slow_frame_is_still_being_sent() -> None:
    """Under load an emit can outlast the window: what comes meanwhile must wait and leave
    together, not one frame each."""
    frames: list[tuple[str, Any]] = []
    release = asyncio.Event()

    async def slow(event: str, data: Any, room: str) -> None:
        frames.append((event, data))
        if data == 0:
            await release.wait()

    batcher = RoomBatcher(slow, WINDOW)
    first = asyncio.ensure_future(batcher.send("r", "x", 0))
    await asyncio.sleep(WINDOW * 2)  # the window is over, but frame 0 is still going out
    for n in range(1, 4):
        await batcher.send("r", "x", n)
    assert frames == [("x", 0)]
    release.set()
    await first
    await asyncio.sleep(WINDOW * 2)
    assert frames == [("x", 0), (BATCH, [["x", 1], ["x", 2], ["x", 3]])]


def test_the_window_widens_with_the_room_up_to_its_cap() -> None:
    sizes = {"small": 800, "big": 5_000, "huge": 40_000}
    batcher = RoomBatcher(
        Sent(), WINDOW, size=sizes.__getitem__, writes_per_s=50_000, max_window_s=0.2
    )
    assert batcher.window_s("small") == WINDOW  # 800 / 50,000 = 16 ms: the minimum holds
    assert batcher.window_s("big") == 0.1
    assert batcher.window_s("huge") == 0.2


async def test_a_big_room_waits_its_wider_window() -> None:
    now = [0.0]
    sent, sizes = Sent(), {"big": 10_000, "small": 10}
    batcher = RoomBatcher(sent, 0.01, lambda: now[0], size=sizes.__getitem__, writes_per_s=100_000)
    for room in ("big", "small"):
        await batcher.send(room, "chat_message", {"id": 0})
    now[0] = 0.05  # past the 10 ms minimum, not the big room's 100 ms
    for room in ("big", "small"):
        await batcher.send(room, "chat_message", {"id": 1})
    assert [room for _, _, room in sent.frames] == ["big", "small", "small"]
    await batcher.flush()
    assert [room for _, _, room in sent.frames] == ["big", "small", "small", "big"]


async def test_a_newer_stock_value_takes_the_place_of_a_waiting_one() -> None:
    sent = Sent()
    batcher = RoomBatcher(sent, WINDOW)
    await batcher.send("r", "chat_message", {"id": 0})  # goes at once; the room is busy now
    for left in (9, 8, 7):
        await batcher.send("r", "stock_changed", {"product_id": 1, "stock": left}, "stock:1")
    await batcher.send("r", "chat_message", {"id": 1})
    await batcher.send("r", "stock_changed", {"product_id": 2, "stock": 4}, "stock:2")
    await batcher.send("r", "stock_changed", {"product_id": 1, "stock": 6}, "stock:1")
    await asyncio.sleep(WINDOW * 2)
    assert sent.frames[1][1] == [
        ["stock_changed", {"product_id": 1, "stock": 6}],
        ["chat_message", {"id": 1}],
        ["stock_changed", {"product_id": 2, "stock": 4}],
    ]
    # The next window starts afresh: the key no longer points into a sent frame.
    await batcher.send("r", "chat_message", {"id": 2})
    await batcher.send("r", "stock_changed", {"product_id": 1, "stock": 5}, "stock:1")
    await batcher.send("r", "stock_changed", {"product_id": 1, "stock": 4}, "stock:1")
    await batcher.flush()
    after = [
        item
        for event, data, _room in sent.frames[2:]
        for item in (data if event == BATCH else [[event, data]])
    ]
    stock = [data for event, data in after if event == "stock_changed"]
    assert stock == [{"product_id": 1, "stock": 4}]
