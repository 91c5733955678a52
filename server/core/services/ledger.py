"""The commission ledger as stored: one entry per order line paid (sale) or refunded (reversal),
written inside the order's transaction, and reports summed in SQL.

The rules are server/core/domain/commissions.py's, applied here: each entry is the domain's
`sale_entry` or `reversal_entry` of the line (GMV after the discount, rounding, refunds by
units), and a report equals the domain's `aggregate` over the same entries, periods included,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Select, case, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from server.core.domain.commissions import (
    CommissionLine,
    EntryKind,
    LedgerEntry,
    LedgerKey,
    Period,
    Totals,
    reversal_entry,
    sale_entry,
)
from server.core.domain.error_codes import CatalogCode, GeneralCode
from server.core.domain.errors import Forbidden, NotFound, ValidationError
from server.core.domain.money import Money
from server.core.domain.replays import OrderSource
from server.core.domain.roles import Principal, Role
from server.core.services.offers import offer_rates
from server.core.store.db import Database
from server.core.store.rows import CommissionEntry, Order, OrderLine, Seller


class Viewpoint(StrEnum):
    """Whose ledger the caller reads: their own as a host or a seller, or all as an admin."""

    HOST = "host"
    SELLER = "seller"
    ADMIN = "admin"


GROUPS = frozenset({"stream", "period", "host", "seller"})


@dataclass(frozen=True)
class SourcedKey(LedgerKey):
    """A row of a report split by where its orders were bought: live in the show or from its
    replay (the order's `source`; a reversal goes with its sale)."""

    source: OrderSource = OrderSource.LIVE


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_sale(
        self, session: AsyncSession, order: Order, now: datetime
    ) -> list[CommissionEntry]:
        """One sale entry per line of a paid order bought in a show, inside the caller's
        transaction. The GMV is what the buyer paid for the line, after its discount; the rate
        is the offer's when the host joined one for the product (services/offers.py), else the
        line's own. A line already recorded is skipped, so a redelivered payment records
        nothing twice."""
        if order.host_id is None or order.stream_id is None:
            return []
        lines = list(
            await session.scalars(
                select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
            )
        )
        recorded = set(
            await session.scalars(
                select(CommissionEntry.order_line_id).where(
                    CommissionEntry.order_line_id.in_([line.id for line in lines]),
                    CommissionEntry.kind == EntryKind.SALE,
                )
            )
        )
        host_id, stream_id, at = order.host_id, order.stream_id, _utc(now)
        lines = [line for line in lines if line.id not in recorded]
        # A host who joined an offer for the product earns its rate (set on the line, so a
        # refund reverses what was earned); without one the line keeps the rate it was sold at.
        sold = {(line.product_id, line.seller_id) for line in lines}
        rates = await offer_rates(session, host_id, sold) if sold else {}
        for line in lines:
            line.commission_bp = rates.get(line.product_id, line.commission_bp)
        entries = [_sale(line, host_id, stream_id, at) for line in lines]
        session.add_all(entries)
        return entries

    async def record_refund(
        self, session: AsyncSession, order: Order, now: datetime
    ) -> list[CommissionEntry]:
        """The refund of the whole order: per recorded line, the domain's reversal of every unit
        (what the sale recorded, exactly), inside the caller's transaction. Lines never
        recorded, or already reversed, get none: calling it twice reverses once (the caller
        holds the order's row lock, as a refund does)."""
        found = await session.execute(
            select(CommissionEntry, OrderLine)
            .join(OrderLine, OrderLine.id == CommissionEntry.order_line_id)
            .where(OrderLine.order_id == order.id)
            .order_by(CommissionEntry.id)
        )
        sales: dict[int, tuple[CommissionEntry, OrderLine]] = {}
        reversed_lines: set[int] = set()
        for entry, line in found:
            if entry.kind == EntryKind.SALE:
                sales.setdefault(line.id, (entry, line))
            else:
                reversed_lines.add(line.id)
        entries = [
            _row(
                line.id,
                reversal_entry(_entry(sale), _terms(line), 0, line.quantity, _utc(now)),
            )
            for sale, line in sales.values()
            if line.id not in reversed_lines
        ]
        session.add_all(entries)
        return entries

    async def report(
        self,
        principal: Principal,
        *,
        as_: str,
        by: Collection[str] = (),
        period: Period | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        host_id: int | None = None,
        seller_id: int | None = None,
        by_source: bool = False,
    ) -> dict[LedgerKey, Totals]:
        """Totals per currency and per whichever of stream, period, host and seller `by` names,
        over entries at `since` <= at < `until`: what domain `aggregate` gives for the same
        entries. A host sees their own entries, a seller their shop's, an admin any.
        `by_source`: each row split by its orders' source too (its keys are `SourcedKey`s)."""
        groups = _check_groups(by, period)
        if since is not None and until is not None and since >= until:
            raise ValidationError("since must be before until", code=GeneralCode.BAD_QUERY)
        viewpoint = _check_viewpoint(as_)
        if viewpoint == Viewpoint.HOST:
            host_id = _own_host_id(principal, host_id)
        elif viewpoint == Viewpoint.SELLER:
            seller_id = await self._own_seller_id(principal, seller_id)
        elif principal.role != Role.ADMIN:
            raise Forbidden("only admins see the whole ledger")
        query = _report_query(self._db.engine.dialect.name, groups, period)
        if by_source:
            query = _by_source(query)
        for column, wanted in (
            (CommissionEntry.host_id, host_id),
            (CommissionEntry.seller_id, seller_id),
        ):
            if wanted is not None:
                query = query.where(column == wanted)
        if since is not None:
            query = query.where(CommissionEntry.at >= _utc(since))
        if until is not None:
            query = query.where(CommissionEntry.at < _utc(until))
        async with self._db.reading() as session:
            rows = (await session.execute(query)).mappings().all()
        return {_key(row, by_source): _totals(row) for row in rows}

    async def _own_seller_id(self, principal: Principal, seller_id: int | None) -> int:
        if principal.role != Role.SELLER:
            raise Forbidden("only sellers see a shop's ledger")
        async with self._db.reading() as session:
            own = await session.scalar(select(Seller.id).where(Seller.user_id == principal.user_id))
        if own is None:
            raise NotFound("open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER)
        if seller_id is not None and seller_id != own:
            raise Forbidden("you can only see your own shop's ledger")
        return own


def _check_viewpoint(as_: object) -> Viewpoint:
    if not isinstance(as_, str) or as_ not in set(Viewpoint):
        raise ValidationError("as must be host, seller or admin", code=GeneralCode.BAD_QUERY)
    return Viewpoint(as_)


def _check_groups(by: Collection[str], period: Period | None) -> frozenset[str]:
    groups = frozenset(by)
    unknown = groups - GROUPS
    if unknown:
        raise ValidationError(
            f"by takes stream, period, host and seller, not {', '.join(sorted(unknown))}",
            code=GeneralCode.BAD_QUERY,
        )
    if ("period" in groups) != (period is not None):
        raise ValidationError(
            "by=period needs period=day, week or month, and period needs by=period",
            code=GeneralCode.BAD_QUERY,
        )
    return groups


def _own_host_id(principal: Principal, host_id: int | None) -> int:
    if principal.role != Role.HOST or principal.user_id is None:
        raise Forbidden("only hosts see a host's ledger")
    if host_id is not None and host_id != principal.user_id:
        raise Forbidden("you can only see your own commission")
    return principal.user_id


def _sale(line: OrderLine, host_id: int, stream_id: int, at: datetime) -> CommissionEntry:
    entry = sale_entry(
        _terms(line), host_id=host_id, seller_id=line.seller_id, stream_id=stream_id, at=at
    )
    return _row(line.id, entry)


def _terms(line: OrderLine) -> CommissionLine:
    """The line as the domain's rules see it: its price, units, rate and discount as sold."""
    return CommissionLine(
        Money(line.unit_price_minor, line.currency),
        line.quantity,
        line.commission_bp,
        line.discount_minor,
    )


def _entry(row: CommissionEntry) -> LedgerEntry:
    return LedgerEntry(
        EntryKind(row.kind),
        row.host_id,
        row.seller_id,
        row.stream_id,
        row.currency,
        row.gmv_minor,
        row.commission_minor,
        _utc(row.at) if row.at.tzinfo else row.at.replace(tzinfo=UTC),
    )


def _row(line_id: int, entry: LedgerEntry) -> CommissionEntry:
    return CommissionEntry(
        order_line_id=line_id,
        kind=entry.kind.value,
        host_id=entry.host_id,
        seller_id=entry.seller_id,
        stream_id=entry.stream_id,
        currency=entry.currency,
        gmv_minor=entry.gmv_minor,
        commission_minor=entry.commission_minor,
        at=entry.at,
    )


def _report_query(dialect: str, groups: frozenset[str], period: Period | None) -> Select[Any]:
    entry = CommissionEntry
    keys: list[ColumnElement[Any]] = [entry.currency.label("currency")]
    for name, column in (
        ("host", entry.host_id),
        ("seller", entry.seller_id),
        ("stream", entry.stream_id),
    ):
        if name in groups:
            keys.append(column.label(f"{name}_id"))
    if period is not None:
        keys.append(_period_start(dialect, period).label("period"))
    sale = case((entry.kind == EntryKind.SALE.value, 1), else_=0)
    sign = case((entry.kind == EntryKind.SALE.value, 1), else_=-1)
    return (
        select(
            *keys,
            func.sum(sale).label("sales"),
            func.sum(1 - sale).label("refunds"),
            func.sum(sign * entry.gmv_minor).label("gmv_minor"),
            func.sum(sign * entry.commission_minor).label("commission_minor"),
        )
        .group_by(*keys)
        .order_by(*keys)
    )


def _by_source(query: Select[Any]) -> Select[Any]:
    source = Order.source
    return (
        query.join(OrderLine, OrderLine.id == CommissionEntry.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .add_columns(source.label("source"))
        .group_by(source)
        .order_by(source)
    )


def _period_start(dialect: str, period: Period) -> ColumnElement[Any]:
    """The UTC calendar day, ISO week (from Monday) or month an entry falls in, as
    domain period_start has it. Literals, not parameters: GROUP BY must see the same
    expression as the select list."""
    at = CommissionEntry.at
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), at)
        return cast(func.date_trunc(literal_column(f"'{period.value}'"), utc), Date)
    # SQLite keeps UTC wall times (every write here stores UTC): date() reads them as such.
    modifiers = {
        Period.DAY: [],
        Period.WEEK: ["'-6 days'", "'weekday 1'"],  # back six days, then on to a Monday
        Period.MONTH: ["'start of month'"],
    }[period]
    return func.date(at, *(literal_column(m) for m in modifiers))


def _key(row: Any, by_source: bool) -> LedgerKey:
    period = row.get("period")
    if isinstance(period, str):  # SQLite's date() gives text
        period = date.fromisoformat(period)
    key = LedgerKey(
        currency=row["currency"],
        host_id=row.get("host_id"),
        seller_id=row.get("seller_id"),
        stream_id=row.get("stream_id"),
        period=period,
    )
    if not by_source:
        return key
    return SourcedKey(**vars(key), source=OrderSource(row["source"]))


def _totals(row: Any) -> Totals:
    # PostgreSQL sums bigints as numeric: back to int.
    return Totals(
        sales=int(row["sales"]),
        refunds=int(row["refunds"]),
        gmv_minor=int(row["gmv_minor"]),
        commission_minor=int(row["commission_minor"]),
    )


def _utc(value: datetime) -> datetime:
    """Stored and compared in UTC: SQLite keeps only the wall time of what it is given."""
    if value.tzinfo is None:
        raise ValueError("ledger times carry a zone")
    return value.astimezone(UTC)
