from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.commissions import (
    CommissionLine,
    EntryKind,
    LedgerEntry,
    LedgerKey,
    Period,
    Totals,
    aggregate,
    check_rate,
    period_start,
    rate_for,
    reversal_entry,
    sale_entry,
)
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import Money

AT = datetime(2025, 5, 1, 20, 0, tzinfo=UTC)


def test_rate_comes_from_the_product_else_the_seller_default() -> None:
    assert rate_for(1500, 1000) == 1500
    assert rate_for(0, 1000) == 0  # an explicit 0 on the product is not "unset"
    assert rate_for(None, 1000) == 1000
    assert rate_for(None, None) == 0


@pytest.mark.parametrize("rate", [-1, 10_001, 1.5, True, "10", None])
def test_bad_rates_are_refused(rate: object) -> None:
    with pytest.raises(ValidationError) as caught:
        check_rate(rate)
    assert caught.value.code == "bad_commission_rate"


def test_commission_rounds_down_to_the_minor_unit() -> None:
    line = CommissionLine(Money(1999, "EUR"), 3, 1250)  # 12.5 % of 59.97 is 7.49625
    assert line.gmv == Money(5997, "EUR")
    assert line.earned == Money(749, "EUR")
    assert CommissionLine(Money(1999, "EUR"), 1, 10_000).earned == Money(1999, "EUR")
    assert CommissionLine(Money(1999, "EUR"), 1, 0).earned == Money(0, "EUR")


def test_partial_refunds_reverse_the_difference_and_add_up_to_what_was_earned() -> None:
    line = CommissionLine(Money(5, "PLN"), 2, 1000)  # 10 % of 0.10 earns 0.01
    first = line.reversal(0, 1)  # one unit kept still earns floor(0.5) = 0: take back 1
    second = line.reversal(1, 1)
    assert (first, second) == (Money(1, "PLN"), Money(0, "PLN"))
    assert first.amount_minor + second.amount_minor == line.earned.amount_minor == 1


@pytest.mark.parametrize(("before", "refunding"), [(0, 4), (3, 1), (2, 0), (-1, 1)])
def test_refunding_more_than_was_sold_is_refused(before: int, refunding: int) -> None:
    line = CommissionLine(Money(100, "EUR"), 3, 1000)
    with pytest.raises(Conflict) as caught:
        line.reversal(before, refunding)
    assert caught.value.code == "refund_exceeds_sale"


@given(
    price=st.integers(0, 10**8),
    quantity=st.integers(1, 50),
    rate=st.integers(0, 10_000),
    data=st.data(),
)
def test_sale_then_refunds_of_every_unit_nets_to_zero(
    price: int, quantity: int, rate: int, data: st.DataObject
) -> None:
    line = CommissionLine(Money(price, "UAH"), quantity, rate)
    sale = sale_entry(line, host_id=1, seller_id=2, stream_id=3, at=AT)
    entries, refunded = [sale], 0
    while refunded < quantity:
        step = data.draw(st.integers(1, quantity - refunded))
        reversal = reversal_entry(sale, line, refunded, step, AT + timedelta(days=1))
        assert 0 <= reversal.commission_minor <= sale.commission_minor
        entries.append(reversal)
        refunded += step
    totals = aggregate(entries)
    assert totals == {LedgerKey("UAH"): Totals(sales=1, refunds=len(entries) - 1)}


@given(price=st.integers(0, 10**8), quantity=st.integers(1, 50), rate=st.integers(0, 10_000))
def test_earned_never_exceeds_the_rate(price: int, quantity: int, rate: int) -> None:
    line = CommissionLine(Money(price, "EUR"), quantity, rate)
    earned = line.earned.amount_minor
    assert earned * 10_000 <= price * quantity * rate < (earned + 1) * 10_000


def entry(kind: EntryKind, host: int, seller: int, stream: int, currency: str, at: datetime,
          gmv: int, commission: int) -> LedgerEntry:  # fmt: skip
    return LedgerEntry(kind, host, seller, stream, currency, gmv, commission, at)


SALE, BACK = EntryKind.SALE, EntryKind.REVERSAL
LEDGER = [
    entry(SALE, 1, 10, 100, "EUR", AT, 2000, 200),
    entry(SALE, 1, 10, 100, "PLN", AT, 9000, 900),
    entry(SALE, 1, 20, 101, "EUR", AT + timedelta(days=1), 1000, 50),
    entry(BACK, 1, 10, 100, "EUR", AT + timedelta(days=40), 1000, 100),
    entry(SALE, 2, 10, 102, "EUR", AT + timedelta(days=3), 500, 25),
]


