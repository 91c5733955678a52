"""Group commit on PostgreSQL (server/core/store/group_commit.py): writes that arrive together
share one transaction, yet each keeps the outcome it would have had alone: its own refusal
rolls back only its SAVEPOINT, a refusal that points at another write of the same batch is
heard after that write committed, a failed commit fails the whole batch, and a write caught in
a deadlock between two nodes' batches runs again alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.errors import Conflict
from server.core.domain.roles import Role
from server.core.store.db import Database
from server.core.store.group_commit import GroupCommit, Writes, writes_for
from server.core.store.rows import User
from tests.conftest import Backend, reset_postgres
from tests.server import rows


@pytest.fixture
async def db(session_postgres_url: str) -> AsyncIterator[Database]:
    await reset_postgres(session_postgres_url)
    async for database in rows.database(Backend("postgres", session_postgres_url, None)):
        yield database


def person(email: str, *, then_refuse: bool = False):  # type: ignore[no-untyped-def]
    async def write(session: AsyncSession) -> int:
        row = User(email=email, password_hash="-", display_name=email[:8], role=Role.VIEWER)
        session.add(row)
        await session.flush()
        if then_refuse:
            raise Conflict("changed its mind")
        return row.id

    return write


async def emails(db: Database) -> set[str]:
    async with db.reading() as session:
        return set(await session.scalars(select(User.email).where(User.email.like("gc-%"))))


async def test_writes_arriving_together_share_a_commit_and_keep_their_own_outcomes(db) -> None:
    writes = GroupCommit(db)
    seen_by_the_duplicate: list[bool] = []

    async def duplicate_then_look() -> None:
        try:
            await writes.run(person("gc-0@example.test"))
        except IntegrityError:
            # As an order's double tap does: look for the other write's row at once.
            seen_by_the_duplicate.append("gc-0@example.test" in await emails(db))
            raise

    jobs = [writes.run(person(f"gc-{n}@example.test")) for n in range(27)]
    jobs.append(writes.run(person("gc-refused@example.test", then_refuse=True)))
    jobs += [duplicate_then_look(), duplicate_then_look()]
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)

    assert all(isinstance(o, int) for o in outcomes[:27])
    assert isinstance(outcomes[27], Conflict)
    assert all(isinstance(o, IntegrityError) for o in outcomes[28:])
    assert seen_by_the_duplicate == [True, True]
    assert await emails(db) == {f"gc-{n}@example.test" for n in range(27)}
    assert writes.jobs == 30 and writes.batches < 30  # grouped: the first alone, then the rest


async def test_a_failed_commit_fails_every_write_of_its_batch(db) -> None:
    async with db.writing() as session:
        await session.execute(text("DROP TABLE IF EXISTS gc_probe"))
        await session.execute(
            text(
                "CREATE TABLE gc_probe (id int PRIMARY KEY, ref int REFERENCES gc_probe(id) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    writes = GroupCommit(db)

    def probe(n: int, ref: int | None):  # type: ignore[no-untyped-def]
        async def write(session: AsyncSession) -> int:
            await session.execute(
                text("INSERT INTO gc_probe VALUES (:n, :ref)"), {"n": n, "ref": ref}
            )
            return n

        return write

    first = asyncio.ensure_future(writes.run(probe(1, None)))  # the first batch, alone
    await asyncio.sleep(0)
    together = [writes.run(probe(n, None)) for n in range(2, 6)]
    together.append(writes.run(probe(99, 12345)))  # fails only at COMMIT: a deferred check
    outcomes = await asyncio.gather(first, *together, return_exceptions=True)
    assert outcomes[0] == 1
    assert all(isinstance(o, IntegrityError) for o in outcomes[1:])
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(text("gc_probe"))) == 1


async def test_a_write_caught_in_a_deadlock_between_two_batches_runs_again_alone(db) -> None:
    async with db.writing() as session:
        await session.execute(text("DROP TABLE IF EXISTS gc_rows"))
        await session.execute(text("CREATE TABLE gc_rows (id int PRIMARY KEY, n int NOT NULL)"))
        await session.execute(text("INSERT INTO gc_rows VALUES (1, 0), (2, 0)"))
    node_a, node_b = GroupCommit(db), GroupCommit(db)
    a_holds_1, b_holds_2 = asyncio.Event(), asyncio.Event()

    def bump(row: int, signal: asyncio.Event | None, wait: asyncio.Event | None):  # type: ignore[no-untyped-def]
        async def write(session: AsyncSession) -> None:
            await session.execute(text("UPDATE gc_rows SET n = n + 1 WHERE id = :r"), {"r": row})
            if signal is not None:
                signal.set()
            if wait is not None:
                await wait.wait()

        return write

    # Node A's batch: row 1, then row 2; node B's: row 2, then row 1. Each holds what the other
    # needs next: PostgreSQL aborts one statement, that write's SAVEPOINT rolls back, the batches
    # commit, and the write that lost runs again by itself.
    a = [node_a.run(bump(1, a_holds_1, b_holds_2)), node_a.run(bump(2, None, None))]
    b = [node_b.run(bump(2, b_holds_2, a_holds_1)), node_b.run(bump(1, None, None))]
    outcomes = await asyncio.wait_for(asyncio.gather(*a, *b, return_exceptions=True), 60)
    assert outcomes == [None, None, None, None]
    async with db.reading() as session:
        assert list(await session.execute(text("SELECT id, n FROM gc_rows ORDER BY id"))) == [
            (1, 2),
            (2, 2),
        ]


async def test_sqlite_keeps_one_transaction_per_write(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/gc.db")
    try:
        assert type(writes_for(db)) is Writes
    finally:
        await db.close()
