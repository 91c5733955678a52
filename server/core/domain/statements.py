"""Commission statements: what a shop owes a host for a calendar month (UTC), from the ledger.

A statement is one host, one shop, one month and one currency (amounts never mix; a shop pays
its hosts itself). `earned` is the commission of the month's sale entries, `reversed` what the
month's refunds took back (a refund lands in the month it happens, whichever month sold it),
`net` the difference. A month's statement is `open` until the month ends, then `pending` for
the refund window (`SHOPCAST_REFUND_WINDOW_DAYS`: refunds inside it are still likely), then
`payable` from the first day of the next month plus the window. A late refund lowers the
statement of the month it lands in, which may then be negative: the shop takes it off what it
pays next.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from server.core.domain.commissions import EntryKind, LedgerEntry, Period, period_start
from server.core.domain.error_codes import OfferCode
from server.core.domain.errors import ValidationError

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MAX_WINDOW_DAYS = 365


class StatementStatus(StrEnum):
    OPEN = "open"  # the month is not over
    PENDING = "pending"  # over; refunds may still come within the window
    PAYABLE = "payable"


@dataclass(frozen=True)
class StatementKey:
    host_id: int
    seller_id: int
    month: date  # its first day
    currency: str


@dataclass(frozen=True)
class Statement:
    key: StatementKey
    sales: int  # sale entries (order lines)
    refunds: int  # reversal entries
    gmv_minor: int  # what the buyers paid, less what was refunded
    earned_minor: int
    reversed_minor: int
    payable_on: date
    status: StatementStatus

    @property
    def net_minor(self) -> int:
        return self.earned_minor - self.reversed_minor


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def payable_on(month: date, refund_window_days: int) -> date:
    return next_month(month) + timedelta(days=refund_window_days)


def status_of(month: date, refund_window_days: int, now: datetime) -> StatementStatus:
    today = now.astimezone(UTC).date()
    if today < next_month(month):
        return StatementStatus.OPEN
    if today < payable_on(month, refund_window_days):
        return StatementStatus.PENDING
    return StatementStatus.PAYABLE


def parse_month(raw: str) -> date:
    """`YYYY-MM` as the month's first day."""
    found = MONTH.match(raw)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise ValidationError("a month is written YYYY-MM", code=OfferCode.BAD_MONTH)
    return date(int(found.group(1)), int(found.group(2)), 1)


def statements(
    entries: Iterable[LedgerEntry], *, now: datetime, refund_window_days: int
) -> list[Statement]:
    """A statement per host, shop, month and currency the entries touch, month by month."""
    sums: defaultdict[StatementKey, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for entry in entries:
        month = period_start(entry.at, Period.MONTH)
        key = StatementKey(entry.host_id, entry.seller_id, month, entry.currency)
        found = sums[key]
        if entry.kind == EntryKind.SALE:
            found[0] += 1
            found[2] += entry.gmv_minor
            found[3] += entry.commission_minor
        else:
            found[1] += 1
            found[2] -= entry.gmv_minor
            found[4] += entry.commission_minor
    return [
        Statement(
            key,
            sales,
            refunds,
            gmv,
            earned,
            reversed_,
            payable_on(key.month, refund_window_days),
            status_of(key.month, refund_window_days, now),
        )
        for key, (sales, refunds, gmv, earned, reversed_) in sorted(
            sums.items(), key=lambda item: _order(item[0])
        )
    ]


def _order(key: StatementKey) -> tuple[date, int, int, str]:
    return (key.month, key.host_id, key.seller_id, key.currency)
