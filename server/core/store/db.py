"""Database engine, sessions and migrations.

`shopcast migrate` upgrades the schema under a lock, so nodes started at once migrate it once;
the app only checks that the schema is current (`check_schema`) and refuses to start if not.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # alembic's default


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout queues writers instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


# Any fixed 64-bit number: the PostgreSQL advisory lock every `shopcast migrate` takes.
MIGRATION_LOCK_KEY = 0x73686F7063617374  # "shopcast"


class SchemaBehind(RuntimeError):
    """The database's schema is older (or newer) than this code's migrations: one line."""


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current(sync: Connection) -> set[str]:
    # Alembic's own table, read plainly (MigrationContext would log at every start).
    if not inspect(sync).has_table(VERSION_TABLE):
        return set()
    return set(sync.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _upgrade(sync: Connection) -> bool:
    if _current(sync) == _heads():
        return False
    command.upgrade(alembic_config(sync), "head")
    return True


async def migrate(engine: AsyncEngine) -> bool:
    """Bring the schema to the newest revision; True when this call changed it.

    Callers at the same moment queue on one lock (PostgreSQL: an advisory lock held for the
    transaction; SQLite: an exclusive lock on a file beside the database), so the first
    migrates and the others find the schema current."""
    async with contextlib.AsyncExitStack() as stack:
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            await stack.enter_async_context(_file_lock(f"{engine.url.database}.migrate-lock"))
        conn = await stack.enter_async_context(engine.begin())
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key()})
        return await conn.run_sync(_upgrade)


async def migrate_url(url: str) -> bool:
    """`migrate` the database at `url` on an engine of its own (`shopcast migrate`)."""
    engine = create_engine(url)
    try:
        return await migrate(engine)
    finally:
        await engine.dispose()


def _lock_key() -> int:
    return MIGRATION_LOCK_KEY - (1 << 64) if MIGRATION_LOCK_KEY >= 1 << 63 else MIGRATION_LOCK_KEY


@contextlib.asynccontextmanager
async def _file_lock(path: str) -> AsyncIterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


async def check_schema(engine: AsyncEngine) -> None:
    """Raise SchemaBehind unless the schema is at this code's newest revision."""
    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    heads = _heads()
    if current != heads:
        at = ", ".join(sorted(current)) or "empty"
        raise SchemaBehind(
            f"the database schema is at {at}, this code needs {', '.join(sorted(heads))}: "
            "run `shopcast migrate` first"
        )


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class Database:
    """Engine + sessions. `writing()` opens a write transaction.

    SQLite has one writer: a transaction that read first and then writes fails at once with
    SQLITE_BUSY when another connection wrote meanwhile, so the embedded default queues writes
    on one asyncio lock. PostgreSQL needs no lock: its row locks and constraints decide.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)
        self._write_lock = asyncio.Lock() if url.startswith("sqlite") else None

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        async with contextlib.AsyncExitStack() as stack:
            if self._write_lock is not None:
                await stack.enter_async_context(self._write_lock)
            session = await stack.enter_async_context(self.sessions())
            await stack.enter_async_context(session.begin())
            yield session

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
