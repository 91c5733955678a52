"""Auction rules: which bid counts, what it does to the price, the lead and the end.

Plain Python, no clock of its own: every bid carries the server's time (`at_ms`, milliseconds
since the epoch) as the one place that decides saw it. Both deciders (the in-process one and
the Redis Lua script, server/core/stock/auction_book*.py) follow `decide` rule for rule, and a
replay of the persisted bid log through `decide` must give the same leader and price.

The rules, in order:

1. A bid on an auction that has ended (stopped, bought now, or `at_ms >= ends_at_ms`) is refused.
2. A buy-it-now (or a bid at or above the buy-it-now price) while the price and the leader's
   maximum are below it wins at that price and ends the auction at once.
3. A bid must be at least the starting price (no bid yet) or the price plus the increment of its
   band (`increment`). Every bid is also a maximum: `max_minor` (a proxy bid), else its amount;
   a maximum bid (`BidKind.MAX`) bids at least that minimum by itself while its maximum allows.
4. The leader may only raise their own maximum (the price stays).
5. A newcomer whose maximum beats the leader's takes the lead at the leader's maximum plus one
   increment (capped by their own maximum, never below their amount); otherwise the leader's
   proxy answers at the newcomer's maximum plus one increment (capped by the leader's maximum):
   equal maximums go to the earlier one.
6. With a reserve, a leader whose maximum reaches it brings the price up to the reserve.
7. Anti-snipe: an accepted bid with less than `anti_snipe_s` left moves the end to
   `at_ms + anti_snipe_s`, unless the auction is sudden death.

Only the leader's maximum is kept: a displaced leader's maximum is always below the new price
(rule 5), so no other maximum can bid again by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from server.core.domain.error_codes import AuctionCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import MAX_PRICE_MINOR

MIN_DURATION_S = 10
MAX_DURATION_S = 300
DEFAULT_ANTI_SNIPE_S = 10
MAX_ANTI_SNIPE_S = 60
MAX_BANDS = 10


class BidKind(StrEnum):
    BID = "bid"  # a bid of `amount_minor` (its own maximum)
    MAX = "max"  # a bid of `amount_minor` with a higher maximum the server bids up to
    BUY_NOW = "buy_now"


class Unpaid(StrEnum):
    """What happens when the winner does not pay within the hold."""

    SECOND_CHANCE = "second_chance"  # the next bidder is offered it at their maximum
    UNSOLD = "unsold"


class Result(StrEnum):
    SOLD = "sold"
    RESERVE_NOT_MET = "reserve_not_met"
    NO_BIDS = "no_bids"


@dataclass(frozen=True)
class Band:
    """From `from_minor` up, each bid adds at least `increment_minor`."""

    from_minor: int
    increment_minor: int


@dataclass(frozen=True)
class AuctionTerms:
    start_minor: int
    ladder: tuple[Band, ...]  # ascending, the first from 0
    duration_s: int
    anti_snipe_s: int = DEFAULT_ANTI_SNIPE_S
    sudden_death: bool = False
    reserve_minor: int | None = None
    buy_now_minor: int | None = None
    unpaid: Unpaid = Unpaid.SECOND_CHANCE

    def __post_init__(self) -> None:
        check_terms(self)

    def increment(self, price_minor: int) -> int:
        step = self.ladder[0].increment_minor
        for band in self.ladder:
            if band.from_minor <= price_minor:
                step = band.increment_minor
        return step


@dataclass(frozen=True)
class AuctionState:
    price_minor: int
    ends_at_ms: int
    leader: int | None = None  # the leading bidder's account id
    leader_max_minor: int = 0
    bids: int = 0  # accepted bids
    ended: bool = False  # stopped or bought now (an auction past `ends_at_ms` is over too)

    def over(self, now_ms: int) -> bool:
        return self.ended or now_ms >= self.ends_at_ms

    def next_minimum(self, terms: AuctionTerms) -> int:
        if self.leader is None:
            return self.price_minor
        return self.price_minor + terms.increment(self.price_minor)


@dataclass(frozen=True)
class Bid:
    bidder: int
    amount_minor: int
    at_ms: int
    kind: BidKind = BidKind.BID
    max_minor: int | None = None


@dataclass(frozen=True)
class Decision:
    """A bid's answer and the state after it (the same state when refused)."""

    state: AuctionState
    code: AuctionCode | None = None  # None: accepted
    extended: bool = False  # the end moved (anti-snipe)
    outbid: bool = False  # accepted, and the leader's proxy answered it at once

    @property
    def accepted(self) -> bool:
        return self.code is None


