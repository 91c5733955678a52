"""Each account's standing as this node last read it: its token version and whether it is
disabled. A token stands only at its account's current version (server/core/domain/accounts.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from server.core.domain import accounts
from server.core.store.db import Database
from server.core.store.rows import User

MAX_STANDINGS = 100_000  # accounts whose standing a node keeps; past it, the copy starts over
MAX_BATCH = 500  # accounts read in one query


@dataclass(frozen=True)
class Standing:
    version: int
    disabled: bool
    read_at: float


class AccountStanding:
    """Trusted for `recheck_s`: a request costs one read per account per `recheck_s` at most
    (a flash sale's taps cost none after the first), and a ban or role change made on any node
    refuses the account's older tokens on every node within `recheck_s`. In-process on purpose:
    the database is the shared truth, so no Redis copy is needed to bound the delay.

    Accounts asked about in the same moment are read together, in one query: a stampede of
    10,000 buyers' first taps costs a few dozen queries, not 10,000."""

    def __init__(
        self, db: Database, recheck_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._recheck_s = recheck_s
        self._clock = clock
        self._known: dict[int, Standing] = {}
        self._waiting: dict[int, asyncio.Future[Standing]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def check(self, user_id: int, token_version: int) -> None:
        known = self._known.get(user_id)
        # A newer token than our copy was issued after a change we have not read yet.
        if (
            known is None
            or self._clock() - known.read_at >= self._recheck_s
            or token_version > known.version
        ):
            known = await self._read(user_id)
        accounts.check_token_standing(token_version, known.version, known.disabled)

    def forget(self, user_id: int) -> None:
        """This node changed the account: read it again next time."""
        self._known.pop(user_id, None)

    async def _read(self, user_id: int) -> Standing:
        future = self._waiting.get(user_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[user_id] = future
            if self._reader is None:
                self._reader = asyncio.create_task(self._read_waiting(), name="account-standing")
        # Shielded: a request that goes away does not take the others' answer with it.
        return await asyncio.shield(future)

    async def _read_waiting(self) -> None:
        """Read every account waited for, a batch at a time, until none is left."""
        try:
            await asyncio.sleep(0)  # let the requests of this moment join the first batch
            while self._waiting:
                ids = list(self._waiting)[:MAX_BATCH]
                try:
                    found = await self._query(ids)
                except Exception as exc:
                    for user_id in ids:
                        _settle(self._waiting.pop(user_id), exc)
                    continue
                if len(self._known) + len(found) > MAX_STANDINGS:
                    self._known.clear()
                for user_id in ids:
                    self._known[user_id] = found[user_id]
                    _settle(self._waiting.pop(user_id), found[user_id])
        except asyncio.CancelledError:  # the node stops: nobody waits for an answer
            for future in self._waiting.values():
                future.cancel()
            self._waiting.clear()
            raise
        finally:
            self._reader = None

    async def _query(self, ids: list[int]) -> dict[int, Standing]:
        query = select(User.id, User.token_version, User.disabled).where(User.id.in_(ids))
        async with self._db.reading() as session:
            rows = (await session.execute(query)).all()
        now = self._clock()
        # No such account (any more): no token of it stands.
        found = {user_id: Standing(-1, False, now) for user_id in ids}
        found.update({row.id: Standing(row.token_version, row.disabled, now) for row in rows})
        return found


def _settle(future: asyncio.Future[Standing], outcome: Standing | Exception) -> None:
    if future.done():
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
        future.exception()  # retrieved here: whoever waits still gets it raised
    else:
        future.set_result(outcome)
