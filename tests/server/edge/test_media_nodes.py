"""Two server processes on one Redis: the host publishes to one, a viewer watches on the other.

Node A runs in the test process, node B is a separate `python -m server serve` process with the
same database, Redis, channel and secret. Nothing but Redis carries the video from A to B.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest

from server.edge.http.context import MEDIA
from tests import factory, peers
from tests.conftest import REDIS_URL, Backend, _require, config_for, reset_postgres
from tests.server.edge.test_cli import free_port
from tests.test_end_to_end import first_frames, whep, whip


@pytest.fixture
async def redis_backend(session_postgres_url: str) -> Backend:
    """Scale-out needs the shared services: PostgreSQL and Redis (no SQLite variant)."""
    _require("Redis", "127.0.0.1", 6379)
    await reset_postgres(session_postgres_url)
    return Backend("postgres+redis", session_postgres_url, REDIS_URL)


@pytest.fixture
async def node_b(
    redis_backend: Backend, tmp_path: Path
) -> AsyncIterator[tuple[SimpleNamespace, object]]:
    config = config_for(redis_backend)
    port = free_port()
    env = {
        **os.environ,
        "SHOPCAST_DATABASE_URL": redis_backend.database_url,
        "SHOPCAST_REDIS_URL": str(redis_backend.redis_url),
        "SHOPCAST_REDIS_CHANNEL": config.chat.redis_channel,
        "SHOPCAST_SECRET": config.secret,
        "SHOPCAST_PAYMENTS": "test",
        "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
    }
    log = tmp_path / "node-b.log"  # a file, not a pipe: a full pipe would stall the node
    with log.open("wb") as out:
        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "migrate", env=env, stdout=out, stderr=out
        )
        assert await migrate.wait() == 0, log.read_text(errors="replace")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "serve", "--port", str(port), "--workers", "1",
            env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    http = aiohttp.ClientSession()
    node = SimpleNamespace(url=f"http://127.0.0.1:{port}", http=http)
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    async with http.get(node.url + "/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                if proc.returncode is not None:
                    pytest.fail("node B stopped:\n" + log.read_text(errors="replace"))
                await asyncio.sleep(0.2)
        yield node, config
    finally:
        await http.close()
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def metric(node: SimpleNamespace, name: str) -> float:
    async with node.http.get(node.url + "/metrics") as resp:
        for line in (await resp.text()).splitlines():
            if line.startswith(name):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_a_viewer_on_another_node_watches_the_host(start, node_b) -> None:
    node, config = node_b
    a = await start(config)
    show = await factory.show(a)
    host, offer = await peers.publisher_offer("vp8")
    status, answer, _ = await whip(a, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host, answer)
    # B has no GOP of this show yet, so its viewer's picture needs a keyframe that B asks the
    # host for through Redis (aiortc's VP8 host would otherwise send its next one in ~100 s).
    await asyncio.sleep(1.0)

    viewer, frames = await peers.viewer_offer()
    status, answer, _ = await whep(node, show.stream_id, viewer.localDescription.sdp)
    assert status == 201, answer
    await peers.accept(viewer, answer)
    got = await first_frames(frames, 3, timeout=15)
    r, g, b = peers.mean_rgb(got[-1])
    assert abs(r - 40) < 25 and abs(g - 200) < 25 and abs(b - 90) < 25
    stream = f'{{stream="{show.stream_id}"}}'
    assert await metric(node, f"shopcast_stream_viewers{stream}") == 1
    assert await metric(node, f"shopcast_stream_packets_in_total{stream}") > 10
    ingest = a.app[MEDIA]._shows[str(show.stream_id)].broadcast
    assert ingest.keyframes.sent >= 1  # B's request reached the host on A
    assert a.app[MEDIA].viewer_count(str(show.stream_id)) == 0  # nobody watches on A

    # A second host on B while A's is live is refused: the show is live elsewhere.
    other, offer = await peers.publisher_offer("vp8")
    status, body, _ = await whip(node, show.stream_id, show.stream_key, offer)
    assert status == 409 and "already_publishing" in body

    # Ending the show on A closes B's viewer too.
    closed = asyncio.Event()
    viewer.on(
        "connectionstatechange", lambda: viewer.connectionState != "connected" and closed.set()
    )
    status, _ = await a.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert status == 200
    await asyncio.wait_for(closed.wait(), 15)
    for pc in (viewer, host, other):
        await pc.close()


async def test_the_host_leaving_through_another_node_ends_the_show(start, node_b) -> None:
    """Behind one port (`--workers`), the WHIP DELETE may reach a node that does not hold the
    session: the show ends all the same, and the node that does closes its publisher."""
    node, config = node_b
    a = await start(config)
    show = await factory.show(a)
    host, offer = await peers.publisher_offer("vp8")
    status, answer, headers = await whip(a, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    location = headers["Location"]
    await peers.accept(host, answer)
    media = a.app[MEDIA]
    for _ in range(100):
        if await node_b_sees_live(node, show.stream_id):
            break
        await asyncio.sleep(0.1)
    key = {"Authorization": f"Bearer {show.stream_key}"}
    async with node.http.delete(node.url + location, headers=key) as resp:
        assert resp.status == 200, await resp.text()
    for _ in range(100):
        if not media.is_publishing(str(show.stream_id)):
            break
        await asyncio.sleep(0.1)
    assert not media.is_publishing(str(show.stream_id))
    async with node.http.get(f"{node.url}/api/streams/{show.stream_id}") as resp:
        assert (await resp.json())["status"] == "ended"
    # Leaving again: the show is over.
    async with node.http.delete(node.url + location, headers=key) as resp:
        assert resp.status == 409 and "stream_ended" in await resp.text()
    await host.close()


async def node_b_sees_live(node: SimpleNamespace, stream_id: int) -> bool:
    async with node.http.get(f"{node.url}/api/streams/{stream_id}") as resp:
        return (await resp.json())["status"] == "live"
