"""Stock reservations in Redis, shared by every server process: each transition one Lua script.

Redis runs a script to the end before any other command, so a script that reads the counters,
decides and writes is atomic across all processes and connections, and costs one round trip
(EVALSHA through redis-py's `register_script`). The scripts follow `StockBook` rule for rule;
tests/server/core/stock/test_redis_lua.py drives both side by side and compares every result.

Keys, under the prefix P given by the composition root:

    P:stock:<sku>        hash   available, reserved, sold           (no TTL: it is the stock)
    P:holds:<sku>        zset   ids of held reservations, scored by expiry
    P:holds              zset   the same for every SKU, for a sweep across SKUs
    P:reservation:<id>   hash   sku, qty, expires_at, state
    P:holders:<sku>      set    every reservation id that took units of the SKU (kept `keep`)

The stock hash also carries `out` ('1' while available is 0) and `epoch`, bumped each time the
SKU runs out or comes back; each such change is published on P:stock-state as
`<sku> out|back <epoch>`, so every process can refuse a sold-out SKU's buyers from memory
(server/core/stock/sold_out_board.py) and hears at once when units come back.

Expiry is in microseconds since the epoch, exact in a zset's double score. A hold past its expiry
is released by whoever comes first: `reserve` releases the lapsed holds of its SKU before it
decides (as `StockBook.reserve` does), `confirm` refuses and releases a lapsed hold, and `expire`
sweeps them. Equal scores sort by id, so a sweep releases in (expires_at, id) order like the model.

A held reservation has no TTL (its units would otherwise stay reserved for ever); once settled
(sold, released, refunded) it is kept `keep` (7 days by default) for retries and refunds, then
the database is the record.

The scripts build the keys of a reservation's SKU and of lapsed holds from the prefix, since they
are only known inside the script. That is fine on one Redis; on a Redis Cluster the prefix must be
a hash tag (e.g. "{shopcast}") so that every key is in one slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.core.domain.error_codes import GeneralCode, StockCode
from server.core.domain.errors import Conflict, DomainError, NotFound, SoldOut, ValidationError
from server.core.domain.reservations import (
    DEFAULT_HOLD,
    Reservation,
    ReservationState,
    StockLevel,
    check_quantity,
    check_reservation_id,
)
from server.core.stock.reservations import StockReservations

POOL_WAIT_S = 5.0  # longest wait for a free connection before a request fails
KEEP = timedelta(days=7)  # how long a settled reservation answers retries and refunds
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# Shared by every script. ARGV[1] is the key prefix, ARGV[2] the seconds a settled reservation
# is kept; each script's own arguments follow. A reservation travels back to Python as the flat
# reply {'ok', id, sku, qty, expires_at, state}; a refusal as {reason, detail}.
_PRELUDE = """
local prefix = ARGV[1]
local keep = ARGV[2]
local all_holds = prefix .. ':holds'
local function stock_key(sku) return prefix .. ':stock:' .. sku end
local function holds_key(sku) return prefix .. ':holds:' .. sku end
local function record_key(id) return prefix .. ':reservation:' .. id end
local function holders_key(sku) return prefix .. ':holders:' .. sku end

-- After any change of a SKU's available count: if it ran out or came back, say so to every
-- process. A SKU Redis does not count (never seeded, or flushed) is left alone.
local function announce(sku)
  local key = stock_key(sku)
  if redis.call('EXISTS', key) == 0 then return end
  local v = redis.call('HMGET', key, 'available', 'out')
  local out = (tonumber(v[1]) or 0) <= 0
  if out == (v[2] == '1') then return end
  local epoch = redis.call('HINCRBY', key, 'epoch', 1)
  redis.call('HSET', key, 'out', out and '1' or '0')
  redis.call('PUBLISH', prefix .. ':stock-state', sku .. (out and ' out ' or ' back ') .. epoch)
end

local function level(sku)
  local v = redis.call('HMGET', stock_key(sku), 'available', 'reserved', 'sold')
  return {tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0}
end