@dataclass(frozen=True)
class Outcome:
    result: Result
    winner: int | None
    price_minor: int


def opening(terms: AuctionTerms, started_ms: int) -> AuctionState:
    return AuctionState(terms.start_minor, started_ms + terms.duration_s * 1000)


def decide(terms: AuctionTerms, state: AuctionState, bid: Bid) -> Decision:
    """The one rule for a bid (the module's docstring)."""
    if state.over(bid.at_ms):
        return Decision(state, AuctionCode.AUCTION_ENDED)
    buy_now = terms.buy_now_minor
    buy_open = buy_now is not None and max(state.price_minor, state.leader_max_minor) < buy_now
    if bid.kind == BidKind.BUY_NOW and not buy_open:
        return Decision(state, AuctionCode.BUY_NOW_UNAVAILABLE)
    if (
        buy_now is not None
        and buy_open
        and (bid.kind == BidKind.BUY_NOW or bid.amount_minor >= buy_now)
    ):
        bought = replace(
            state,
            price_minor=buy_now,
            leader=bid.bidder,
            leader_max_minor=buy_now,
            bids=state.bids + 1,
            ended=True,
            ends_at_ms=bid.at_ms,
        )
        return Decision(bought)
    minimum = state.next_minimum(terms)
    ceiling = max(bid.amount_minor, bid.max_minor or 0)
    amount = bid.amount_minor
    if bid.kind == BidKind.MAX and ceiling >= minimum:
        amount = max(amount, minimum)  # a maximum bids the next minimum by itself
    if amount < minimum:
        return Decision(state, AuctionCode.BID_TOO_LOW)
    outbid = False
    if bid.bidder == state.leader:
        if ceiling <= state.leader_max_minor:
            return Decision(state, AuctionCode.ALREADY_LEADING)
        price, leader, top = state.price_minor, state.leader, ceiling
    elif state.leader is None:
        price, leader, top = amount, bid.bidder, ceiling
    elif ceiling > state.leader_max_minor:
        answer = state.leader_max_minor + terms.increment(state.leader_max_minor)
        price, leader, top = max(amount, min(ceiling, answer)), bid.bidder, ceiling
    else:
        answer = ceiling + terms.increment(ceiling)
        price = max(amount, min(state.leader_max_minor, answer))
        leader, top, outbid = state.leader, state.leader_max_minor, True
    reserve = terms.reserve_minor
    if reserve is not None and price < reserve <= top:
        price = reserve
    ends, extended = state.ends_at_ms, False
    window_ms = terms.anti_snipe_s * 1000
    if not terms.sudden_death and ends - bid.at_ms < window_ms:
        ends, extended = bid.at_ms + window_ms, True
    after = AuctionState(price, ends, leader, top, state.bids + 1, False)
    return Decision(after, extended=extended, outbid=outbid)


def stop(state: AuctionState, now_ms: int) -> AuctionState:
    """The host ends it early: what stands now is the result."""
    if state.over(now_ms):
        return state
    return replace(state, ended=True, ends_at_ms=now_ms)


def outcome(terms: AuctionTerms, state: AuctionState) -> Outcome:
    if state.leader is None:
        return Outcome(Result.NO_BIDS, None, state.price_minor)
    if terms.reserve_minor is not None and state.price_minor < terms.reserve_minor:
        return Outcome(Result.RESERVE_NOT_MET, None, state.price_minor)
    return Outcome(Result.SOLD, state.leader, state.price_minor)


def replay(terms: AuctionTerms, start: AuctionState, bids: Iterable[Bid]) -> AuctionState:
    """The state a log of bids (in the order they were decided) leads to."""
    state = start
    for bid in bids:
        state = decide(terms, state, bid).state
    return state


@dataclass(frozen=True)
class Offer:
    bidder: int
    price_minor: int


