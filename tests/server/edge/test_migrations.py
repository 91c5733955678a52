"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL; nodes
migrating at the same moment migrate once; the app refuses a schema that is behind."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from server.core.store.db import SchemaBehind, check_schema, migrate
from server.core.store.rows import Base


async def test_migrated_schema_matches_the_models(backend) -> None:
    engine = create_async_engine(backend.database_url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_nodes_migrating_at_once_migrate_once(backend) -> None:
    engines = [create_async_engine(backend.database_url) for _ in range(3)]
    try:
        with pytest.raises(SchemaBehind, match="run `shopcast migrate` first"):
            await check_schema(engines[0])
        changed = await asyncio.gather(*(migrate(engine) for engine in engines))
        assert sorted(changed) == [False, False, True]  # all succeed; one did the work
        await check_schema(engines[1])
        assert await migrate(engines[2]) is False
    finally:
        for engine in engines:
            await engine.dispose()
