"""The Redis stock gate: decides in one round trip who may go on to the database.

With several server processes, a flash deal brings thousands of buyers for a few hundred units
within a second. Each purchase first holds its units in Redis (one Lua script per hold,
server/core/stock/redis_lua.py): the buyers who get no units are answered at once and never touch
the database. Those who do go on to the order's transaction, where the database decides again
with its own row locks (core/services/orders.py). The database is the record: the gate may let
too many through (after Redis lost its data, or failed open), never sell what the database has
not got.

Keys are per variant ("v<id>") and per flash deal ("d<id>", the units left at the deal price).
A key is seeded from the database the first time a process uses it and again every
RESEED_S: seeding only writes a key that does not exist, so it repairs a flushed Redis and
changes nothing otherwise. A reservation id is derived from the buyer's idempotency key, so a
retried request finds its first hold instead of taking a second one.

Every Redis error lets the request through to the database (logged once per
LOG_EVERY_S): losing Redis slows a sale down, it does not stop it.

Once a key has sold out, its next buyers are refused from memory, without a round trip
(`listen=True`, as the composition root sets it): the gate subscribes to the scripts'
announcements and keeps a SoldOutBoard (server/core/stock/sold_out_board.py). The first refusal
Redis gives for an empty key makes the gate read the key's state and holders once; from then on
only the key's holders (retries of the winners) go on to Redis, until the key comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError

from server.core.domain.error_codes import DealCode
from server.core.domain.errors import Conflict, DomainError, SoldOut
from server.core.stock.redis_lua import RedisStockReservations
from server.core.stock.sold_out_board import SoldOutBoard

logger = logging.getLogger(__name__)

RESEED_S = 5.0
LOG_EVERY_S = 10.0
RESUBSCRIBE_S = 1.0  # pause before subscribing again after the announcements' connection broke

Seeder = Callable[[str], Awaitable[int]]  # a gate key's units on the shelf, from the database


@dataclass(frozen=True)
class Hold:
    reservation_id: str
    key: str  # "v<variant id>" or "d<deal id>"
    quantity: int


def variant_key(variant_id: int) -> str:
    return f"v{variant_id}"


def deal_key(deal_id: int) -> str:
    return f"d{deal_id}"


def hold_id(buyer_id: int, idempotency_key: str, key: str) -> str:
    return f"{buyer_id}:{idempotency_key}:{key}"


class StockGate:
    def __init__(
        self,
        reservations: RedisStockReservations,
        seeder: Seeder,
        clock: Callable[[], float] = time.monotonic,
        *,
        listen: bool = False,
    ) -> None:
        self.reservations = reservations
        self._seeder = seeder
        self._clock = clock
        self._seeded: dict[str, float] = {}
        self._seeding: dict[str, asyncio.Future[None]] = {}
        self._logged_at = float("-inf")
        self.admitted = 0
        self.refused = 0
        self.failed_open = 0
        self.board = SoldOutBoard(clock)
        self._failed_open_at = float("-inf")
        self._listen = listen
        self._listener: asyncio.Task[None] | None = None
        self._listening = 0  # the subscription's generation while it is up, else 0
        self._generations = 0
        self._syncing: dict[str, asyncio.Future[None]] = {}

    async def admit(self, holds: Sequence[Hold], now: datetime) -> list[Hold]:
        """Hold every unit asked for, or none: raises SoldOut (after giving back what it held)
        when one key has too few. Returns the holds taken; [] if Redis failed (fail open)."""
        self._start_listening()
        known = self.board_refusal(holds)
        if known is not None:
            raise known
        taken: list[Hold] = []
        try:
            for hold in holds:
                await self._ensure_seeded(hold.key)
                try:
                    await self.reservations.reserve(
                        hold.reservation_id, hold.key, hold.quantity, now
                    )
                except SoldOut as refusal:
                    self._sync_soon(hold.key)
                    raise _sold_out(hold.key, refusal) from None
                taken.append(hold)
        except DomainError:
            self.refused += 1
            await self.release(taken)
            raise
        except (RedisError, OSError) as exc:
            self._failed(exc)
            await self.release(taken)
            return []
        self.admitted += 1
        return taken

    def board_refusal(self, holds: Sequence[Hold]) -> DomainError | None:
        """The refusal Redis would give these holds, known from memory: a key the board knows
        sold out while the announcements are heard, of which no hold is a holder. None: ask Redis
        (counted as refused when not None)."""
        if not self._listening:
            return None
        for hold in holds:
            if self.board.refuses(hold.key, hold.reservation_id):
                self.refused += 1
                return _sold_out(hold.key, SoldOut(sold_out_message(0)))
        return None

    async def release(self, holds: Sequence[Hold]) -> None:
        """Unpaid, cancelled, or the order's transaction refused: the units go back."""
        for hold in holds:
            await self._settle(self.reservations.release, hold)

    async def confirm(self, holds: Sequence[Hold], now: datetime) -> None:
        for hold in holds:
            await self._settle(lambda rid: self.reservations.confirm(rid, now), hold)

    async def refund(self, holds: Sequence[Hold]) -> None:
        for hold in holds:
            await self._settle(self.reservations.refund, hold)

    async def adjust(self, key: str, delta: int) -> None:
        """A seller changed the shelf stock: move Redis's count by the same amount."""
        try:
            await self.reservations.adjust(key, delta)  # a key Redis lacks is left to seeding
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def variant_changed(self, variant_id: int, delta: int) -> None:
        await self.adjust(variant_key(variant_id), delta)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        for pending in list(self._syncing.values()):
            pending.cancel()
        await self.reservations.close()

    # -- what every process hears of keys selling out and coming back -------------------------

    def _start_listening(self) -> None:
        if self._listen and self._listener is None:
            self._listener = asyncio.create_task(self._hear_announcements())

    async def _hear_announcements(self) -> None:
        while True:
            pubsub = self.reservations.redis.pubsub()
            try:
                await pubsub.subscribe(self.reservations.channel)
                async for message in pubsub.listen():
                    self._heard(message)
            except (RedisError, OSError) as exc:
                self._failed(exc)
            finally:
                self._listening = 0
                self.board.reset()
                with contextlib.suppress(RedisError, OSError):
                    await asyncio.shield(pubsub.aclose())
            await asyncio.sleep(RESUBSCRIBE_S)

    def _heard(self, message: dict) -> None:
        if message["type"] == "subscribe":
            self._generations += 1
            self._listening = self._generations  # from here on, no change goes unheard
            return
        if message["type"] != "message":
            return
        try:
            key, state, epoch = _text(message["data"]).split(" ")
            self.board.heard(key, state == "out", int(epoch))
        except ValueError:
            logger.warning("stock gate: an announcement it cannot read: %r", message["data"])

    def _sync_soon(self, key: str) -> None:
        """Redis refused an empty key: read its state and holders once, in the background."""
        if self._listening and key not in self._syncing and self.board.needs_sync(key):
            pending = asyncio.ensure_future(self._sync(key, self._listening))
            self._syncing[key] = pending
            pending.add_done_callback(lambda done: self._synced(key, done))

    async def _sync(self, key: str, generation: int) -> None:
        out, epoch, holders = await self.reservations.state(key)
        if self._listening == generation:  # a read from before a lost subscription is stale
            self.board.synced(key, out, epoch, holders)

    def _synced(self, key: str, done: asyncio.Future[None]) -> None:
        self._syncing.pop(key, None)
        failure = None if done.cancelled() else done.exception()
        if failure is not None:
            self._failed(failure)

    async def _ensure_seeded(self, key: str) -> None:
        """Seed a key before its first use; re-seed it every RESEED_S in the background. One
        seed per key runs at a time, however many buyers arrive together."""
        seen = self._seeded.get(key)
        if seen is not None and self._clock() - seen < RESEED_S:
            return
        pending = self._seeding.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._seed(key))
            self._seeding[key] = pending
            pending.add_done_callback(lambda done: self._seeded_done(key, done))
        if seen is None:
            await asyncio.shield(pending)

    async def _seed(self, key: str) -> None:
        await self.reservations.seed(key, max(0, await self._seeder(key)))
        self._seeded[key] = self._clock()

    def _seeded_done(self, key: str, done: asyncio.Future[None]) -> None:
        self._seeding.pop(key, None)
        failure = None if done.cancelled() else done.exception()
        if failure is not None and key in self._seeded:  # a background re-seed: nobody awaits it
            self._failed(failure)

    async def _settle(self, step: Callable[[str], Awaitable[object]], hold: Hold) -> None:
        # The database already decided; the gate only follows. A hold Redis no longer knows
        # (flushed, lapsed) or has already settled needs nothing more.
        try:
            await step(hold.reservation_id)
        except DomainError:
            pass
        except (RedisError, OSError) as exc:
            self._failed(exc)

    def failed_open_within(self, seconds: float) -> bool:
        """Whether Redis failed here lately: buyers let through then hold no reservation, so a
        refusal of their retry is no proof that they have no order."""
        return self._clock() - self._failed_open_at < seconds

    def _failed(self, exc: BaseException) -> None:
        self.failed_open += 1
        self._failed_open_at = self._clock()
        if self._clock() - self._logged_at >= LOG_EVERY_S:
            self._logged_at = self._clock()
            logger.warning("stock gate: Redis failed (%s); the database decides alone", exc)


def _sold_out(key: str, refusal: SoldOut) -> DomainError:
    """A deal's pool running dry is the deal selling out, not the product."""
    if key.startswith("d"):
        return Conflict("deal sold out", code=DealCode.DEAL_SOLD_OUT)
    return refusal


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sold_out_message(available: int) -> str:
    return "sold out" if available <= 0 else f"only {available} left: lower the quantity"
