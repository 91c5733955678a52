"""Two nodes on a Redis of the test's own, which goes away and comes back: each node keeps
serving its own viewers, says it is unhealthy meanwhile, and the nodes meet again after."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests import factory
from tests.chat.test_room import joined
from tests.conftest import Backend, _require, config_for, reset_postgres
from tests.server.edge.test_cli import free_port


class OwnRedis:
    """A redis-server this test can stop and start again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = folder
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        exe = shutil.which("redis-server") or "redis-server"
        self._proc = await asyncio.create_subprocess_exec(
            exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self._folder),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise AssertionError("redis-server did not start")

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[OwnRedis]:
    redis = OwnRedis(tmp_path)
    await redis.start()
    yield redis
    await redis.stop()


async def healthy(node) -> tuple[int, dict]:
    async with node.http.get(node.url + "/healthz") as resp:
        return resp.status, await resp.json()


async def eventually_healthy(node, expected: int, seconds: float = 15) -> None:
    for _ in range(int(seconds * 5)):
        if (await healthy(node))[0] == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"/healthz never answered {expected}")


async def test_a_node_that_loses_redis_serves_its_own_viewers_and_recovers(
    session_postgres_url: str, own_redis: OwnRedis, start
) -> None:
    _require("PostgreSQL", "127.0.0.1", 5432)
    await reset_postgres(session_postgres_url)
    backend = Backend("postgres+redis", session_postgres_url, own_redis.url)
    config = replace(config_for(backend), redis_url=own_redis.url)
    node_a, node_b = await start(config), await start(config)
    show = await factory.show(node_a)
    host, _, _ = await joined(node_a, show.host, show.stream_id)
    _, local_events, _ = await joined(node_a, show.viewer, show.stream_id, "chat_message")
    _, remote_events, _ = await joined(node_b, show.viewer2, show.stream_id, "chat_message")
    assert (await host.call("send_message", {"text": "before"}))["ok"]
    assert (await remote_events.next("chat_message"))["text"] == "before"
    assert (await local_events.next("chat_message"))["text"] == "before"

    await own_redis.stop()
    await eventually_healthy(node_a, 503)
    assert (await healthy(node_a))[1]["redis"].startswith("down")
    ack = await host.call("send_message", {"text": "during"})
    assert ack["ok"], ack  # the node keeps working for the people connected to it
    assert (await local_events.next("chat_message"))["text"] == "during"

    await own_redis.start()
    await eventually_healthy(node_a, 200)
    await eventually_healthy(node_b, 200)
    # python-socketio's listener re-subscribes on its own schedule: keep saying hello until
    # the other node hears it again.
    for attempt in range(30):
        ack = await host.call("send_message", {"text": f"after {attempt}"})
        assert ack["ok"] or ack["error"]["code"] == "rate_limited", ack
        try:
            got = await remote_events.next("chat_message", timeout=1.0)
        except TimeoutError:
            continue
        if got["text"].startswith("after"):
            break
    else:
        raise AssertionError("node B never heard node A again")


async def test_a_buyer_let_through_while_redis_was_down_gets_their_order_on_retry(
    session_postgres_url: str, own_redis: OwnRedis, start
) -> None:
    """Without Redis the stock gate lets buyers through to the database, which decides alone: a
    winner then holds nothing in Redis, and when it is back (and counts the stock again from the
    database) the winner's retry must still get its order, not "sold out"."""
    _require("PostgreSQL", "127.0.0.1", 5432)
    await reset_postgres(session_postgres_url)
    backend = Backend("postgres+redis", session_postgres_url, own_redis.url)
    node = await start(replace(config_for(backend), redis_url=own_redis.url))
    show = await factory.show(node, stocks=(1,))
    await factory.go_live(node, show.stream_id)
    path = f"/api/streams/{show.stream_id}/orders"
    buy = {"product_id": show.product_ids[0], "quantity": 1, "idempotency_key": "won-while-down"}

    await own_redis.stop()
    status, first = await node.call("POST", path, show.viewer, json=buy)
    assert status == 201, first  # the database sold the last unit

    await own_redis.start()  # empty: the gate seeds the stock from the database, 0
    await eventually_healthy(node, 200)
    status, again = await node.call("POST", path, show.viewer, json=buy)
    assert (status, again["id"]) == (200, first["id"]), again
    other = {**buy, "idempotency_key": "too-late-0001"}
    status, refused = await node.call("POST", path, show.viewer2, json=other)
    assert (status, refused["error"]["code"]) == (409, "sold_out"), refused
