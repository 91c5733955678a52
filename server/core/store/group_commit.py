"""Group commit: the small write transactions of one process, carried several at a time by one
database transaction, each inside its own SAVEPOINT.

A flash sale's winners all update the same rows (the deal's `sold`, the variant's `stock`): one
transaction each means each waits for the row lock until the one before it has committed, so
500 winners queue behind 500 commits. Here the jobs that arrive while a batch is being written
wait for the next one, which takes them all (up to `max_batch`) in one transaction: one commit,
and the hot rows' locks are taken once per batch.

Each job keeps the guarantees it had alone:
- its own refusal (sold out, a duplicate idempotency key, a deal limit) rolls back its SAVEPOINT
  only, and the others of the batch go on;
- its caller hears the outcome only after the batch's commit, so a refusal that points at
  another job's order (a double tap in the same batch) finds that order committed;
- if the batch's commit fails, every job of it fails with that error: nothing of it was written;
- a job that failed for a reason of the database's (a deadlock between two nodes' batches, a
  serialization failure) is run once more alone, in its own transaction.

One writer per process carries the batches, one after another: a node's order writes use one
connection at a time (the others stay free for reads), and under a light load a batch is one
job, as before.

SQLite keeps one transaction per job (`Database.writing`): its writer is one connection behind
a lock, and its driver's SAVEPOINTs need a transaction mode the rest of the app does not use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.store.db import Database

logger = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]
MAX_BATCH = 50


@dataclass
class _Job(Generic[T]):
    work: Work[T]
    result: asyncio.Future[T] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, value: Any, error: BaseException | None) -> None:
        if self.result.done():
            return
        if error is None:
            self.result.set_result(value)
        else:
            self.result.set_exception(error)


class Writes:
    """One write transaction per job: what SQLite, and anything not worth batching, uses."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def run(self, work: Work[T]) -> T:
        async with self._db.writing() as session:
            return await work(session)


class GroupCommit(Writes):
    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        super().__init__(db)
        self._max_batch = max_batch
        self._queue: list[_Job[Any]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.batches = 0
        self.jobs = 0

    async def run(self, work: Work[T]) -> T:
        job: _Job[T] = _Job(work)
        self._queue.append(job)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        # The caller going away does not take its job out of a batch already being written.
        return await asyncio.shield(job.result)

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._write(batch)
        except BaseException as exc:  # shutting down: nobody may wait for ever
            for job in self._queue:
                job.settle(None, exc)
            self._queue.clear()
            raise

    async def _write(self, batch: list[_Job[Any]]) -> None:
        outcomes: list[tuple[_Job[Any], Any, BaseException | None]] = []
        try:
            async with self._db.writing() as session:
                for job in batch:
                    outcomes.append(await _in_savepoint(session, job))
        except Exception as exc:  # the batch's own transaction failed: none of it is written
            logger.warning("group commit of %d writes failed: %r", len(batch), exc)
            for job in batch:
                job.settle(None, exc)
            return
        self.batches += 1
        self.jobs += len(batch)
        for job, value, error in outcomes:
            if _the_databases_fault(error):
                await self._alone(job)
            else:
                job.settle(value, error)

    async def _alone(self, job: _Job[Any]) -> None:
        try:
            value = await Writes.run(self, job.work)
        except Exception as exc:
            job.settle(None, exc)
        else:
            job.settle(value, None)


async def _in_savepoint(
    session: AsyncSession, job: _Job[Any]
) -> tuple[_Job[Any], Any, BaseException | None]:
    try:
        async with session.begin_nested():
            return job, await job.work(session), None
    except Exception as exc:  # the job's own refusal: its SAVEPOINT is rolled back
        return job, None, exc


def _the_databases_fault(error: BaseException | None) -> bool:
    return isinstance(error, DBAPIError) and not isinstance(error, IntegrityError)


def writes_for(db: Database) -> Writes:
    """Group commit on PostgreSQL; one transaction per write on SQLite."""
    return Writes(db) if db.url.startswith("sqlite") else GroupCommit(db)
