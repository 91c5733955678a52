"""The place where an auction's bids are decided, one at a time, on one clock.

`AuctionBook` is the interface; `MemoryAuctionBook` decides in this process (the embedded
default: `decide` runs without an await in the middle, so bids are decided one after another
on this process's clock) and `RedisAuctionBook` (auction_book_redis.py) in one Lua script per
bid on Redis's clock, shared by every server process. Both follow
server/core/domain/auctions.py's `decide`; tests/server/core/stock/test_auction_book.py runs the
same bids through both and compares.

Besides the rules, the book keeps what the domain does not: a sequence number per bid decided
(accepted or refused: the order of the log), each bidder's idempotency keys (a retry gets the
first answer, marked `replayed`, and is not decided or logged again), and the bidders a
moderator removed (refused with `bidder_removed`).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from server.core.domain.auctions import (
    AuctionState,
    AuctionTerms,
    Bid,
    BidKind,
    Decision,
    decide,
    stop,
)
from server.core.domain.error_codes import AuctionCode
from server.core.domain.errors import NotFound


@dataclass(frozen=True)
class BidRequest:
    bidder: int
    amount_minor: int
    key: str
    kind: BidKind = BidKind.BID
    max_minor: int | None = None


@dataclass(frozen=True)
class Decided:
    """A bid as the book decided it: at the book's time, with its place in the log."""

    bid: Bid
    decision: Decision
    seq: int
    replayed: bool = False  # a retry of an idempotency key: the first answer, not decided again


def not_found() -> NotFound:
    return NotFound("no such auction running", code=AuctionCode.AUCTION_NOT_FOUND)


class AuctionBook(ABC):
    @abstractmethod
    async def open(self, auction_id: int, terms: AuctionTerms, state: AuctionState) -> None:
        """Start deciding bids of an auction from `state` (a new one's opening, or the state a
        replay of its log rebuilt)."""

    @abstractmethod
    async def bid(self, auction_id: int, request: BidRequest) -> Decided: ...

    @abstractmethod
    async def stop(self, auction_id: int) -> AuctionState:
        """End it now (the host stopped it)."""

    @abstractmethod
    async def close(self, auction_id: int) -> AuctionState | None:
        """The final state if the auction is over and this call is the first to close it (so
        exactly one caller, on any node, settles it); None otherwise."""

    @abstractmethod
    async def state(self, auction_id: int) -> AuctionState | None: ...

    @abstractmethod
    async def remove_bidder(self, auction_id: int, bidder: int) -> None: ...

    @abstractmethod
    async def aclose(self) -> None:
        """Let go of its connections."""


@dataclass
class _Entry:
    terms: AuctionTerms
    state: AuctionState
    seq: int = 0
    closed: bool = False
    answers: dict[tuple[int, str], Decided] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)


class MemoryAuctionBook(AuctionBook):
    def __init__(self, clock_ms: Callable[[], int] | None = None) -> None:
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._entries: dict[int, _Entry] = {}

    async def open(self, auction_id: int, terms: AuctionTerms, state: AuctionState) -> None:
        self._entries[auction_id] = _Entry(terms, state)

    async def bid(self, auction_id: int, request: BidRequest) -> Decided:
        entry = self._entry(auction_id)
        first = entry.answers.get((request.bidder, request.key))
        if first is not None:
            return replace(first, replayed=True)
        bid = Bid(
            request.bidder,
            request.amount_minor,
            self._clock_ms(),
            request.kind,
            request.max_minor,
        )
        if request.bidder in entry.removed and not entry.state.over(bid.at_ms):
            decision = Decision(entry.state, AuctionCode.BIDDER_REMOVED)
        else:
            decision = decide(entry.terms, entry.state, bid)
        entry.seq += 1
        entry.state = decision.state
        decided = Decided(bid, decision, entry.seq)
        entry.answers[(request.bidder, request.key)] = decided
        return decided

    async def stop(self, auction_id: int) -> AuctionState:
        entry = self._entry(auction_id)
        entry.state = stop(entry.state, self._clock_ms())
        return entry.state

    async def close(self, auction_id: int) -> AuctionState | None:
        entry = self._entries.get(auction_id)
        if entry is None or entry.closed or not entry.state.over(self._clock_ms()):
            return None
        entry.closed = True
        return entry.state

    async def state(self, auction_id: int) -> AuctionState | None:
        entry = self._entries.get(auction_id)
        return entry.state if entry is not None else None

    async def remove_bidder(self, auction_id: int, bidder: int) -> None:
        self._entry(auction_id).removed.add(bidder)

    async def aclose(self) -> None:
        return None

    def _entry(self, auction_id: int) -> _Entry:
        entry = self._entries.get(auction_id)
        if entry is None:
            raise not_found()
        return entry