local function load(id)
  local v = redis.call('HMGET', record_key(id), 'sku', 'qty', 'expires_at', 'state')
  if not v[1] then return nil end
  return {id = id, sku = v[1], qty = tonumber(v[2]), expires_at = v[3], state = v[4]}
end

local function reply(r) return {'ok', r.id, r.sku, r.qty, r.expires_at, r.state} end

-- Move a reservation's units between two counters and give it its new state. Only `reserve`
-- creates a hold, so every move leaves 'held' (or 'sold'): the hold indexes drop the id, and the
-- record starts its countdown.
local function move(r, from, to, state)
  redis.call('HINCRBY', stock_key(r.sku), from, -r.qty)
  redis.call('HINCRBY', stock_key(r.sku), to, r.qty)
  redis.call('HSET', record_key(r.id), 'state', state)
  redis.call('ZREM', holds_key(r.sku), r.id)
  redis.call('ZREM', all_holds, r.id)
  redis.call('EXPIRE', record_key(r.id), keep)
  r.state = state
  return r
end

-- Release the holds indexed in `zset` whose expiry is at or before `now`, in expiry order.
local function release_lapsed(zset, now)
  local released = {}
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', now)) do
    local r = load(id)
    if r and r.state == 'held' then
      released[#released + 1] = reply(move(r, 'reserved', 'available', 'released'))
      announce(r.sku)
    else
      -- Not held any more (cannot happen through these scripts): only drop the stale index.
      redis.call('ZREM', zset, id)
    end
  end
  return released
end
"""

# ARGV[3..4]: sku, quantity. Returns the level.
_RESTOCK = """
redis.call('HINCRBY', stock_key(ARGV[3]), 'available', ARGV[4])
announce(ARGV[3])
return level(ARGV[3])
"""

# ARGV[3..4]: sku, quantity on the shelf. Creates the SKU's counters only if it has none: every
# process may seed from the database at once, and the first one wins. Returns 1 if it created.
_SEED = """
if redis.call('EXISTS', stock_key(ARGV[3])) == 1 then return 0 end
redis.call('HSET', stock_key(ARGV[3]), 'available', ARGV[4], 'reserved', 0, 'sold', 0)
announce(ARGV[3])
return 1
"""

# ARGV[3..4]: sku, a change of the shelf stock (negative: units taken off), never below 0. A SKU
# Redis does not count yet is left alone: it is seeded with the new stock when first used.
_ADJUST = """
if redis.call('EXISTS', stock_key(ARGV[3])) == 0 then return {0, 0, 0} end
local available = level(ARGV[3])[1] + tonumber(ARGV[4])
if available < 0 then available = 0 end
redis.call('HSET', stock_key(ARGV[3]), 'available', available)
announce(ARGV[3])
return level(ARGV[3])
"""

# ARGV[3..7]: id, sku, quantity, now, expires_at (microseconds).
_RESERVE = """
local id, sku, qty, now, expires_at = ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local earlier = load(id)
if earlier then
  -- A retry returns the first reservation as it stands now, without touching anything.
  if earlier.sku ~= sku or earlier.qty ~= qty then return {'reused', ''} end
  return reply(earlier)
end
release_lapsed(holds_key(sku), now)  -- lapsed holds count as stock again before we decide
local available = level(sku)[1]
if available < qty then
  announce(sku)  -- a SKU seeded at 0 runs out here
  return {'sold_out', available}
end
redis.call('HINCRBY', stock_key(sku), 'available', -qty)
redis.call('HINCRBY', stock_key(sku), 'reserved', qty)
redis.call('HSET', record_key(id), 'sku', sku, 'qty', qty, 'expires_at', expires_at,
           'state', 'held')
redis.call('ZADD', holds_key(sku), expires_at, id)
redis.call('ZADD', all_holds, expires_at, id)
redis.call('SADD', holders_key(sku), id)
redis.call('EXPIRE', holders_key(sku), keep)
announce(sku)
return reply({id = id, sku = sku, qty = qty, expires_at = expires_at, state = 'held'})
"""

# ARGV[3..5]: id, the target state (sold, released or refunded), now ('' unless confirming).
# Mirrors StockBook._advance and its table of moves.
_SETTLE = """
local moves = {
  sold = {'held', 'reserved', 'sold'},
  released = {'held', 'reserved', 'available'},
  refunded = {'sold', 'sold', 'available'},
}
local id, target, now = ARGV[3], ARGV[4], ARGV[5]
local r = load(id)
if not r then return {'unknown', ''} end
if target == 'sold' and r.state == 'held' and tonumber(now) >= tonumber(r.expires_at) then
  move(r, 'reserved', 'available', 'released')  -- paid too late: the hold goes back on sale
  announce(r.sku)
  return {'expired', ''}
end
if r.state == target then return reply(r) end  -- a retry, or a webhook delivered twice
local from, leaving, joining = unpack(moves[target])
if r.state ~= from then return {'refused', r.state} end
move(r, leaving, joining, target)
announce(r.sku)
return reply(r)
"""

# ARGV[3]: sku. Returns whether it is out, its epoch, and (when out) its holders, in one read.
_STATE = """
local v = redis.call('HMGET', stock_key(ARGV[3]), 'out', 'epoch')
if v[1] ~= '1' then return {0, tonumber(v[2]) or 0} end
return {1, tonumber(v[2]) or 0, redis.call('SMEMBERS', holders_key(ARGV[3]))}
"""

# ARGV[3..5]: now, 'all' or 'one', the SKU if one. Returns the released reservations.
_EXPIRE = """
local now, scope, sku = ARGV[3], ARGV[4], ARGV[5]
return release_lapsed(scope == 'all' and all_holds or holds_key(sku), now)
"""


class RedisStockReservations(StockReservations):
    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        hold: timedelta = DEFAULT_HOLD,
        keep: timedelta = KEEP,
    ) -> None:
        if hold <= timedelta(0):
            raise ValidationError("the hold must be positive", code=StockCode.BAD_HOLD)
        self.hold = hold
        self.redis = redis
        self.prefix = prefix
        # Never drop a settled record before a hold could have run out.
        self._keep = str(int(max(keep, hold).total_seconds()) + 1)
        self._restock = redis.register_script(_PRELUDE + _RESTOCK)
        self._reserve = redis.register_script(_PRELUDE + _RESERVE)
        self._settle = redis.register_script(_PRELUDE + _SETTLE)
        self._expire = redis.register_script(_PRELUDE + _EXPIRE)
        self._seed = redis.register_script(_PRELUDE + _SEED)
        self._adjust = redis.register_script(_PRELUDE + _ADJUST)
        self._state = redis.register_script(_PRELUDE + _STATE)
        self.channel = f"{prefix}:stock-state"

    @classmethod
    def from_url(
        cls, url: str, prefix: str, hold: timedelta = DEFAULT_HOLD, connections: int = 64
    ) -> RedisStockReservations:
        """A client of its own whose requests queue for a free connection: a flash sale's
        stampede would otherwise fail with MaxConnectionsError past the default pool of 100."""
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=connections, timeout=POOL_WAIT_S
        )
        return cls(aioredis.Redis.from_pool(pool), prefix, hold)

    async def close(self) -> None:
        await self.redis.aclose()

    async def restock(self, sku: str, quantity: int) -> StockLevel:
        check_quantity(quantity, allow_zero=True)
        return _level(await self._run(self._restock, sku, quantity))

    async def seed(self, sku: str, available: int) -> bool:
        """Start counting `sku` at `available` unless Redis already counts it."""
        check_quantity(available, allow_zero=True)
        return bool(await self._run(self._seed, sku, available))

    async def adjust(self, sku: str, delta: int) -> StockLevel:
        """Apply a seller's change of the shelf stock (not below zero)."""
        return _level(await self._run(self._adjust, sku, delta))

    async def reserve(
        self, reservation_id: str, sku: str, quantity: int, now: datetime
    ) -> Reservation:
        check_reservation_id(reservation_id)
        check_quantity(quantity)
        expires_at = _micros(now + self.hold)
        reply = await self._run(
            self._reserve, reservation_id, sku, quantity, _micros(now), expires_at
        )
        return _reservation(reply, ReservationState.HELD)

    async def confirm(self, reservation_id: str, now: datetime) -> Reservation:
        return await self._advance(reservation_id, ReservationState.SOLD, _micros(now))

    async def release(self, reservation_id: str) -> Reservation:
        return await self._advance(reservation_id, ReservationState.RELEASED)

    async def refund(self, reservation_id: str) -> Reservation:
        return await self._advance(reservation_id, ReservationState.REFUNDED)

    async def expire(self, now: datetime, sku: str | None = None) -> list[Reservation]:
        scope = ("all", "") if sku is None else ("one", sku)
        replies = await self._run(self._expire, _micros(now), *scope)
        return [_reservation(reply, ReservationState.RELEASED) for reply in replies]

    async def level(self, sku: str) -> StockLevel:
        key = f"{self.prefix}:stock:{sku}"
        return _level(await self.redis.hmget(key, ["available", "reserved", "sold"]))

    async def state(self, sku: str) -> tuple[bool, int, list[str]]:
        """Whether `sku` is out of stock, its epoch, and when out the ids that hold its units."""
        out, epoch, *rest = await self._run(self._state, sku)
        holders = rest[0] if rest else []
        return bool(out), int(epoch), [_text(h) for h in holders]

    async def get(self, reservation_id: str) -> Reservation:
        key = f"{self.prefix}:reservation:{reservation_id}"
        found = await self.redis.hmget(key, ["sku", "qty", "expires_at", "state"])
        if found[0] is None:
            raise _refusal("unknown", "", ReservationState.HELD)
        return _reservation(["ok", reservation_id, *found], ReservationState.HELD)

    async def _advance(
        self, reservation_id: str, target: ReservationState, now: int | None = None
    ) -> Reservation:
        moment = "" if now is None else now  # only confirm looks at the time
        reply = await self._run(self._settle, reservation_id, target.value, moment)
        return _reservation(reply, target)

    async def _run(self, script: AsyncScript, *args: str | int) -> Any:
        return await script(args=[self.prefix, self._keep, *args])


def _micros(moment: datetime) -> int:
    """Exact microseconds since the epoch (a naive datetime raises TypeError)."""
    return (moment - EPOCH) // MICROSECOND


def _text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _level(values: list[Any]) -> StockLevel:
    available, reserved, sold = (int(v or 0) for v in values)
    return StockLevel(available, reserved, sold)


def _reservation(reply: list[Any], target: ReservationState) -> Reservation:
    """A script's reply as a Reservation, or its refusal raised as the model's domain error."""
    status, *fields = (_text(v) for v in reply)
    if status != "ok":
        raise _refusal(status, fields[0], target)
    reservation_id, sku, quantity, expires_at, state = fields
    return Reservation(
        reservation_id,
        sku,
        int(quantity),
        EPOCH + int(expires_at) * MICROSECOND,
        ReservationState(state),
    )


def _refusal(reason: str, detail: str, target: ReservationState) -> DomainError:
    """The error StockBook raises for the same refusal: same class, code and message."""
    if reason == "unknown":
        return NotFound("no such reservation", code=StockCode.RESERVATION_UNKNOWN)
    if reason == "reused":
        return Conflict(
            "this reservation id was used for other goods", code=GeneralCode.IDEMPOTENCY_REUSED
        )
    if reason == "sold_out":
        return SoldOut("sold out" if detail == "0" else f"only {detail} left")
    if reason == "expired":
        return Conflict(
            "the reservation expired before payment", code=StockCode.RESERVATION_EXPIRED
        )
    state = ReservationState(detail)
    if target == ReservationState.SOLD:
        return Conflict(f"the reservation is {state}", code=StockCode.RESERVATION_CLOSED)
    if target == ReservationState.RELEASED:
        return Conflict(
            f"the reservation is {state}: refund it instead", code=StockCode.RESERVATION_CLOSED
        )
    return Conflict(
        f"the reservation is {state}: only a sale is refunded", code=StockCode.RESERVATION_NOT_SOLD
    )
