"""`shopcast serve --workers 2` on PostgreSQL + Redis: two worker processes answer on one port,
Socket.IO is WebSocket only (a polling client is refused with a clear 400), a worker killed with
SIGKILL is started again while the other keeps answering, and SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import socketio

from tests.conftest import REDIS_URL, Backend, _require, config_for, reset_postgres
from tests.server.edge.test_cli import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
async def pool(
    session_postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, Path, asyncio.subprocess.Process]]:
    _require("Redis", "127.0.0.1", 6379)
    await reset_postgres(session_postgres_url)
    config = config_for(Backend("postgres+redis", session_postgres_url, REDIS_URL))
    env = {
        **os.environ,
        "SHOPCAST_DATABASE_URL": session_postgres_url,
        "SHOPCAST_REDIS_URL": REDIS_URL,
        "SHOPCAST_REDIS_CHANNEL": config.chat.redis_channel,
        "SHOPCAST_SECRET": config.secret,
        "SHOPCAST_PAYMENTS": "test",
        "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
    }
    env.pop("SHOPCAST_WORKERS", None)
    port = free_port()
    log = tmp_path / "pool.log"
    with log.open("ab") as out:
        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "migrate", env=env, stdout=out, stderr=out
        )
        assert await migrate.wait() == 0, log.read_text(errors="replace")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "serve", "--port", str(port), "--workers", "2",
            env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", log, proc
    finally:
        if proc.returncode is None:
            proc.kill()  # the workers die with it (PR_SET_PDEATHSIG)
            await proc.wait()


async def answering(url: str) -> tuple[int, int] | None:
    """(worker, pid) of whichever worker took this new connection, or None if none answered."""
    connector = aiohttp.TCPConnector(force_close=True)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            async with http.get(url + "/healthz", timeout=aiohttp.ClientTimeout(total=5)) as resp:
                if resp.status != 200:
                    return None
                worker, pid = resp.headers["Shopcast-Worker"].split("/")
                return int(worker), int(pid)
    except (aiohttp.ClientError, TimeoutError):
        return None


async def workers_seen(
    url: str, proc: asyncio.subprocess.Process, log: Path, want: dict[int, int | None]
) -> dict[int, int]:
    """Ask on new connections until each worker in `want` answered (with a pid other than the
    one given: a worker started again); their pids by worker number."""
    seen: dict[int, int] = {}
    try:
        async with asyncio.timeout(90):
            while not all(seen.get(w, old) != old for w, old in want.items()):
                if proc.returncode is not None:
                    pytest.fail("the pool stopped:\n" + log.read_text(errors="replace"))
                found = await answering(url)
                if found is None:
                    await asyncio.sleep(0.1)
                elif found[1] != want.get(found[0]):
                    seen[found[0]] = found[1]
    except TimeoutError:
        pytest.fail(f"only workers {sorted(seen)} answered:\n" + log.read_text(errors="replace"))
    return seen


def alive(pid: int) -> bool:
    """Running, not gone and not a zombie (an orphan's exit waits for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_two_workers_share_the_port_and_a_killed_one_comes_back(pool) -> None:
    url, log, proc = pool
    first = await workers_seen(url, proc, log, want={1: None, 2: None})
    assert set(first) == {1, 2} and first[1] != first[2]

    os.kill(first[1], signal.SIGKILL)
    assert await answering(url) is not None  # the other one answers meanwhile
    again = await workers_seen(url, proc, log, want={1: first[1], 2: None})
    assert again[1] != first[1] and again[2] == first[2]

    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    for _ in range(50):
        if not any(alive(pid) for pid in again.values()):
            break
        await asyncio.sleep(0.1)
    assert not any(alive(pid) for pid in again.values())


async def test_a_supervisor_killed_outright_takes_its_workers_along(pool) -> None:
    url, log, proc = pool
    pids = await workers_seen(url, proc, log, want={1: None, 2: None})
    proc.kill()
    await proc.wait()
    for _ in range(100):
        if not any(alive(pid) for pid in pids.values()):
            break
        await asyncio.sleep(0.1)
    assert not any(alive(pid) for pid in pids.values())


async def test_workers_speak_socketio_over_websocket_only(pool) -> None:
    url, log, proc = pool
    await workers_seen(url, proc, log, want={1: None, 2: None})
    over_websocket = socketio.AsyncClient(reconnection=False)
    await over_websocket.connect(url, transports=["websocket"], wait_timeout=10)
    assert over_websocket.connected
    await over_websocket.disconnect()

    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(url + "/socket.io/?EIO=4&transport=polling") as resp:
            assert resp.status == 400
            assert "Invalid transport" in await resp.text()


async def test_more_than_one_worker_needs_redis(tmp_path: Path) -> None:
    env = {**os.environ, "SHOPCAST_SECRET": "x" * 48}
    env.pop("SHOPCAST_REDIS_URL", None)
    env.pop("SHOPCAST_WORKERS", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", str(free_port()), "--workers", "2",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "workers share shows through Redis; set SHOPCAST_REDIS_URL" in err.decode()
