"""Poll rules: questions and options, choices, the window, and percentages that add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.polls import (
    PollOption,
    PollTerms,
    check_choice,
    check_open,
    is_open,
    percentages,
    voter,
)


def _options(*texts: str) -> tuple[PollOption, ...]:
    return tuple(PollOption(text=t) for t in texts)


def test_a_poll_has_a_question_and_two_to_six_distinct_options() -> None:
    PollTerms("Which next?", _options("Red", "Blue"))
    PollTerms("Which next?", (PollOption(product_id=1), PollOption(product_id=2)), 60)
    PollTerms("Which next?", _options(*"abcdef"))
    bad = [
        (lambda: PollTerms("", _options("a", "b")), "bad_question"),
        (lambda: PollTerms("q" * 201, _options("a", "b")), "bad_question"),
        (lambda: PollTerms("q", _options("a")), "bad_poll_options"),
        (lambda: PollTerms("q", _options(*"abcdefg")), "bad_poll_options"),
        (lambda: PollTerms("q", _options("Red", "red")), "bad_poll_options"),
        (lambda: PollTerms("q", (PollOption(product_id=1),) * 2), "bad_poll_options"),
        (lambda: PollTerms("q", _options("a", "b"), 9), "bad_poll_duration"),
        (lambda: PollTerms("q", _options("a", "b"), 3601), "bad_poll_duration"),
        (lambda: PollOption(), "bad_poll_options"),
        (lambda: PollOption(text="a", product_id=1), "bad_poll_options"),
        (lambda: PollOption(text="x" * 81), "bad_poll_options"),
    ]
    for make, code in bad:
        with pytest.raises(ValidationError) as refused:
            make()
        assert refused.value.code == code


def test_choices_and_the_window() -> None:
    check_choice(0, 2)
    check_choice(5, 6)
    for choice in (-1, 2):
        with pytest.raises(ValidationError) as refused:
            check_choice(choice, 2)
        assert refused.value.code == "bad_choice"
    end = datetime(2026, 1, 1, tzinfo=UTC)
    check_open(None, False, end)
    check_open(end, False, end - timedelta(seconds=1))
    assert not is_open(end, False, end) and not is_open(None, True, end)
    with pytest.raises(Conflict) as closed:
        check_open(end, False, end)
    assert closed.value.code == "poll_closed"


def test_guests_are_known_by_their_device_too_accounts_by_account_only() -> None:
    assert voter("u:3", False, "f" * 32).device is None
    assert voter("g:ab", True, "f" * 32).device == "f" * 32


def test_percentages_of_no_votes_are_zero() -> None:
    assert percentages([0, 0, 0]) == [0, 0, 0]
    assert percentages([1, 1, 1]) == [34, 33, 33]
    assert percentages([1, 0]) == [100, 0]


@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=6).filter(lambda c: sum(c) > 0))
def test_percentages_add_up_to_100_each_within_one_of_its_share(counts: list[int]) -> None:
    shares = percentages(counts)
    total = sum(counts)
    assert sum(shares) == 100
    for count, share in zip(counts, shares, strict=True):
        assert abs(share - 100 * count / total) < 1
        if count == 0:
            assert share == 0


@given(st.lists(st.integers(0, 1000), min_size=2, max_size=6).filter(lambda c: sum(c) > 0))
def test_more_votes_never_get_a_smaller_percentage(counts: list[int]) -> None:
    shares = percentages(counts)
    for i in range(len(counts)):
        for j in range(len(counts)):
            if counts[i] > counts[j]:
                assert shares[i] >= shares[j]
