"""A sale across server processes on PostgreSQL + Redis: buyers hammer one product through two
`python -m server serve` processes at once, and one of them is killed (SIGKILL) mid-sale and
started again. No unit is sold twice and no paid order is lost."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from server.core.store.rows import Order, OrderLine, ProductVariant
from server.edge.http.context import DATABASE
from tests import factory
from tests.conftest import REDIS_URL, Backend, _require, config_for, reset_postgres
from tests.server.edge.test_cli import free_port


@pytest.fixture
async def redis_backend(session_postgres_url: str) -> Backend:
    _require("Redis", "127.0.0.1", 6379)
    await reset_postgres(session_postgres_url)
    return Backend("postgres+redis", session_postgres_url, REDIS_URL)


@dataclass
class Node:
    """One server process the test can kill and start again on the same port."""

    env: dict[str, str]
    port: int
    log: Path
    http: aiohttp.ClientSession
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("ab") as out:
            migrate = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server", "migrate", env=self.env, stdout=out, stderr=out
            )
            assert await migrate.wait() == 0, self.log.read_text(errors="replace")
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server", "serve", "--port", str(self.port), "--workers", "1",
                env=self.env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        async with asyncio.timeout(30):
            while True:
                try:
                    async with self.http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                if self.proc.returncode is not None:
                    pytest.fail("node stopped:\n" + self.log.read_text(errors="replace"))
                await asyncio.sleep(0.2)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def post(self, path: str, token: str, body: dict) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self.http.post(self.url + path, json=body, headers=headers) as resp:
                return resp.status, await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return 0, repr(exc)  # the node died under this request


@pytest.fixture
async def cluster(redis_backend, start, tmp_path) -> AsyncIterator[tuple[Any, list[Node]]]:
    """Node A in this process (for set-up and reading the database), two server processes."""
    config = config_for(redis_backend)
    node_a = await start(config)
    env = {
        **os.environ,
        "SHOPCAST_DATABASE_URL": redis_backend.database_url,
        "SHOPCAST_REDIS_URL": str(redis_backend.redis_url),
        "SHOPCAST_REDIS_CHANNEL": config.chat.redis_channel,
        "SHOPCAST_SECRET": config.secret,
        "SHOPCAST_PAYMENTS": "test",
        "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
    }
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    nodes = [Node(env, free_port(), tmp_path / f"node-{i}.log", http) for i in range(2)]
    try:
        for node in nodes:
            await node.start()
        yield node_a, nodes
    finally:
        for node in nodes:
            await node.stop()
        await http.close()


async def ledger(node_a, product_id: int) -> tuple[int, int, int]:
    """(units in live orders, units in paid orders, units on the shelf) from the database."""
    async with node_a.app[DATABASE].reading() as session:
        live = await session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.product_id == product_id, Order.status != "cancelled")
        )
        paid = await session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.product_id == product_id, Order.status == "paid")
        )
        shelf = await session.scalar(
            select(func.sum(ProductVariant.stock)).where(ProductVariant.product_id == product_id)
        )
    return int(live), int(paid), int(shelf)


async def test_two_processes_never_oversell_one_product(cluster) -> None:
    node_a, nodes = cluster
    show = await factory.show(node_a, stocks=(25,))
    await factory.go_live(node_a, show.stream_id)
    buyers = [await factory.account(node_a) for _ in range(40)]
    path = f"/api/streams/{show.stream_id}/orders"

    async def attempt(i: int, token: str, key: str) -> tuple[int, Any]:
        body = {"product_id": show.product_ids[0], "quantity": 1, "idempotency_key": key}
        return await nodes[i % 2].post(path, token, body)

    keys = [secrets.token_hex(8) for _ in buyers]
    # Every buyer sends twice with the same key, once through each process.
    results = await asyncio.gather(
        *(attempt(i, t, k) for i, (t, k) in enumerate(zip(buyers, keys, strict=True))),
        *(attempt(i + 1, t, k) for i, (t, k) in enumerate(zip(buyers, keys, strict=True))),
    )
    created = {body["id"] for status, body in results if status == 201}
    replayed = {body["id"] for status, body in results if status == 200}
    refused = {body["error"]["code"] for status, body in results if status == 409}
    assert len(created) == 25 and replayed <= created
    assert refused <= {"sold_out"} and all(status in (200, 201, 409) for status, _ in results)
    assert await ledger(node_a, show.product_ids[0]) == (25, 0, 0)


async def test_killing_a_process_mid_sale_loses_no_paid_order(cluster) -> None:
    node_a, nodes = cluster
    show = await factory.show(node_a, stocks=(30,))
    await factory.go_live(node_a, show.stream_id)
    buyers = [await factory.account(node_a) for _ in range(24)]
    path = f"/api/streams/{show.stream_id}/orders"
    paid_ids: set[int] = set()

    async def buyer(i: int, token: str) -> None:
        # Each buyer buys and pays (one tap) twice, through alternating processes.
        for round_ in range(2):
            key = f"buyer{i:03d}round{round_}"
            body = {"product_id": show.product_ids[0], "idempotency_key": key, "pay": True}
            for attempt in range(20):  # a buyer whose process died retries, as an app would
                status, answer = await nodes[(i + attempt) % 2].post(path, token, body)
                if status in (200, 201) and answer["status"] == "paid":
                    paid_ids.add(answer["id"])
                    break
                if status == 409:
                    break
                await asyncio.sleep(0.2)

    async def killer() -> None:
        await asyncio.sleep(0.3)
        await nodes[0].kill()
        await asyncio.sleep(0.5)
        await nodes[0].start()

    await asyncio.gather(killer(), *(buyer(i, t) for i, t in enumerate(buyers)))
    async with node_a.app[DATABASE].reading() as session:
        stored = set(
            await session.scalars(
                select(Order.id).where(Order.stream_id == show.stream_id, Order.status == "paid")
            )
        )
    assert paid_ids and paid_ids <= stored  # every order a buyer was told is paid, is paid
    live, paid, shelf = await ledger(node_a, show.product_ids[0])
    assert live + shelf == 30  # nothing sold twice, nothing lost from the shelf
    assert paid == len(stored) and paid <= 30
