"""Both auction books decide as the domain rules do: every answer equals `decide` on the state
before it at the book's own time, and concurrent bids are decided one at a time."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

import pytest

from server.core.domain.auctions import (
    AuctionState,
    AuctionTerms,
    Band,
    BidKind,
    Decision,
    decide,
    opening,
)
from server.core.domain.error_codes import AuctionCode
from server.core.domain.errors import NotFound
from server.core.stock.auction_book import AuctionBook, BidRequest, Decided, MemoryAuctionBook
from server.core.stock.auction_book_redis import RedisAuctionBook
from tests.conftest import REDIS_URL
from tests.server.core.stock.conftest import forget, new_prefix, require_redis

TERMS = AuctionTerms(
    start_minor=100,
    ladder=(Band(0, 10), Band(500, 50)),
    duration_s=60,
    anti_snipe_s=10,
    reserve_minor=300,
    buy_now_minor=5000,
)


@pytest.fixture(params=["memory", "redis"])
async def book(request: pytest.FixtureRequest) -> AsyncIterator[AuctionBook]:
    if request.param == "memory":
        yield MemoryAuctionBook()
        return
    require_redis()
    prefix = new_prefix()
    redis_book = RedisAuctionBook.from_url(REDIS_URL, prefix)
    try:
        yield redis_book
    finally:
        await forget(redis_book.redis, prefix)
        await redis_book.aclose()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def requests(count: int, seed: int) -> list[BidRequest]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        kind = rng.choice([BidKind.BID, BidKind.BID, BidKind.MAX])
        amount = rng.randint(50, 1500)
        top = amount + rng.randint(0, 800) if kind == BidKind.MAX else None
        made.append(BidRequest(rng.randint(1, 8), amount, f"k{n}", kind, top))
    return made


def check_log(start: AuctionState, decided: list[Decided]) -> AuctionState:
    """Replay the answers in their order: each equals the rules' own decision."""
    state = start
    seqs = [d.seq for d in sorted(decided, key=lambda d: d.seq)]
    assert seqs == list(range(1, len(decided) + 1))  # none lost, none twice
    for d in sorted(decided, key=lambda d: d.seq):
        expected: Decision = decide(TERMS, state, d.bid)
        assert d.decision == expected, d
        state = expected.state
    return state


async def test_each_answer_is_the_rules_answer(book: AuctionBook) -> None:
    start = opening(TERMS, now_ms())
    await book.open(7, TERMS, start)
    decided = [await book.bid(7, r) for r in requests(150, seed=1)]
    assert any(d.decision.accepted for d in decided)
    assert any(d.decision.code == AuctionCode.BID_TOO_LOW for d in decided)
    final = check_log(start, decided)
    assert await book.state(7) == final


async def test_concurrent_bids_are_decided_one_at_a_time(book: AuctionBook) -> None:
    start = opening(TERMS, now_ms())
    await book.open(8, TERMS, start)
    decided = await asyncio.gather(*(book.bid(8, r) for r in requests(300, seed=2)))
    final = check_log(start, list(decided))
    accepted = [d for d in sorted(decided, key=lambda d: d.seq) if d.decision.accepted]
    prices = [d.decision.state.price_minor for d in accepted if d.decision.state.leader]
    assert prices == sorted(prices)
    assert final.leader is not None


async def test_retries_get_the_first_answer(book: AuctionBook) -> None:
    await book.open(9, TERMS, opening(TERMS, now_ms()))
    first = await book.bid(9, BidRequest(1, 100, "same"))
    again = await book.bid(9, BidRequest(1, 900, "same"))
    assert again.replayed and again.seq == first.seq and again.decision == first.decision
    assert (await book.state(9)).price_minor == 100


async def test_removed_bidders_stop_and_ends_close_once(book: AuctionBook) -> None:
    await book.open(10, TERMS, opening(TERMS, now_ms()))
    await book.remove_bidder(10, 3)
    assert (await book.bid(10, BidRequest(3, 100, "a"))).decision.code == AuctionCode.BIDDER_REMOVED
    assert (await book.bid(10, BidRequest(2, 100, "b"))).decision.accepted
    assert await book.close(10) is None  # still running
    stopped = await book.stop(10)
    assert stopped.ended and stopped.leader == 2
    late = await book.bid(10, BidRequest(4, 500, "c"))
    assert late.decision.code == AuctionCode.AUCTION_ENDED
    closings = await asyncio.gather(*(book.close(10) for _ in range(5)))
    assert [c for c in closings if c is not None] == [stopped]
    with pytest.raises(NotFound):
        await book.bid(99, BidRequest(1, 100, "x"))


async def test_a_storm_of_bids_on_two_auctions_and_a_missing_one_at_once(book: AuctionBook) -> None:
    """More bids at once than one Redis pipeline takes: each auction's log is still the rules'
    answer bid for bid, and a bid on an auction that is not there fails alone."""
    starts = {11: opening(TERMS, now_ms()), 12: opening(TERMS, now_ms())}
    for auction_id, start in starts.items():
        await book.open(auction_id, TERMS, start)
    storm = [(11 + n % 2, r) for n, r in enumerate(requests(1300, seed=3))]
    storm.insert(700, (98, BidRequest(1, 100, "nowhere")))
    answers = await asyncio.gather(*(book.bid(a, r) for a, r in storm), return_exceptions=True)
    missing = [a for a in answers if isinstance(a, BaseException)]
    assert len(missing) == 1 and isinstance(missing[0], NotFound)
    for auction_id, start in starts.items():
        mine = [d for (a, _), d in zip(storm, answers, strict=True) if a == auction_id]
        assert len(mine) == 650
        check_log(start, [d for d in mine if isinstance(d, Decided)])
