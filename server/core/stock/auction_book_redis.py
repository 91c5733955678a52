"""Auctions decided in Redis, shared by every server process: one Lua script per bid.

Redis runs a script to the end before any other command, so the bid that reads the auction,
decides on Redis's own clock (`TIME`) and writes it back is atomic across every node: two nodes
taking bids for one auction never make two leaders, lose a bid or skip one. The script follows
server/core/domain/auctions.py's `decide` rule for rule (tests/server/core/stock/
test_auction_book.py compares it with `MemoryAuctionBook` bid for bid).

Keys, under the prefix P the composition root gives (kept a day, auctions last minutes):

    P:auction:<id>           hash  the terms (start, ladder "from:inc,...", snipe_ms, sudden,
                                   reserve, buy: -1 for none) and the state (price, ends, leader:
                                   -1 for none, lmax, bids, ended, closed, seq)
    P:auction:<id>:answers   hash  "<bidder>:<key>" -> the first answer of that idempotency key
    P:auction:<id>:removed   set   bidders a moderator removed

An answer is one string "code|price|ends|leader|lmax|bids|ended|extended|outbid|at|seq|amount|
kind|max" (code "" when accepted): cheap to build in Lua and to read here.

Bids that arrive together on a node go to Redis together: the bids waiting when the event
loop comes round are sent as one pipeline (no MULTI) of one script call each, so a storm costs
one round trip and one pooled connection per batch instead of one per bid. Each bid is still
its own script, decided alone and in the order Redis runs it, as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis

from server.core.domain.auctions import AuctionState, AuctionTerms, Bid, BidKind, Decision
from server.core.domain.error_codes import AuctionCode
from server.core.stock.auction_book import AuctionBook, BidRequest, Decided, not_found

POOL_WAIT_S = 5.0
KEEP_S = 24 * 3600
MAX_BATCH = 512  # bids in one pipeline at most

_PRELUDE = """
local base = ARGV[1] .. ':auction:' .. ARGV[2]
local function load()
  local flat = redis.call('HGETALL', base)
  if #flat == 0 then return nil end
  local s = {}
  for i = 1, #flat, 2 do s[flat[i]] = flat[i + 1] end
  for _, name in ipairs({'start', 'snipe_ms', 'sudden', 'reserve', 'buy', 'price', 'ends',
      'leader', 'lmax', 'bids', 'ended', 'closed', 'seq'}) do
    s[name] = tonumber(s[name])
  end
  return s
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function over(s, now)
  return s.ended == 1 or now >= s.ends
end
local function state_of(s)
  return table.concat({s.price, s.ends, s.leader, s.lmax, s.bids, s.ended}, '|')
end
"""

_OPEN = (
    _PRELUDE
    + """
redis.call('DEL', base, base .. ':answers', base .. ':removed')
redis.call('HSET', base, 'start', ARGV[3], 'ladder', ARGV[4], 'snipe_ms', ARGV[5],
  'sudden', ARGV[6], 'reserve', ARGV[7], 'buy', ARGV[8], 'price', ARGV[9], 'ends', ARGV[10],
  'leader', ARGV[11], 'lmax', ARGV[12], 'bids', ARGV[13], 'ended', ARGV[14], 'closed', 0,
  'seq', 0)
redis.call('EXPIRE', base, ARGV[15])
return 1
"""
)

_BID = (
    _PRELUDE
    + """
local bidder, amount, kind = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local asked = amount
local maxv, key = tonumber(ARGV[6]), ARGV[7]
local s = load()
if s == nil then return 'missing' end
local answers = base .. ':answers'
local first = redis.call('HGET', answers, ARGV[3] .. ':' .. key)
if first then return 'seen:' .. first end
local now = now_ms()

