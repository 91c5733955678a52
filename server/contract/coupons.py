"""Coupons: what POST /api/coupons takes, checked once the caller may create coupons at all
(CouponService.authorize_create). What needs the database (whose show or shop the scope names)
and the coupon's own rules (server/core/domain/coupons.py) the service checks after."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from server.contract.body import Cleaned, Id, require_object
from server.contract.shapes import Currency, Time, shown
from server.core.domain.coupons import FULL_BP, CouponScope, normalize_code
from server.core.domain.error_codes import CouponCode, GeneralCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import MAX_ID, check_id
from server.core.domain.money import MAX_PRICE_MINOR, check_currency
from server.core.services.coupons import CouponTerms

FIELDS = (
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
)
Positive = Annotated[int | None, shown(Annotated[int, Field(ge=1)])]
When = Annotated[datetime | None, shown(Time)]
ScopeId = Annotated[int | None, shown(Id)]


class NewCoupon(Cleaned):
    """Exactly one of percent_bp and fixed_minor; currency goes with fixed_minor and
    min_order_minor. Sellers: their shop (scope seller). Hosts: one of their shows
    (stream_id). Admins: any scope, platform included."""

    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, shown(Annotated[str, Field(pattern="^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$")])]
    percent_bp: Annotated[int | None, shown(Annotated[int, Field(ge=1, le=FULL_BP)])] = None
    fixed_minor: Positive = None
    currency: Annotated[str | None, shown(Currency)] = None
    min_order_minor: Positive = None
    starts_at: When = None
    ends_at: When = None
    max_uses: Positive = None
    per_buyer_limit: Positive = None
    scope: Annotated[CouponScope | None, shown(Literal["stream", "seller", "platform"])] = None
    stream_id: ScopeId = None
    seller_id: ScopeId = None

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected a JSON object describing the coupon")
        unknown = set(given) - set(FIELDS)
        if unknown:
            raise ValidationError(
                f"unknown fields: {', '.join(sorted(unknown))}", code=GeneralCode.BAD_FIELD
            )
        scope = _scope(given.get("scope"))
        stream_id, seller_id = _scope_id(given, "stream_id"), _scope_id(given, "seller_id")
        fixed = _integer(given, "fixed_minor", MAX_PRICE_MINOR, CouponCode.BAD_COUPON_VALUE)
        minimum = _integer(given, "min_order_minor", MAX_PRICE_MINOR, CouponCode.BAD_COUPON_VALUE)
        if minimum is not None and minimum < 1:
            raise ValidationError(
                "min_order_minor must be positive", code=CouponCode.BAD_COUPON_VALUE
            )
        currency = given.get("currency")
        if fixed is None and minimum is None:
            if currency is not None:
                raise ValidationError(
                    "currency goes with fixed_minor or min_order_minor",
                    code=CouponCode.BAD_COUPON_VALUE,
                )
        else:
            currency = check_currency(currency)
        cleaned = {
            "scope": scope,
            "stream_id": stream_id,
            "seller_id": seller_id,
            "fixed_minor": fixed,
            "min_order_minor": minimum,
            "currency": currency,
            "percent_bp": _integer(given, "percent_bp", MAX_ID, CouponCode.BAD_COUPON_VALUE),
            "starts_at": _time(given, "starts_at"),
            "ends_at": _time(given, "ends_at"),
            "max_uses": _integer(given, "max_uses", MAX_ID, CouponCode.BAD_COUPON_LIMIT),
            "per_buyer_limit": _integer(
                given, "per_buyer_limit", MAX_ID, CouponCode.BAD_COUPON_LIMIT
            ),
        }
        return cleaned | {"code": normalize_code(given.get("code"))}

    def terms(self) -> CouponTerms:
        return CouponTerms(**{name: getattr(self, name) for name in FIELDS})


def _scope(raw: object) -> CouponScope | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in set(CouponScope):
        raise ValidationError(
            "scope must be stream, seller or platform", code=CouponCode.BAD_COUPON_SCOPE
        )
    return CouponScope(raw)


def _scope_id(data: dict[str, object], name: str) -> int | None:
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
