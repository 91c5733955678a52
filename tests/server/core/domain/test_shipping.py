"""Shipping: a shop's table of fees per country and what an order's shops cost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.addresses import COUNTRIES
from server.core.domain.error_codes import ShippingCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import Money
from server.core.domain.shipping import ShippingRate, check_rates, quote


def test_rates_are_checked_and_sorted() -> None:
    rates = check_rates(
        [
            {"country": "pl", "fee_minor": 1200, "currency": "PLN"},
            {"country": "FR", "fee_minor": 0, "currency": "PLN"},
        ]
    )
    assert [r.country for r in rates] == ["FR", "PL"]
    assert check_rates([]) == []


@pytest.mark.parametrize(
    ("rates", "code"),
    [
        ({"PL": 1}, ShippingCode.BAD_RATES),
        ([{"country": "PL", "fee_minor": -1, "currency": "PLN"}], ShippingCode.BAD_FEE),
        ([{"country": "PL", "fee_minor": 1.5, "currency": "PLN"}], ShippingCode.BAD_FEE),
        ([{"country": "PL", "fee_minor": True, "currency": "PLN"}], ShippingCode.BAD_FEE),
        ([{"country": "DE", "fee_minor": 1, "currency": "EUR"}], "unsupported_country"),
        ([{"country": "PL", "fee_minor": 1, "currency": "XXX"}], "bad_currency"),
        ([{"country": "PL", "fee_minor": 1, "currency": "PLN", "x": 1}], ShippingCode.BAD_RATES),
        (
            [
                {"country": "PL", "fee_minor": 1, "currency": "PLN"},
                {"country": "pl", "fee_minor": 2, "currency": "PLN"},
            ],
            ShippingCode.DUPLICATE_COUNTRY,
        ),
        (
            [
                {"country": "PL", "fee_minor": 1, "currency": "PLN"},
                {"country": "FR", "fee_minor": 2, "currency": "EUR"},
            ],
            ShippingCode.MIXED_CURRENCIES,
        ),
    ],
)
def test_bad_rates(rates: object, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_rates(rates)
    assert refused.value.code == code


def test_quote_one_line_per_shop() -> None:
    rates = {
        1: [ShippingRate("PL", Money(1000, "EUR")), ShippingRate("FR", Money(500, "EUR"))],
        2: [ShippingRate("PL", Money(250, "EUR"))],
    }
    q = quote(rates, [2, 1, 1], "PL", "EUR")
    assert [(line.seller_id, line.fee.amount_minor) for line in q.lines] == [(1, 1000), (2, 250)]
    assert q.total == Money(1250, "EUR")
    with pytest.raises(Conflict) as refused:
        quote(rates, [1, 2], "FR", "EUR")
    assert refused.value.code == ShippingCode.NOT_SHIPPED_TO_COUNTRY
    with pytest.raises(Conflict) as refused:
        quote(rates, [1], "PL", "PLN")
    assert refused.value.code == ShippingCode.MIXED_CURRENCIES


@given(
    st.dictionaries(
        st.integers(1, 5),
        st.dictionaries(st.sampled_from(COUNTRIES), st.integers(0, 10**6), max_size=4),
        max_size=4,
    ),
    st.sets(st.integers(1, 5), min_size=1),
    st.sampled_from(COUNTRIES),
)
def test_quote_is_the_sum_or_a_refusal(
    table: dict[int, dict[str, int]], sellers: set[int], country: str
) -> None:
    rates = {s: [ShippingRate(c, Money(f, "EUR")) for c, f in t.items()] for s, t in table.items()}
    ships = all(country in table.get(s, {}) for s in sellers)
    try:
        q = quote(rates, sellers, country, "EUR")
    except Conflict as refused:
        assert not ships and refused.code == ShippingCode.NOT_SHIPPED_TO_COUNTRY
    else:
        assert ships
        assert q.total.amount_minor == sum(table[s][country] for s in sellers)
        assert {line.seller_id for line in q.lines} == sellers