def test_totals_per_currency_never_mix() -> None:
    assert aggregate(LEDGER) == {
        LedgerKey("EUR"): Totals(sales=3, refunds=1, gmv_minor=2500, commission_minor=175),
        LedgerKey("PLN"): Totals(sales=1, refunds=0, gmv_minor=9000, commission_minor=900),
    }


def test_totals_per_host_and_stream() -> None:
    found = aggregate(LEDGER, by_host=True, by_stream=True)
    assert found[LedgerKey("EUR", host_id=1, stream_id=100)] == Totals(1, 1, 1000, 100)
    assert found[LedgerKey("EUR", host_id=1, stream_id=101)] == Totals(1, 0, 1000, 50)
    assert found[LedgerKey("EUR", host_id=2, stream_id=102)] == Totals(1, 0, 500, 25)
    assert len(found) == 4


def test_totals_per_seller_per_month_within_a_window() -> None:
    found = aggregate(
        LEDGER, by_seller=True, period=Period.MONTH, since=AT, until=AT + timedelta(days=60)
    )
    assert found[LedgerKey("EUR", seller_id=10, period=date(2025, 5, 1))] == Totals(2, 0, 2500, 225)
    assert found[LedgerKey("EUR", seller_id=10, period=date(2025, 6, 1))] == Totals(
        0, 1, -1000, -100
    )
    only_first_day = aggregate(LEDGER, since=AT, until=AT + timedelta(days=1))
    assert only_first_day[LedgerKey("EUR")] == Totals(1, 0, 2000, 200)


@pytest.mark.parametrize(
    ("period", "start"),
    [
        (Period.DAY, date(2025, 5, 1)),
        (Period.WEEK, date(2025, 4, 28)),
        (Period.MONTH, date(2025, 5, 1)),
    ],
)
def test_periods_are_utc_calendar_periods(period: Period, start: date) -> None:
    # 00:30 in Warsaw on 2 May is still 1 May in UTC
    warsaw = datetime(2025, 5, 2, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert period_start(warsaw, period) == start


def test_lines_need_a_quantity_and_a_valid_rate() -> None:
    with pytest.raises(ValidationError):
        CommissionLine(Money(100, "EUR"), 0, 100)
    with pytest.raises(ValidationError):
        CommissionLine(Money(100, "EUR"), 1, 10_001)
    with pytest.raises(ValidationError):
        CommissionLine(Money(100, "EUR"), 2, 100, discount_minor=201)


def test_a_discount_is_off_the_gmv_and_a_partial_refund_takes_back_its_share() -> None:
    line = CommissionLine(Money(1999, "EUR"), 3, 1250, discount_minor=500)
    assert (line.gmv, line.earned) == (Money(5497, "EUR"), Money(687, "EUR"))
    # Two units kept: 3998 less 333 of the discount is 3665, earning 458.
    assert line.refunded_gmv(0, 1) == Money(5497 - 3665, "EUR")
    assert line.reversal(0, 1) == Money(687 - 458, "EUR")
    assert line.refunded_gmv(1, 2) == Money(3665, "EUR")
    assert line.reversal(1, 2) == Money(458, "EUR")


@given(
    price=st.integers(0, 10**8),
    quantity=st.integers(1, 50),
    rate=st.integers(0, 10_000),
    data=st.data(),
)
def test_refunds_of_every_unit_of_a_discounted_line_net_to_zero(
    price: int, quantity: int, rate: int, data: st.DataObject
) -> None:
    discount = data.draw(st.integers(0, price * quantity))
    line = CommissionLine(Money(price, "PLN"), quantity, rate, discount_minor=discount)
    sale = sale_entry(line, host_id=1, seller_id=2, stream_id=3, at=AT)
    assert sale.gmv_minor == price * quantity - discount
    entries, refunded = [sale], 0
    while refunded < quantity:
        step = data.draw(st.integers(1, quantity - refunded))
        reversal = reversal_entry(sale, line, refunded, step, AT + timedelta(days=1))
        assert 0 <= reversal.gmv_minor <= sale.gmv_minor
        assert 0 <= reversal.commission_minor <= sale.commission_minor
        entries.append(reversal)
        refunded += step
    assert aggregate(entries) == {LedgerKey("PLN"): Totals(sales=1, refunds=len(entries) - 1)}
