"""Commission statements from the stored ledger: a host reads what each shop owes them per month,
a seller what their shop owes each host (server/core/domain/statements.py's rules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.commissions import EntryKind, LedgerEntry
from server.core.domain.error_codes import CatalogCode, GeneralCode
from server.core.domain.errors import Forbidden, NotFound, ValidationError
from server.core.domain.roles import Principal, Role
from server.core.domain.statements import Statement, next_month, statements
from server.core.store.db import Database
from server.core.store.rows import CommissionEntry, Seller, User, as_utc, utcnow


@dataclass(frozen=True)
class NamedStatement:
    """A statement with the names of the two sides, as the pages and the CSV show them."""

    statement: Statement
    host_name: str
    shop_name: str


class StatementService:
    def __init__(
        self, db: Database, refund_window_days: int, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._db = db
        self.refund_window_days = refund_window_days
        self._clock = clock

    async def statements(
        self,
        principal: Principal,
        *,
        as_: str,
        since: date | None = None,
        until: date | None = None,
    ) -> list[NamedStatement]:
        """The caller's statements for the months `since` to `until` (first days, both in),
        as the host or the seller; admins read any with as=admin."""
        if since is not None and until is not None and since > until:
            raise ValidationError("from must not be after to", code=GeneralCode.BAD_QUERY)
        query = select(CommissionEntry)
        async with self._db.reading() as session:
            if as_ == "host":
                if principal.role != Role.HOST or principal.user_id is None:
                    raise Forbidden("only hosts read a host's statements")
                query = query.where(CommissionEntry.host_id == principal.user_id)
            elif as_ == "seller":
                if principal.role != Role.SELLER:
                    raise Forbidden("only sellers read a shop's statements")
                shop = await session.scalar(
                    select(Seller.id).where(Seller.user_id == principal.user_id)
                )
                if shop is None:
                    raise NotFound(
                        "open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER
                    )
                query = query.where(CommissionEntry.seller_id == shop)
            elif as_ == "admin":
                if principal.role != Role.ADMIN:
                    raise Forbidden("only admins read every statement")
            else:
                raise ValidationError(
                    "as must be host, seller or admin", code=GeneralCode.BAD_QUERY
                )
            if since is not None:
                query = query.where(CommissionEntry.at >= _start(since))
            if until is not None:
                query = query.where(CommissionEntry.at < _start(next_month(until)))
            entries = [_entry(row) for row in await session.scalars(query)]
            found = statements(
                entries, now=self._clock(), refund_window_days=self.refund_window_days
            )
            hosts, shops = await _names(session, found)
        return [
            NamedStatement(s, hosts.get(s.key.host_id, ""), shops.get(s.key.seller_id, ""))
            for s in found
        ]


async def _names(
    session: AsyncSession, found: list[Statement]
) -> tuple[dict[int, str], dict[int, str]]:
    host_ids = {s.key.host_id for s in found}
    shop_ids = {s.key.seller_id for s in found}
    hosts = dict(
        (
            await session.execute(select(User.id, User.display_name).where(User.id.in_(host_ids)))
        ).all()
    )
    shops = dict(
        (await session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(shop_ids)))).all()
    )
    return hosts, shops


def _entry(row: CommissionEntry) -> LedgerEntry:
    return LedgerEntry(
        EntryKind(row.kind),
        row.host_id,
        row.seller_id,
        row.stream_id,
        row.currency,
        row.gmv_minor,
        row.commission_minor,
        as_utc(row.at),
    )


def _start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)
