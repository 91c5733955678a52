"""Giveaway rules: terms, who may enter, which entries count, and the draw's properties."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.errors import Conflict, Forbidden, ValidationError
from server.core.domain.giveaways import (
    Eligibility,
    EntryWay,
    GiveawayTerms,
    check_available,
    check_entry,
    check_open,
    commitment,
    counts,
    draw,
    entries_digest,
    masked,
    new_seed,
    says_keyword,
    sorted_entries,
    verifies,
)

SEED = "ab" * 32
subjects = st.lists(st.integers(1, 10**6).map(lambda n: f"u:{n}"), max_size=60)


def test_the_terms_take_one_prize_a_window_and_a_keyword_only_for_keyword_giveaways() -> None:
    GiveawayTerms(window_s=30, winners=1, prize_text="A mug")
    GiveawayTerms(window_s=600, winners=3, prize_product_id=4)
    GiveawayTerms(60, 1, Eligibility.KEYWORD, prize_text="Tee", keyword="WIN")
    bad = [
        ({"window_s": 29, "winners": 1, "prize_text": "x"}, "bad_entry_window"),
        ({"window_s": 601, "winners": 1, "prize_text": "x"}, "bad_entry_window"),
        ({"window_s": 60, "winners": 0, "prize_text": "x"}, "bad_winners"),
        ({"window_s": 60, "winners": 51, "prize_text": "x"}, "bad_winners"),
        ({"window_s": 60, "winners": 1}, "bad_prize"),
        ({"window_s": 60, "winners": 1, "prize_text": "x", "prize_product_id": 2}, "bad_prize"),
        ({"window_s": 60, "winners": 1, "prize_text": ""}, "bad_prize"),
        ({"window_s": 60, "winners": 1, "prize_text": "x", "keyword": "hi"}, "bad_keyword"),
        (
            {"window_s": 60, "winners": 1, "prize_text": "x", "eligibility": Eligibility.KEYWORD},
            "bad_keyword",
        ),
        (
            {"window_s": 60, "winners": 1, "prize_text": "x",
             "eligibility": Eligibility.KEYWORD, "keyword": "two words"},
            "bad_keyword",
        ),
    ]  # fmt: skip
    for fields, code in bad:
        with pytest.raises(ValidationError) as refused:
            GiveawayTerms(**fields)
        assert refused.value.code == code, fields


def test_followers_only_is_refused_until_following_exists() -> None:
    terms = GiveawayTerms(60, 1, Eligibility.FOLLOWERS, prize_text="x")
    with pytest.raises(Conflict) as refused:
        check_available(terms, followers_exist=False)
    assert refused.value.code == "followers_unavailable"
    check_available(terms, followers_exist=True)


def test_who_may_enter_and_how() -> None:
    check_entry(Eligibility.EVERYONE, EntryWay.TAP, is_guest=False)
    check_entry(Eligibility.KEYWORD, EntryWay.KEYWORD, is_guest=False)
    check_entry(Eligibility.BUYERS, EntryWay.TAP, is_guest=False, bought_in_show=True)
    check_entry(Eligibility.FOLLOWERS, EntryWay.TAP, is_guest=False, follows_host=True)
    cases = [
        (Eligibility.EVERYONE, EntryWay.TAP, {"is_guest": True}, Forbidden, "not_eligible"),
        (Eligibility.KEYWORD, EntryWay.TAP, {"is_guest": False}, Conflict, "keyword_entry"),
        (Eligibility.BUYERS, EntryWay.TAP, {"is_guest": False}, Forbidden, "not_eligible"),
        (Eligibility.FOLLOWERS, EntryWay.TAP, {"is_guest": False}, Forbidden, "not_eligible"),
    ]
    for eligibility, way, who, kind, code in cases:
        with pytest.raises(kind) as refused:
            check_entry(eligibility, way, **who)
        assert refused.value.code == code


def test_the_window_is_the_servers_and_closes_at_its_end_exactly() -> None:
    end = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
    check_open(end, False, end - timedelta(microseconds=1))
    for now, drawn in ((end, False), (end - timedelta(seconds=5), True)):
        with pytest.raises(Conflict) as refused:
            check_open(end, drawn, now)
        assert refused.value.code == "giveaway_closed"


def test_sanctioned_entries_do_not_count() -> None:
    assert counts(banned=False, shadow_banned=False)
    assert not counts(banned=True, shadow_banned=False)
    assert not counts(banned=False, shadow_banned=True)


def test_the_keyword_is_a_word_of_the_line_in_any_case() -> None:
    assert says_keyword("WIN", "I want to win!")
    assert says_keyword("win", "WIN")
    assert not says_keyword("win", "winner takes all")
    assert not says_keyword("win", "")


def test_the_commitment_is_the_seeds_sha256() -> None:
    seed = new_seed()
    assert len(seed) == 64 and int(seed, 16) >= 0
    assert commitment(seed) == hashlib.sha256(seed.encode()).hexdigest()
    assert new_seed() != seed


def test_the_draw_follows_the_documented_procedure_by_hand() -> None:
    entrants = ["u:3", "u:10", "u:2"]
    pool = sorted(entrants)  # u:10, u:2, u:3
    digest = hashlib.sha256("\n".join(pool).encode()).hexdigest()
    assert entries_digest(entrants) == digest
    expected = []
    for k in range(2):
        h = int.from_bytes(hashlib.sha256(f"{SEED}:{digest}:{k}".encode()).digest(), "big")
        expected.append(pool.pop(h % len(pool)))
    assert draw(SEED, entrants, 2) == expected


def test_masked_names() -> None:
    assert masked("Katarzyna") == "Ka***" and masked("K") == "K***"


@given(subjects, st.integers(1, 50))
def test_winners_are_distinct_entrants_as_many_as_can_be(entrants: list[str], n: int) -> None:
    winners = draw(SEED, entrants, n)
    assert len(winners) == min(n, len(set(entrants)))
    assert len(set(winners)) == len(winners)
    assert set(winners) <= set(entrants)


@given(subjects, st.integers(1, 50), st.randoms())
def test_the_draw_ignores_the_order_and_repeats_of_entries(
    entrants: list[str], n: int, rng
) -> None:
    shuffled = entrants + entrants[:3]
    rng.shuffle(shuffled)
    assert draw(SEED, shuffled, n) == draw(SEED, entrants, n)
    assert sorted_entries(shuffled) == sorted_entries(entrants)


@given(subjects, st.integers(1, 10))
def test_a_smaller_draw_is_the_start_of_a_larger_one(entrants: list[str], n: int) -> None:
    assert draw(SEED, entrants, n + 5)[:n] == draw(SEED, entrants, n)


@given(subjects.filter(lambda e: len(set(e)) >= 2), st.integers(1, 5))
def test_anyone_can_verify_and_a_changed_seed_or_list_fails(entrants: list[str], n: int) -> None:
    winners = draw(SEED, entrants, n)
    assert verifies(SEED, commitment(SEED), entrants, winners)
    assert not verifies("cd" * 32, commitment(SEED), entrants, winners)
    other = "ef" * 32
    assert verifies(other, commitment(other), entrants, draw(other, entrants, n))
