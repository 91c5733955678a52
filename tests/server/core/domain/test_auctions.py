"""The auction rules as properties: whatever bids come, in any order and at any time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.auctions import (
    AuctionState,
    AuctionTerms,
    Band,
    Bid,
    BidKind,
    Result,
    decide,
    mask_name,
    opening,
    outcome,
    replay,
    second_chance,
    stop,
)
from server.core.domain.error_codes import AuctionCode
from server.core.domain.errors import DomainError

T0 = 1_700_000_000_000
LADDER = (Band(0, 10), Band(200, 25), Band(1000, 100))


def terms(**changes: object) -> AuctionTerms:
    given_terms: dict[str, object] = {"start_minor": 100, "ladder": LADDER, "duration_s": 30}
    given_terms.update(changes)
    return AuctionTerms(**given_terms)  # type: ignore[arg-type]


bids = st.lists(
    st.builds(
        Bid,
        bidder=st.integers(1, 6),
        amount_minor=st.integers(1, 3000),
        at_ms=st.integers(0, 60_000).map(lambda ms: T0 + ms),
        kind=st.sampled_from([BidKind.BID, BidKind.MAX, BidKind.BID]),
        max_minor=st.one_of(st.none(), st.integers(1, 5000)),
    ),
    max_size=60,
).map(lambda found: sorted(found, key=lambda b: b.at_ms))


def run(rules: AuctionTerms, log: list[Bid]) -> tuple[AuctionState, list[tuple[Bid, object]]]:
    state = opening(rules, T0)
    seen = []
    for bid in log:
        decision = decide(rules, state, bid)
        seen.append((bid, decision, state))
        state = decision.state
    return state, seen


@given(bids)
def test_each_accepted_bid_raises_the_price_or_the_leaders_maximum(log: list[Bid]) -> None:
    rules = terms()
    _, seen = run(rules, log)
    for bid, decision, before in seen:
        after = decision.state
        if not decision.accepted:
            assert after == before  # a refusal changes nothing
            continue
        assert after.bids == before.bids + 1
        if before.leader is None:
            assert after.price_minor >= rules.start_minor
        elif bid.bidder == before.leader:
            assert after.price_minor >= before.price_minor
            assert after.leader_max_minor > before.leader_max_minor
        else:
            assert after.price_minor >= before.price_minor + rules.increment(before.price_minor)
        assert after.price_minor <= after.leader_max_minor


@given(bids)
def test_the_price_never_exceeds_the_second_maximum_plus_one_increment(log: list[Bid]) -> None:
    rules = terms()
    state, seen = run(rules, log)
    accepted = [bid for bid, decision, _ in seen if decision.accepted]
    if state.leader is None:
        return
    maxima: dict[int, int] = {}
    for bid in accepted:
        ceiling = max(bid.amount_minor, bid.max_minor or 0)
        maxima[bid.bidder] = max(maxima.get(bid.bidder, 0), ceiling)
    others = [m for who, m in maxima.items() if who != state.leader]
    second = max(others, default=0)
    highest_amount = max(bid.amount_minor for bid in accepted)
    bound = max(second + rules.increment(second), highest_amount)
    assert state.price_minor <= bound
    assert state.leader_max_minor == maxima[state.leader]
    assert all(m <= state.leader_max_minor for m in others)  # the leader holds the top maximum


@given(bids)
def test_equal_maximums_go_to_the_earlier(log: list[Bid]) -> None:
    rules = terms()
    state, seen = run(rules, log)
    if state.leader is None:
        return
    top = state.leader_max_minor
    reached: dict[int, int] = {}  # bidder -> index of the accepted bid where they reached top
    for index, (bid, decision, _) in enumerate(seen):
        if decision.accepted and max(bid.amount_minor, bid.max_minor or 0) == top:
            reached.setdefault(bid.bidder, index)
    assert min(reached, key=lambda who: reached[who]) == state.leader


@given(bids, st.integers(1, 20), st.booleans())
def test_extensions_happen_only_inside_the_window(
    log: list[Bid], window_s: int, sudden: bool
) -> None:
    rules = terms(anti_snipe_s=window_s, sudden_death=sudden)
    _, seen = run(rules, log)
    for bid, decision, before in seen:
        after = decision.state
        if decision.extended:
            assert not sudden and decision.accepted
            assert before.ends_at_ms - bid.at_ms < window_s * 1000
            assert after.ends_at_ms == bid.at_ms + window_s * 1000
        elif decision.accepted:
            assert after.ends_at_ms == before.ends_at_ms
        if bid.at_ms >= before.ends_at_ms:
            assert decision.code == AuctionCode.AUCTION_ENDED


@given(bids)
def test_a_replay_of_the_log_gives_the_same_result(log: list[Bid]) -> None:
    rules = terms(reserve_minor=400, buy_now_minor=2500)
    state, _ = run(rules, log)
    assert replay(rules, opening(rules, T0), log) == state


@given(bids)
def test_the_reserve_decides_whether_it_sells(log: list[Bid]) -> None:
    rules = terms(reserve_minor=500)
    state, _ = run(rules, log)
    result = outcome(rules, state)
    if state.leader is None:
        assert result.result == Result.NO_BIDS
    elif state.leader_max_minor >= 500:
        assert result.result == Result.SOLD and result.price_minor >= 500
    else:
        assert result.result == Result.RESERVE_NOT_MET and result.winner is None


@given(bids)
def test_second_chance_goes_to_the_best_other_maximum(log: list[Bid]) -> None:
    rules = terms()
    state, seen = run(rules, log)
    accepted = [bid for bid, decision, _ in seen if decision.accepted]
    if state.leader is None:
        return
    offer = second_chance(rules, accepted, [state.leader])
    others = [b for b in accepted if b.bidder != state.leader]
    if not others:
        assert offer is None
        return
    assert offer is not None and offer.bidder != state.leader
    assert offer.price_minor <= state.price_minor  # never more than the winner would have paid
    assert offer.price_minor == max(max(b.amount_minor, b.max_minor or 0) for b in others)


def test_proxy_bids_by_the_increment() -> None:
    rules = terms()
    state = opening(rules, T0)
    state = decide(rules, state, Bid(1, 100, T0 + 1, BidKind.MAX, 300)).state
    assert (state.leader, state.price_minor) == (1, 100)
    answered = decide(rules, state, Bid(2, 110, T0 + 2))
    assert answered.outbid and answered.state.leader == 1
    assert answered.state.price_minor == 120  # 110 + the 10 of its band
    taken = decide(rules, answered.state, Bid(2, 300, T0 + 3)).state
    assert taken.leader == 1 and taken.price_minor == 300  # a tie: the earlier maximum
    over = decide(rules, taken, Bid(3, 325, T0 + 4)).state
    assert over.leader == 3 and over.price_minor == 325


def test_refusals() -> None:
    rules = terms(buy_now_minor=900)
    state = decide(rules, opening(rules, T0), Bid(1, 150, T0 + 1)).state
    assert decide(rules, state, Bid(2, 155, T0 + 2)).code == AuctionCode.BID_TOO_LOW
    raised = decide(rules, state, Bid(1, 170, T0 + 2))  # raises their own maximum
    assert raised.accepted and raised.state.price_minor == 150
    assert decide(rules, raised.state, Bid(1, 165, T0 + 2)).code == AuctionCode.ALREADY_LEADING
    late = Bid(2, 500, state.ends_at_ms)
    assert decide(rules, state, late).code == AuctionCode.AUCTION_ENDED
    bought = decide(rules, state, Bid(3, 0, T0 + 5, BidKind.BUY_NOW))
    assert bought.state.ended and bought.state.price_minor == 900 and bought.state.leader == 3
    assert decide(rules, bought.state, Bid(2, 1000, T0 + 6)).code == AuctionCode.AUCTION_ENDED
    stopped = stop(state, T0 + 7)
    assert decide(rules, stopped, Bid(2, 500, T0 + 8)).code == AuctionCode.AUCTION_ENDED


def test_anti_snipe_extends_from_the_bid() -> None:
    rules = terms(duration_s=10, anti_snipe_s=5)
    state = opening(rules, T0)
    early = decide(rules, state, Bid(1, 100, T0 + 1000))
    assert not early.extended
    late = decide(rules, early.state, Bid(2, 110, T0 + 9_500))
    assert late.extended and late.state.ends_at_ms == T0 + 14_500


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"duration_s": 5}, AuctionCode.BAD_AUCTION_DURATION),
        ({"duration_s": 301}, AuctionCode.BAD_AUCTION_DURATION),
        ({"ladder": ()}, AuctionCode.BAD_INCREMENT),
        ({"ladder": (Band(0, 0),)}, AuctionCode.BAD_INCREMENT),
        ({"ladder": (Band(0, 5), Band(0, 6))}, AuctionCode.BAD_INCREMENT),
        ({"ladder": (Band(10, 5),)}, AuctionCode.BAD_INCREMENT),
        ({"reserve_minor": 50}, AuctionCode.BAD_RESERVE),
        ({"buy_now_minor": 100}, AuctionCode.BAD_BUY_NOW),
        ({"start_minor": 0}, AuctionCode.BAD_AUCTION_TERMS),
    ],
)
def test_bad_terms(changes: dict, code: AuctionCode) -> None:
    with pytest.raises(DomainError) as raised:
        terms(**changes)
    assert raised.value.code == code


def test_masked_names() -> None:
    assert mask_name("Karolina") == "Ka***"
    assert mask_name(" ") == "***"
