"""Coupons as stored: created by sellers, hosts and admins, redeemed inside an order's write
transaction. The rules (who a coupon covers, how much it takes off) are core/domain/coupons.py.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
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
from server.core.domain.error_codes import CatalogCode, CouponCode, GeneralCode, StreamCode
from server.core.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from server.core.domain.ids import MAX_ID, check_id
from server.core.domain.money import MAX_PRICE_MINOR, Money, check_currency
from server.core.domain.orders import OrderStatus
from server.core.domain.roles import Principal, Role, can_run_stream
from server.core.store import rows as models
from server.core.store.db import Database

CREATORS = frozenset({Role.SELLER, Role.HOST, Role.ADMIN})
FIELDS = frozenset(
    {
        "code",
        "percent_bp",
        "fixed_minor",
        "currency",
        "min_order_minor",
        "starts_at",
        "ends_at",
        "max_uses",
        "per_buyer_limit",
        "scope",
        "stream_id",
        "seller_id",
    }
)


class CouponService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, principal: Principal, payload: object) -> models.Coupon:
        """A seller's coupon covers their shop, a host's one of their shows; an admin's any
        scope, platform-wide included."""
        if principal.user_id is None or principal.role not in CREATORS:
            raise Forbidden("only sellers, hosts and admins create coupons")
        data = _fields(payload)
        scope = _scope(data, principal.role)
        async with self._db.reading() as session:
            scope_id = await _scope_id(session, principal, scope, data)
        coupon = _terms(data, scope, scope_id)
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


def _fields(payload: object) -> dict[str, object]:
    if not isinstance(payload, dict):
        raise ValidationError("expected a JSON object describing the coupon")
    unknown = set(payload) - FIELDS
    if unknown:
        raise ValidationError(
            f"unknown fields: {', '.join(sorted(unknown))}", code=GeneralCode.BAD_FIELD
        )
    return payload


def _scope(data: dict[str, object], role: Role) -> CouponScope:
    """As asked, or else from the id given, or else the role's own: a seller's shop, a host's
    show, the platform for an admin."""
    raw = data.get("scope")
    if raw is not None:
        if not isinstance(raw, str) or raw not in set(CouponScope):
            raise ValidationError(
                "scope must be stream, seller or platform", code=CouponCode.BAD_COUPON_SCOPE
            )
        return CouponScope(raw)
    if data.get("stream_id") is not None:
        return CouponScope.STREAM
    if data.get("seller_id") is not None:
        return CouponScope.SELLER
    return {Role.HOST: CouponScope.STREAM, Role.SELLER: CouponScope.SELLER}.get(
        role, CouponScope.PLATFORM
    )


async def _scope_id(
    session: AsyncSession, principal: Principal, scope: CouponScope, data: dict[str, object]
) -> int | None:
    stream_id = _optional_id(data, "stream_id")
    seller_id = _optional_id(data, "seller_id")
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


def _terms(data: dict[str, object], scope: CouponScope, scope_id: int | None) -> Coupon:
    """The domain coupon the payload describes: building it checks the rules."""
    fixed = _integer(data, "fixed_minor", MAX_PRICE_MINOR, CouponCode.BAD_COUPON_VALUE)
    minimum = _integer(data, "min_order_minor", MAX_PRICE_MINOR, CouponCode.BAD_COUPON_VALUE)
    if minimum is not None and minimum < 1:
        raise ValidationError("min_order_minor must be positive", code=CouponCode.BAD_COUPON_VALUE)
    currency = data.get("currency")
    if fixed is None and minimum is None:
        if currency is not None:
            raise ValidationError(
                "currency goes with fixed_minor or min_order_minor",
                code=CouponCode.BAD_COUPON_VALUE,
            )
    else:
        currency = check_currency(currency)
    return Coupon(
        code=data.get("code"),  # type: ignore[arg-type]  # normalize_code checks it
        scope=scope,
        scope_id=scope_id,
        percent_bp=_integer(data, "percent_bp", MAX_ID, CouponCode.BAD_COUPON_VALUE),
        fixed=Money(fixed, str(currency)) if fixed is not None else None,
        min_order=Money(minimum, str(currency)) if minimum is not None else None,
        starts_at=_time(data, "starts_at"),
        ends_at=_time(data, "ends_at"),
        max_uses=_integer(data, "max_uses", MAX_ID, CouponCode.BAD_COUPON_LIMIT),
        per_buyer_limit=_integer(data, "per_buyer_limit", MAX_ID, CouponCode.BAD_COUPON_LIMIT),
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


def _optional_id(data: dict[str, object], name: str) -> int | None:
    value = data.get(name)
    return None if value is None else check_id(value, name, code=CouponCode.BAD_COUPON_SCOPE)


def _integer(data: dict[str, object], name: str, maximum: int, code: CouponCode) -> int | None:
    """Type and storage range only: what a value may mean is the domain's to say."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > maximum:
        raise ValidationError(f"{name} must be an integer up to {maximum}", code=code)
    return value


def _time(data: dict[str, object], name: str) -> datetime | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError(
            f"{name} must be an ISO 8601 time with a zone", code=GeneralCode.BAD_TIME
        )
    return parsed.astimezone(UTC)  # SQLite keeps the wall time only: store UTC


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
