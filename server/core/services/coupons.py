"""Coupons as stored: created by sellers, hosts and admins, redeemed inside an order's write
transaction. The rules (who a coupon covers, how much it takes off) are core/domain/coupons.py.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.coupons import (
    Coupon,
    CouponContext,
    CouponLine,
    CouponScope,
    Discount,
    apply,
    check_usable,
    normalize_code,
)
from server.core.domain.error_codes import CatalogCode, CouponCode, StreamCode
from server.core.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from server.core.domain.money import Money
from server.core.domain.orders import OrderStatus
from server.core.domain.roles import Principal, Role, can_run_stream
from server.core.store import rows as models
from server.core.store.db import Database

CREATORS = frozenset({Role.SELLER, Role.HOST, Role.ADMIN})


@dataclass(frozen=True)
class CouponTerms:
    """A coupon as asked, its fields checked (server/contract/coupons.py): the code normalized,
    numbers in their storage range, times in UTC, the currency with the amounts that need it.
    The scope (`None`: from the ids given, else the creator's role) and the coupon's own rules
    are checked when it is created."""

    code: str
    percent_bp: int | None = None
    fixed_minor: int | None = None
    currency: str | None = None
    min_order_minor: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    per_buyer_limit: int | None = None
    scope: CouponScope | None = None
    stream_id: int | None = None
    seller_id: int | None = None


class CouponService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def authorize_create(self, principal: Principal) -> None:
        """Only sellers, hosts and admins create coupons (asked before the fields are checked;
        whose show or shop the coupon may cover is checked when it is created)."""
        if principal.user_id is None or principal.role not in CREATORS:
            raise Forbidden("only sellers, hosts and admins create coupons")

    async def create(self, principal: Principal, terms: CouponTerms) -> models.Coupon:
        """A seller's coupon covers their shop, a host's one of their shows; an admin's any
        scope, platform-wide included."""
        self.authorize_create(principal)
        scope = _scope(terms, principal.role)
        async with self._db.reading() as session:
            scope_id = await _scope_id(session, principal, scope, terms)
        coupon = _coupon(terms, scope, scope_id)
        row = models.Coupon(**_columns(coupon), used=0, created_by=principal.user_id)
        try:
            async with self._db.writing() as session:
                session.add(row)
        except IntegrityError:
            raise Conflict(
                f"the code {coupon.code} is taken", code=CouponCode.COUPON_EXISTS
            ) from None
        return row

    async def get(self, code: object) -> models.Coupon:
        wanted = normalize_code(code)
        async with self._db.reading() as session:
            row = await session.scalar(select(models.Coupon).where(models.Coupon.code == wanted))
        if row is None:
            raise NotFound("no such coupon", code=CouponCode.COUPON_UNKNOWN)
        return row

    async def redeem(
        self,
        session: AsyncSession,
        code: object,
        *,
        buyer_id: int,
        stream_id: int | None,
        lines: Sequence[CouponLine],
        now: datetime,
    ) -> tuple[models.Coupon, Discount]:
        """Count one use of the coupon and work out its discount on `lines`, inside the
        caller's write transaction (`session` from Database.writing()).

        The conditional UPDATE counts the use and takes the coupon's row lock, which holds
        until the caller commits: redemptions of one coupon queue behind it, so `max_uses` and
        the per-buyer count are exact under concurrency. Any refusal raises a DomainError and
        the caller's rollback undoes the count. Call it before adding the order that carries
        the coupon's id: the per-buyer count reads the buyer's earlier orders.
        """
        wanted = normalize_code(code)
        counted = (
            update(models.Coupon)
            .where(
                models.Coupon.code == wanted,
                or_(models.Coupon.max_uses.is_(None), models.Coupon.used < models.Coupon.max_uses),
            )
            .values(used=models.Coupon.used + 1)
            .returning(models.Coupon)
        )
        row = await session.scalar(counted)
        if row is None:
            raise await _refusal(session, wanted, stream_id, now)
        earlier = await session.scalar(
            select(func.count())
            .select_from(models.Order)
            .where(
                models.Order.buyer_id == buyer_id,
                models.Order.coupon_id == row.id,
                models.Order.status != OrderStatus.CANCELLED,
            )
        )
        # Judged as it stood before this use, which the UPDATE has already counted.
        coupon = replace(to_domain(row), used=row.used - 1)
        context = CouponContext(now=now, stream_id=stream_id, buyer_uses=earlier or 0)
        return row, apply(coupon, lines, context)

    async def give_back(self, session: AsyncSession, coupon_id: int) -> None:
        """An order that used the coupon was cancelled: the use no longer counts."""
        await session.execute(
            update(models.Coupon)
            .where(models.Coupon.id == coupon_id, models.Coupon.used > 0)
            .values(used=models.Coupon.used - 1)
        )

    async def list(self, principal: Principal) -> builtins.list[models.Coupon]:
        """The coupons the caller created; an admin sees every one."""
        query = select(models.Coupon).order_by(models.Coupon.id)
        if principal.role != Role.ADMIN:
            if principal.user_id is None:
                return []
            query = query.where(models.Coupon.created_by == principal.user_id)
        async with self._db.reading() as session:
            return builtins.list(await session.scalars(query))


def to_domain(row: models.Coupon) -> Coupon:
    currency = row.currency or ""
    return Coupon(
        code=row.code,
        scope=CouponScope(row.scope),
        scope_id=row.scope_id,
        percent_bp=row.percent_bp,
        fixed=Money(row.fixed_minor, currency) if row.fixed_minor is not None else None,
        min_order=Money(row.min_order_minor, currency) if row.min_order_minor is not None else None,
        starts_at=_aware(row.starts_at),
        ends_at=_aware(row.ends_at),
        max_uses=row.max_uses,
        per_buyer_limit=row.per_buyer_limit,
        used=row.used,
    )


async def _refusal(
    session: AsyncSession, code: str, stream_id: int | None, now: datetime
) -> DomainError:
    """The UPDATE counted nothing: say why, in the rules' own order (check_usable raises what
    comes first: not started, expired, used up)."""
    row = await session.scalar(select(models.Coupon).where(models.Coupon.code == code))
    if row is None:
        return NotFound("no such coupon", code=CouponCode.COUPON_UNKNOWN)
    check_usable(to_domain(row), CouponContext(now=now, stream_id=stream_id, buyer_uses=0))
    return Conflict("this coupon has been used up", code=CouponCode.COUPON_EXHAUSTED)


def _scope(terms: CouponTerms, role: Role) -> CouponScope:
    """As asked, or else from the id given, or else the role's own: a seller's shop, a host's
    show, the platform for an admin."""
    if terms.scope is not None:
        return terms.scope
    if terms.stream_id is not None:
        return CouponScope.STREAM
    if terms.seller_id is not None:
        return CouponScope.SELLER
    return {Role.HOST: CouponScope.STREAM, Role.SELLER: CouponScope.SELLER}.get(
        role, CouponScope.PLATFORM
    )


async def _scope_id(
    session: AsyncSession, principal: Principal, scope: CouponScope, terms: CouponTerms
) -> int | None:
    stream_id, seller_id = terms.stream_id, terms.seller_id
    if (stream_id is not None and scope != CouponScope.STREAM) or (
        seller_id is not None and scope != CouponScope.SELLER
    ):
        raise ValidationError(
            f"a {scope} coupon names no other scope", code=CouponCode.BAD_COUPON_SCOPE
        )
    if scope == CouponScope.PLATFORM:
        if principal.role != Role.ADMIN:
            raise Forbidden("only admins create platform-wide coupons")
        return None
    if scope == CouponScope.STREAM:
        return await _own_stream(session, principal, stream_id)
    return await _own_shop(session, principal, seller_id)


async def _own_stream(session: AsyncSession, principal: Principal, stream_id: int | None) -> int:
    if stream_id is None:
        raise ValidationError("a stream coupon needs stream_id", code=CouponCode.BAD_COUPON_SCOPE)
    stream = await session.get(models.Stream, stream_id)
    if stream is None:
        raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
    if not can_run_stream(principal, stream.host_id):
        raise Forbidden("only the show's host (or an admin) creates coupons for it")
    return stream.id


async def _own_shop(session: AsyncSession, principal: Principal, seller_id: int | None) -> int:
    if principal.role == Role.ADMIN:
        if seller_id is None:
            raise ValidationError(
                "a seller coupon needs seller_id", code=CouponCode.BAD_COUPON_SCOPE
            )
        if await session.get(models.Seller, seller_id) is None:
            raise NotFound("no such seller", code=CatalogCode.SELLER_NOT_FOUND)
        return seller_id
    if principal.role != Role.SELLER:
        raise Forbidden("only the shop's seller (or an admin) creates coupons for it")
    own = await session.scalar(
        select(models.Seller.id).where(models.Seller.user_id == principal.user_id)
    )
    if own is None:
        raise NotFound("open a shop first (POST /api/sellers)", code=CatalogCode.NO_SELLER)
    if seller_id is not None and seller_id != own:
        raise Forbidden("you can only create coupons for your own shop")
    return own


def _coupon(terms: CouponTerms, scope: CouponScope, scope_id: int | None) -> Coupon:
    """The domain coupon the terms describe: building it checks the rules."""
    currency = terms.currency or ""
    fixed, minimum = terms.fixed_minor, terms.min_order_minor
    return Coupon(
        code=terms.code,
        scope=scope,
        scope_id=scope_id,
        percent_bp=terms.percent_bp,
        fixed=Money(fixed, currency) if fixed is not None else None,
        min_order=Money(minimum, currency) if minimum is not None else None,
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        max_uses=terms.max_uses,
        per_buyer_limit=terms.per_buyer_limit,
    )


def _columns(coupon: Coupon) -> dict[str, object]:
    money = coupon.fixed or coupon.min_order
    return {
        "code": coupon.code,
        "scope": coupon.scope.value,
        "scope_id": coupon.scope_id,
        "percent_bp": coupon.percent_bp,
        "fixed_minor": coupon.fixed.amount_minor if coupon.fixed else None,
        "currency": money.currency if money else None,
        "min_order_minor": coupon.min_order.amount_minor if coupon.min_order else None,
        "starts_at": coupon.starts_at,
        "ends_at": coupon.ends_at,
        "max_uses": coupon.max_uses,
        "per_buyer_limit": coupon.per_buyer_limit,
    }


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
