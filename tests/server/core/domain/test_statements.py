"""Commission statements as plain rules: per host, shop, month and currency, earned less
reversed, payable after the refund window; property tests that they add up to the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.commissions import EntryKind, LedgerEntry
from server.core.domain.errors import ValidationError
from server.core.domain.statements import (
    StatementStatus,
    next_month,
    parse_month,
    payable_on,
    statements,
    status_of,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def entry(
    kind: EntryKind,
    commission: int,
    at: datetime,
    host: int = 1,
    seller: int = 1,
    currency: str = "EUR",
    gmv: int = 1000,
) -> LedgerEntry:
    return LedgerEntry(kind, host, seller, 1, currency, gmv, commission, at)


def test_a_month_earns_its_sales_and_loses_its_refunds() -> None:
    jan = datetime(2026, 1, 31, 23, 59, tzinfo=UTC)
    feb = datetime(2026, 2, 1, tzinfo=UTC)
    found = statements(
        [
            entry(EntryKind.SALE, 300, jan),
            entry(EntryKind.SALE, 200, jan, gmv=500),
            entry(EntryKind.REVERSAL, 300, feb),  # January's sale refunded in February
        ],
        now=NOW,
        refund_window_days=14,
    )
    assert [
        (
            s.key.month,
            s.sales,
            s.refunds,
            s.gmv_minor,
            s.earned_minor,
            s.reversed_minor,
            s.net_minor,
        )
        for s in found
    ] == [
        (date(2026, 1, 1), 2, 0, 1500, 500, 0, 500),
        (date(2026, 2, 1), 0, 1, -1000, 0, 300, -300),
    ]
    assert found[0].payable_on == date(2026, 2, 15)


def test_a_statement_is_open_then_pending_then_payable() -> None:
    may = date(2026, 5, 1)
    assert status_of(may, 14, datetime(2026, 5, 31, 23, tzinfo=UTC)) == StatementStatus.OPEN
    assert status_of(may, 14, datetime(2026, 6, 14, 23, tzinfo=UTC)) == StatementStatus.PENDING
    assert status_of(may, 14, datetime(2026, 6, 15, tzinfo=UTC)) == StatementStatus.PAYABLE
    assert status_of(may, 0, datetime(2026, 6, 1, tzinfo=UTC)) == StatementStatus.PAYABLE
    assert payable_on(date(2026, 12, 1), 3) == date(2027, 1, 4)


def test_months_are_written_yyyy_mm() -> None:
    assert parse_month("2026-02") == date(2026, 2, 1)
    for bad in ("2026-13", "2026-2", "26-02", "2026-00", "0000-01", "x"):
        with pytest.raises(ValidationError) as refused:
            parse_month(bad)
        assert refused.value.code == "bad_month"


entries = st.lists(
    st.builds(
        entry,
        st.sampled_from(list(EntryKind)),
        st.integers(0, 10_000),
        st.datetimes(
            min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
        ),
        host=st.integers(1, 3),
        seller=st.integers(1, 3),
        currency=st.sampled_from(["EUR", "PLN"]),
        gmv=st.integers(0, 100_000),
    ),
    max_size=40,
)


@given(entries, st.integers(0, 60))
def test_statements_add_up_to_the_ledger(found: list[LedgerEntry], window: int) -> None:
    made = statements(found, now=NOW, refund_window_days=window)
    assert len({s.key for s in made}) == len(made)
    for currency in ("EUR", "PLN"):
        mine = [e for e in found if e.currency == currency]
        rows = [s for s in made if s.key.currency == currency]
        assert sum(s.net_minor for s in rows) == sum(e.sign * e.commission_minor for e in mine)
        assert sum(s.gmv_minor for s in rows) == sum(e.sign * e.gmv_minor for e in mine)
        assert sum(s.sales + s.refunds for s in rows) == len(mine)
    for s in made:
        assert s.key.month.day == 1
        assert s.earned_minor >= 0 and s.reversed_minor >= 0
        assert s.payable_on == next_month(s.key.month) + timedelta(days=window)
        payable = NOW.date() >= s.payable_on
        assert (s.status == StatementStatus.PAYABLE) == payable
        assert (s.status == StatementStatus.OPEN) == (NOW.date() < next_month(s.key.month))
