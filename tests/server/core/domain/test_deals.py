from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.deals import (
    Deal,
    DealPhase,
    UnitPrice,
    check_deal_price,
    check_deal_purchase,
    resolve_price,
)
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import Money
from server.core.domain.variants import Variant

START = datetime(2025, 5, 1, 20, 0, tzinfo=UTC)
END = START + timedelta(minutes=5)
DEAL = Deal(
    id=7,
    product_id=3,
    sku="TEE-M",
    price=Money(999, "EUR"),
    starts_at=START,
    ends_at=END,
    quantity=500,
    per_buyer_limit=2,
)
REGULAR = Money(1999, "EUR")
MEDIUM = Variant("TEE-M", ("M",), 10)
LARGE = Variant("TEE-L", ("L",), 10, price_minor=2199)


@pytest.mark.parametrize(
    ("at", "sold", "phase"),
    [
        (START - timedelta(microseconds=1), 0, DealPhase.UPCOMING),
        (START, 0, DealPhase.ACTIVE),
        (END - timedelta(microseconds=1), 499, DealPhase.ACTIVE),
        (START + timedelta(minutes=1), 500, DealPhase.SOLD_OUT),
        (END, 0, DealPhase.ENDED),
    ],
)
def test_phase_follows_the_server_clock(at: datetime, sold: int, phase: DealPhase) -> None:
    assert replace(DEAL, sold=sold).phase(at) == phase


def test_countdown_carries_server_time_and_end() -> None:
    now = START + timedelta(minutes=3, milliseconds=250)
    payload = replace(DEAL, sold=120).countdown(now).to_payload()
    assert payload == {
        "deal_id": 7,
        "phase": "active",
        "server_time": "2025-05-01T20:03:00.250000+00:00",
        "starts_at": "2025-05-01T20:00:00+00:00",
        "ends_at": "2025-05-01T20:05:00+00:00",
        "remaining_ms": 119_750,
        "left": 380,
    }


def test_countdown_before_start_counts_to_the_start_and_stops_at_zero() -> None:
    assert DEAL.countdown(START - timedelta(seconds=30)).remaining_ms == 30_000
    assert DEAL.countdown(END + timedelta(hours=1)).remaining_ms == 0


@pytest.mark.parametrize(
    ("at", "bought", "quantity", "sold", "code"),
    [
        (START - timedelta(seconds=1), 0, 1, 0, "deal_not_started"),
        (END, 0, 1, 0, "deal_ended"),
        (START, 2, 1, 0, "deal_limit_reached"),
        (START, 1, 2, 0, "deal_limit_reached"),
        (START, 0, 1, 500, "deal_sold_out"),
        (START, 0, 2, 499, "deal_sold_out"),
    ],
)
def test_purchase_refusals_have_codes(
    at: datetime, bought: int, quantity: int, sold: int, code: str
) -> None:
    with pytest.raises(Conflict) as caught:
        check_deal_purchase(replace(DEAL, sold=sold), bought, quantity, at)
    assert caught.value.code == code


def test_refusal_messages_say_what_is_left() -> None:
    with pytest.raises(Conflict, match="you can buy 1 more"):
        check_deal_purchase(DEAL, 1, 2, START)
    with pytest.raises(Conflict, match="only 1 left"):
        check_deal_purchase(replace(DEAL, sold=499), 0, 2, START)


@given(
    sold=st.integers(0, 500),
    bought=st.integers(0, 2),
    quantity=st.integers(1, 5),
    offset_s=st.integers(0, 299),
)
def test_an_accepted_purchase_fits_both_limits(
    sold: int, bought: int, quantity: int, offset_s: int
) -> None:
    deal = replace(DEAL, sold=sold)
    try:
        check_deal_purchase(deal, bought, quantity, START + timedelta(seconds=offset_s))
    except Conflict:
        assert quantity > deal.left or bought + quantity > deal.per_buyer_limit
    else:
        assert quantity <= deal.left and bought + quantity <= deal.per_buyer_limit


def test_quantity_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        check_deal_purchase(DEAL, 0, 0, START)


def test_price_resolution() -> None:
    during, after = START + timedelta(minutes=1), END
    assert resolve_price(3, REGULAR, MEDIUM, DEAL, during) == UnitPrice(Money(999, "EUR"), 7)
    assert resolve_price(3, REGULAR, MEDIUM, DEAL, after) == UnitPrice(REGULAR, None)
    assert resolve_price(3, REGULAR, LARGE, DEAL, during) == UnitPrice(Money(2199, "EUR"), None)
    assert resolve_price(4, REGULAR, MEDIUM, DEAL, during) == UnitPrice(REGULAR, None)
    assert resolve_price(3, REGULAR, None, None, during) == UnitPrice(REGULAR, None)
    sold_out = replace(DEAL, sold=500)
    assert resolve_price(3, REGULAR, MEDIUM, sold_out, during) == UnitPrice(REGULAR, None)
    every_variant = replace(DEAL, sku=None)
    assert resolve_price(3, REGULAR, LARGE, every_variant, during).deal_id == 7


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ends_at": START}, "bad_deal_window"),
        ({"ends_at": START + timedelta(hours=25)}, "bad_deal_window"),
        ({"starts_at": START.replace(tzinfo=None)}, "bad_deal_window"),
        ({"quantity": 0}, "bad_deal_quantity"),
        ({"per_buyer_limit": 0}, "bad_deal_limit"),
        ({"per_buyer_limit": 501}, "bad_deal_limit"),
        ({"sold": 501}, "bad_deal_quantity"),
    ],
)
def test_bad_deals_are_refused(change: dict, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        replace(DEAL, **change)
    assert caught.value.code == code


def test_deal_price_is_below_regular_in_the_same_currency() -> None:
    check_deal_price(Money(999, "EUR"), REGULAR)
    for price, code in [
        (Money(1999, "EUR"), "bad_deal_price"),
        (Money(999, "PLN"), "bad_deal_currency"),
    ]:
        with pytest.raises(ValidationError) as caught:
            check_deal_price(price, REGULAR)
        assert caught.value.code == code
