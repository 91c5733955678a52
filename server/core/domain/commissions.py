"""Influencer commission: what a show's host earns on each order line, and the ledger of it.

The rate (basis points, 0..10000) is the product's own or else its seller's default, frozen on
the line at the time of sale. Commission on an amount rounds down to the minor unit: the host
never earns more than the rate, and the fraction stays with the seller. The GMV is what the buyer
paid: the line's price times its units, less its discount (a discount is shared by the units, the
fraction of a minor unit on the units kept). A refund of some units reverses the difference
between the GMV and commission of the units kept before and after it, so refunding every unit, in
any number of steps, reverses exactly what was sold and earned. server/core/services/ledger.py
stores these entries; it has no rules of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from server.core.domain.error_codes import CatalogCode, LedgerCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import Money

FULL_BP = 10_000


class EntryKind(StrEnum):
    SALE = "sale"
    REVERSAL = "reversal"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, starting on Monday
    MONTH = "month"


def check_rate(rate_bp: object) -> int:
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= FULL_BP:
        raise ValidationError(
            "commission rate must be 0 to 10000 basis points", code=CatalogCode.BAD_COMMISSION_RATE
        )
    return rate_bp


def rate_for(product_rate_bp: int | None, seller_default_bp: int | None) -> int:
    """The product's rate wins over the seller's default; with neither, the host earns none."""
    if product_rate_bp is not None:
        return product_rate_bp
    return seller_default_bp if seller_default_bp is not None else 0


def commission_on(amount_minor: int, rate_bp: int) -> int:
    return amount_minor * rate_bp // FULL_BP


@dataclass(frozen=True)
class CommissionLine:
    """An order line as sold: its price, quantity and the rate in force then."""

    unit_price: Money
    quantity: int
    rate_bp: int
    discount_minor: int = 0  # off the whole line (a coupon's share), 0 to its gross

    def __post_init__(self) -> None:
        check_rate(self.rate_bp)
        if self.quantity < 1 or self.unit_price.amount_minor < 0:
            raise ValidationError(
                "a line sells at least one unit at a price", code=LedgerCode.BAD_LINE
            )
        if not 0 <= self.discount_minor <= self.unit_price.amount_minor * self.quantity:
            raise ValidationError(
                "a line's discount is at most its price", code=LedgerCode.BAD_LINE
            )

    @property
    def gmv(self) -> Money:
        return Money(self._paid_for(self.quantity), self.unit_price.currency)

    @property
    def earned(self) -> Money:
        return self._on_units(self.quantity)

    def reversal(self, refunded_before: int, refunding: int) -> Money:
        """What a refund of `refunding` units takes back, after `refunded_before` were."""
        kept = self._kept(refunded_before, refunding)
        before = self._on_units(kept).amount_minor
        return Money(
            before - self._on_units(kept - refunding).amount_minor, self.unit_price.currency
        )

    def refunded_gmv(self, refunded_before: int, refunding: int) -> Money:
        """What the buyer gets back for `refunding` units, after `refunded_before` were."""
        kept = self._kept(refunded_before, refunding)
        back = self._paid_for(kept) - self._paid_for(kept - refunding)
        return Money(back, self.unit_price.currency)

    def _kept(self, refunded_before: int, refunding: int) -> int:
        kept = self.quantity - refunded_before
        if refunded_before < 0 or not 1 <= refunding <= kept:
            raise Conflict(
                f"only {max(kept, 0)} units of this line are left to refund",
                code=LedgerCode.REFUND_EXCEEDS_SALE,
            )
        return kept

    def _paid_for(self, units: int) -> int:
        """What `units` of the line cost the buyer: their price less their share of the
        discount (all of it for every unit)."""
        share = self.discount_minor * units // self.quantity
        return self.unit_price.amount_minor * units - share

    def _on_units(self, units: int) -> Money:
        return Money(commission_on(self._paid_for(units), self.rate_bp), self.unit_price.currency)


@dataclass(frozen=True)
class LedgerEntry:
    """Amounts are positive; `kind` says whether they add or take back."""

    kind: EntryKind
    host_id: int
    seller_id: int
    stream_id: int
    currency: str
    gmv_minor: int
    commission_minor: int
    at: datetime

    @property
    def sign(self) -> int:
        return 1 if self.kind == EntryKind.SALE else -1


def sale_entry(
    line: CommissionLine, *, host_id: int, seller_id: int, stream_id: int, at: datetime
) -> LedgerEntry:
    return LedgerEntry(
        EntryKind.SALE,
        host_id,
        seller_id,
        stream_id,
        line.unit_price.currency,
        line.gmv.amount_minor,
        line.earned.amount_minor,
        at,
    )


def reversal_entry(
    sale: LedgerEntry, line: CommissionLine, refunded_before: int, refunding: int, at: datetime
) -> LedgerEntry:
    """The entry that takes back a refund of `refunding` units of the line `sale` recorded."""
    return LedgerEntry(
        EntryKind.REVERSAL,
        sale.host_id,
        sale.seller_id,
        sale.stream_id,
        sale.currency,
        line.refunded_gmv(refunded_before, refunding).amount_minor,
        line.reversal(refunded_before, refunding).amount_minor,
        at,
    )


@dataclass(frozen=True)
class LedgerKey:
    """A row of a ledger report. Currency is always part of it: amounts never mix."""

    currency: str
    host_id: int | None = None
    seller_id: int | None = None
    stream_id: int | None = None
    period: date | None = None  # the first day of the period


@dataclass(frozen=True)
class Totals:
    sales: int = 0  # sale entries (order lines)
    refunds: int = 0  # reversal entries
    gmv_minor: int = 0  # net of refunds
    commission_minor: int = 0  # net of reversals

    def add(self, entry: LedgerEntry) -> Totals:
        sale = entry.kind == EntryKind.SALE
        return Totals(
            self.sales + sale,
            self.refunds + (not sale),
            self.gmv_minor + entry.sign * entry.gmv_minor,
            self.commission_minor + entry.sign * entry.commission_minor,
        )


def aggregate(
    entries: Iterable[LedgerEntry],
    *,
    by_host: bool = False,
    by_seller: bool = False,
    by_stream: bool = False,
    period: Period | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[LedgerKey, Totals]:
    """Totals per currency and per whichever of host, seller, stream and period are asked,
    over entries at `since` <= at < `until`. Periods are calendar periods in UTC."""
    found: defaultdict[LedgerKey, Totals] = defaultdict(Totals)
    for entry in entries:
        if (since is not None and entry.at < since) or (until is not None and entry.at >= until):
            continue
        key = LedgerKey(
            currency=entry.currency,
            host_id=entry.host_id if by_host else None,
            seller_id=entry.seller_id if by_seller else None,
            stream_id=entry.stream_id if by_stream else None,
            period=period_start(entry.at, period) if period is not None else None,
        )
        found[key] = found[key].add(entry)
    return dict(found)


def period_start(at: datetime, period: Period) -> date:
    day = at.date() if at.tzinfo is None else at.astimezone(UTC).date()
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    return day