local bands = {}
for from, inc in string.gmatch(s.ladder, '(%d+):(%d+)') do
  bands[#bands + 1] = {tonumber(from), tonumber(inc)}
end
local function increment(price)
  local step = bands[1][2]
  for _, band in ipairs(bands) do
    if band[1] <= price then step = band[2] end
  end
  return step
end

local code, extended, outbid = '', 0, 0
local price, ends, leader, lmax, bids, ended = s.price, s.ends, s.leader, s.lmax, s.bids, s.ended
local buy_open = s.buy >= 0 and math.max(price, lmax) < s.buy
if over(s, now) then
  code = 'auction_ended'
elseif redis.call('SISMEMBER', base .. ':removed', ARGV[3]) == 1 then
  code = 'bidder_removed'
elseif kind == 'buy_now' and not buy_open then
  code = 'buy_now_unavailable'
elseif buy_open and (kind == 'buy_now' or amount >= s.buy) then
  price, leader, lmax, bids, ended, ends = s.buy, bidder, s.buy, bids + 1, 1, now
else
  local minimum = price
  if leader >= 0 then minimum = price + increment(price) end
  local ceiling = math.max(amount, maxv)
  if kind == 'max' and ceiling >= minimum then amount = math.max(amount, minimum) end
  if amount < minimum then
    code = 'bid_too_low'
  elseif bidder == leader and ceiling <= lmax then
    code = 'already_leading'
  else
    if bidder == leader then
      lmax = ceiling
    elseif leader < 0 then
      price, leader, lmax = amount, bidder, ceiling
    elseif ceiling > lmax then
      price = math.max(amount, math.min(ceiling, lmax + increment(lmax)))
      leader, lmax = bidder, ceiling
    else
      price = math.max(amount, math.min(lmax, ceiling + increment(ceiling)))
      outbid = 1
    end
    if s.reserve >= 0 and price < s.reserve and s.reserve <= lmax then price = s.reserve end
    if s.sudden == 0 and ends - now < s.snipe_ms then
      ends, extended = now + s.snipe_ms, 1
    end
    bids = bids + 1
  end
end
local seq = s.seq + 1
if code == '' then
  redis.call('HSET', base, 'price', price, 'ends', ends, 'leader', leader, 'lmax', lmax,
    'bids', bids, 'ended', ended, 'seq', seq)
else
  redis.call('HSET', base, 'seq', seq)
end
local answer = table.concat({code, price, ends, leader, lmax, bids, ended, extended, outbid, now,
  seq, asked, kind, maxv}, '|')
redis.call('HSET', answers, ARGV[3] .. ':' .. key, answer)
redis.call('EXPIRE', answers, ARGV[8])
return answer
"""
)

_STOP = (
    _PRELUDE
    + """
local s = load()
if s == nil then return 'missing' end
local now = now_ms()
if not over(s, now) then
  s.ended, s.ends = 1, now
  redis.call('HSET', base, 'ended', 1, 'ends', now)
end
return state_of(s)
"""
)

_CLOSE = (
    _PRELUDE
    + """
local s = load()
if s == nil or s.closed == 1 or not over(s, now_ms()) then return '' end
redis.call('HSET', base, 'closed', 1)
return state_of(s)
"""
)

_STATE = (
    _PRELUDE
    + """
local s = load()
if s == nil then return '' end
return state_of(s)
"""
)


class RedisAuctionBook(AuctionBook):
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._open = redis.register_script(_OPEN)
        self._bid = redis.register_script(_BID)
        self._stop = redis.register_script(_STOP)
        self._close = redis.register_script(_CLOSE)
        self._state = redis.register_script(_STATE)
        self._waiting: list[tuple[list[str | int], asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(cls, url: str, prefix: str, connections: int = 64) -> RedisAuctionBook:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=connections, timeout=POOL_WAIT_S
        )
        return cls(aioredis.Redis.from_pool(pool), prefix)

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def open(self, auction_id: int, terms: AuctionTerms, state: AuctionState) -> None:
        ladder = ",".join(f"{b.from_minor}:{b.increment_minor}" for b in terms.ladder)
        await self._run(
            self._open,
            auction_id,
            terms.start_minor,
            ladder,
            terms.anti_snipe_s * 1000,
            int(terms.sudden_death),
            _or_none(terms.reserve_minor),
            _or_none(terms.buy_now_minor),
            state.price_minor,
            state.ends_at_ms,
            _or_none(state.leader),
            state.leader_max_minor,
            state.bids,
            int(state.ended),
            KEEP_S,
        )

    async def bid(self, auction_id: int, request: BidRequest) -> Decided:
        args: list[str | int] = [self.prefix, auction_id, request.bidder, request.amount_minor,
                                 request.kind.value, request.max_minor or 0, request.key,
                                 KEEP_S]  # fmt: skip
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, answer))
        if len(self._waiting) == 1:  # the first of a batch: send it when the loop comes round
            asyncio.get_running_loop().call_soon(self._send_waiting)
        reply = _text(await answer)
        if reply == "missing":
            raise not_found()
        replayed = reply.startswith("seen:")
        if replayed:
            reply = reply[len("seen:") :]
        return _decided(request.bidder, reply, replayed)

    def _send_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            task = asyncio.create_task(self._send(batch))
            self._sending.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[list[str | int], asyncio.Future[Any]]]) -> None:
        """One pipeline of the batch's script calls; each bid gets its own reply or error."""
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for args, _ in batch:
                    await self._bid(args=args, client=pipe)
                replies = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # Redis away: every bid of the batch fails as a lone one would
            replies = [exc] * len(batch)
        for (_, answer), reply in zip(batch, replies, strict=True):
            if answer.done():
                continue
            if isinstance(reply, BaseException):
                answer.set_exception(reply)
            else:
                answer.set_result(reply)

    async def stop(self, auction_id: int) -> AuctionState:
        reply = _text(await self._run(self._stop, auction_id))
        if reply == "missing":
            raise not_found()
        return _state(reply.split("|"))

    async def close(self, auction_id: int) -> AuctionState | None:
        reply = _text(await self._run(self._close, auction_id))
        return _state(reply.split("|")) if reply else None

    async def state(self, auction_id: int) -> AuctionState | None:
        reply = _text(await self._run(self._state, auction_id))
        return _state(reply.split("|")) if reply else None

    async def remove_bidder(self, auction_id: int, bidder: int) -> None:
        base = f"{self.prefix}:auction:{auction_id}"
        if not await self.redis.exists(base):
            raise not_found()
        await self.redis.sadd(f"{base}:removed", bidder)
        await self.redis.expire(f"{base}:removed", KEEP_S)

    async def _run(self, script: Any, *args: str | int) -> Any:
        return await script(args=[self.prefix, *args])


def _or_none(value: int | None) -> int:
    return -1 if value is None else value


def _text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _state(fields: list[str]) -> AuctionState:
    price, ends, leader, lmax, bids, ended = (int(float(f)) for f in fields[:6])
    return AuctionState(price, ends, None if leader < 0 else leader, lmax, bids, ended == 1)


def _decided(bidder: int, answer: str, replayed: bool) -> Decided:
    code, *rest = answer.split("|")
    state = _state(rest[:6])
    extended, outbid, at_ms, seq, amount = (int(float(f)) for f in rest[6:11])
    kind, max_minor = BidKind(rest[11]), int(float(rest[12]))
    bid = Bid(bidder, amount, at_ms, kind, max_minor or None)
    decision = Decision(state, AuctionCode(code) if code else None, extended == 1, outbid == 1)
    return Decided(bid, decision, seq, replayed)