def second_chance(
    terms: AuctionTerms, accepted: Sequence[Bid], passed: Iterable[int]
) -> Offer | None:
    """Who is offered the item when its buyer did not pay: of the accepted bids' bidders not in
    `passed` (the winner, and whoever was offered it before), the one with the highest maximum
    (the earlier on a tie), at that maximum; none below the reserve."""
    skip = set(passed)
    best: Offer | None = None
    for bid in accepted:
        if bid.bidder in skip or bid.kind == BidKind.BUY_NOW:
            continue
        ceiling = max(bid.amount_minor, bid.max_minor or 0)
        if best is None or ceiling > best.price_minor:
            best = Offer(bid.bidder, ceiling)
    reserve = terms.reserve_minor
    if best is None or (reserve is not None and best.price_minor < reserve):
        return None
    return best


def mask_name(display_name: str) -> str:
    """The leader as the room sees them: "Ka***"."""
    shown = display_name.strip()[:2]
    return f"{shown}***" if shown else "***"


# -- checks -----------------------------------------------------------------------------------


def check_terms(terms: AuctionTerms) -> None:
    _price(terms.start_minor, "start_minor", AuctionCode.BAD_AUCTION_TERMS, low=1)
    if not MIN_DURATION_S <= terms.duration_s <= MAX_DURATION_S:
        raise ValidationError(
            f"duration_s must be from {MIN_DURATION_S} to {MAX_DURATION_S}",
            code=AuctionCode.BAD_AUCTION_DURATION,
        )
    if not 1 <= terms.anti_snipe_s <= MAX_ANTI_SNIPE_S:
        raise ValidationError(
            f"anti_snipe_s must be from 1 to {MAX_ANTI_SNIPE_S}",
            code=AuctionCode.BAD_AUCTION_TERMS,
        )
    check_ladder(terms.ladder)
    reserve, buy_now = terms.reserve_minor, terms.buy_now_minor
    if reserve is not None:
        _price(reserve, "reserve_minor", AuctionCode.BAD_RESERVE, low=terms.start_minor)
    if buy_now is not None:
        low = max(terms.start_minor, reserve or 0) + 1
        _price(buy_now, "buy_now_minor", AuctionCode.BAD_BUY_NOW, low=low)


def check_ladder(ladder: Sequence[Band]) -> None:
    if not 1 <= len(ladder) <= MAX_BANDS or ladder[0].from_minor != 0:
        raise ValidationError(
            f"the increment ladder has 1 to {MAX_BANDS} bands, the first from 0",
            code=AuctionCode.BAD_INCREMENT,
        )
    previous = -1
    for band in ladder:
        _price(band.increment_minor, "increment_minor", AuctionCode.BAD_INCREMENT, low=1)
        _price(band.from_minor, "from_minor", AuctionCode.BAD_INCREMENT)
        if band.from_minor <= previous:
            raise ValidationError(
                "the ladder's bands go up by from_minor", code=AuctionCode.BAD_INCREMENT
            )
        previous = band.from_minor


def check_bid_amount(amount: object, name: str = "amount_minor") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError(
            f"{name} must be an integer of minor units", code=AuctionCode.BAD_BID_AMOUNT
        )
    return _price(amount, name, AuctionCode.BAD_BID_AMOUNT, low=1)


def check_bidder(bidder: int, host_id: int, seller_user_id: int | None) -> None:
    if bidder in (host_id, seller_user_id):
        raise Conflict(
            "the host and the seller cannot bid on their own auction",
            code=AuctionCode.OWN_AUCTION,
        )


def _price(value: int, name: str, code: AuctionCode, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_PRICE_MINOR:
        message = f"{name} must be an integer from {low} to {MAX_PRICE_MINOR}"
        raise ValidationError(message, code=code)
    return value


REFUSALS: dict[AuctionCode, str] = {
    AuctionCode.AUCTION_ENDED: "the auction has ended",
    AuctionCode.BID_TOO_LOW: "bid at least the price plus the increment",
    AuctionCode.ALREADY_LEADING: "you lead already: only a higher maximum changes anything",
    AuctionCode.BUY_NOW_UNAVAILABLE: "buy it now is not offered at this price",
    AuctionCode.BIDDER_REMOVED: "a moderator removed you from this auction",
}
