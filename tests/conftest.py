"""Shared fixtures: the app served on a real port, against SQLite and against PostgreSQL + Redis.

PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379) are used when they
answer; with CI=true they must answer, so a missing service fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from chat.config import ChatConfig
from server.core.store.db import migrate_url
from server.edge.app import create_app
from server.edge.config import AuthConfig, Config, PaymentsConfig

POSTGRES_URL = os.environ.get(
    "SHOPCAST_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SHOPCAST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI") == "true"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _require(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    if IN_CI:
        pytest.fail(f"{name} at {host}:{port} is not reachable, and CI=true requires it")
    pytest.skip(f"{name} at {host}:{port} is not reachable")


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str | None


# Each test session works in its own database and Redis channel, so several runs on one
# machine (two developers, an editor's test runner, CI) never see each other's data.
SESSION = secrets.token_hex(4)
SESSION_DB = f"shopcast_test_{SESSION}"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql")


def _admin(sql: str) -> None:
    """Run one statement on the `test` database, on a thread: callers may be inside a loop."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(_plain(POSTGRES_URL))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def session_postgres_url() -> Iterator[str]:
    """A database of this session's own, created beside `test` and dropped at the end."""
    _require("PostgreSQL", "127.0.0.1", 5432)
    _admin(f'CREATE DATABASE "{SESSION_DB}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + SESSION_DB
    _admin(f'DROP DATABASE IF EXISTS "{SESSION_DB}" WITH (FORCE)')


async def reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres+redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path}/shopcast.db", None)
    _require("Redis", "127.0.0.1", 6379)
    url = request.getfixturevalue("session_postgres_url")
    await reset_postgres(url)
    return Backend("postgres+redis", url, REDIS_URL)


@pytest.fixture
async def sqlite_backend(tmp_path: Path) -> Backend:
    return Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path}/shopcast.db", None)


@pytest.fixture(scope="session", autouse=True)
def _forget_redis_keys() -> Iterator[None]:
    """Moderation state and fingerprints are Redis keys under each test's channel: drop this
    session's at the end."""
    yield
    if not _reachable("127.0.0.1", 6379):
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"shopcast-test-{SESSION}-*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# Tests make many accounts, guests and sign-ins from 127.0.0.1 in moments: the sign-in doors'
# limits are raised far past that (tests/server/edge/test_rate_limits.py shows the defaults bite).
TEST_AUTH = AuthConfig(
    sign_in_per_address="100000/minute",
    sign_up_per_address="100000/minute",
    guest_per_address="100000/minute",
)


def config_for(backend: Backend, **changes: Any) -> Config:
    """A config for apps of one test: its own secret and its own Redis channel (and key
    prefix), so nothing a test leaves in Redis meets the next one's streams of the same id."""
    base = Config(
        database_url=backend.database_url,
        redis_url=backend.redis_url,
        secret=secrets.token_urlsafe(48),
        chat=ChatConfig(redis_channel=f"shopcast-test-{SESSION}-{secrets.token_hex(4)}"),
        payments=PaymentsConfig.test(),
        auth=TEST_AUTH,
    )
    return replace(base, **changes)


@dataclass
class Running:
    app: web.Application
    server: TestServer
    http: aiohttp.ClientSession
    clients: list[socketio.AsyncClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.url + path, headers=headers, **kw) as resp:
            body = await resp.json(content_type=None) if resp.content_length != 0 else None
            return resp.status, body

    async def sio(self, token: str | None = None) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            self.url, auth={"token": token} if token else None, transports=["websocket"]
        )
        self.clients.append(client)
        return client


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., Any]]:
    """Start apps on real ports; everything started is stopped at the end of the test."""
    running: list[Running] = []

    async def _start(config: Config) -> Running:
        await migrate_url(config.database_url)  # what `shopcast migrate` does before nodes start
        app = create_app(config)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        run = Running(app, server, aiohttp.ClientSession())
        running.append(run)
        return run

    yield _start
    for run in reversed(running):
        for client in run.clients:
            await asyncio.wait_for(client.disconnect(), 10)
        await run.http.close()
        await run.server.close()
    await asyncio.sleep(0)


@pytest.fixture
async def running(backend: Backend, start: Callable[..., Any]) -> Running:
    return await start(config_for(backend))
