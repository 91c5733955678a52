"""Coupons: codes that take a percentage or a fixed amount off the lines they cover.

A coupon is valid in one stream, for one seller's products, or platform-wide. The discount is
worked out on the covered lines' total, then split over those lines in proportion to their
amounts (largest remainder, ties to the earlier line), so the per-line discounts add up to the
total exactly and no line goes below zero. A percentage rounds down: the buyer never gets more
than the stated percentage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from server.core.domain.error_codes import CouponCode
from server.core.domain.errors import Conflict, NotFound, ValidationError
from server.core.domain.money import Money

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")
FULL_BP = 10_000  # basis points in 100 %


class CouponScope(StrEnum):
    STREAM = "stream"
    SELLER = "seller"
    PLATFORM = "platform"


@dataclass(frozen=True)
class Coupon:
    code: str
    scope: CouponScope
    scope_id: int | None  # the stream or seller; None when platform-wide
    percent_bp: int | None = None  # exactly one of percent_bp and fixed
    fixed: Money | None = None
    min_order: Money | None = None  # on the covered lines' total
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    per_buyer_limit: int | None = None
    used: int = 0  # orders that used it so far

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", normalize_code(self.code))
        if (self.scope == CouponScope.PLATFORM) != (self.scope_id is None):
            raise ValidationError(
                "a stream or seller coupon names its stream or seller; a platform one doesn't",
                code=CouponCode.BAD_COUPON_SCOPE,
            )
        if (self.percent_bp is None) == (self.fixed is None):
            raise ValidationError(
                "a coupon is either a percentage or a fixed amount",
                code=CouponCode.BAD_COUPON_VALUE,
            )
        if self.percent_bp is not None and not 1 <= self.percent_bp <= FULL_BP:
            raise ValidationError(
                "percent_bp must be 1 to 10000 (0.01 % to 100 %)", code=CouponCode.BAD_COUPON_VALUE
            )
        if self.fixed is not None and self.fixed.amount_minor <= 0:
            raise ValidationError(
                "a fixed discount must be positive", code=CouponCode.BAD_COUPON_VALUE
            )
        _check_limits(self)


@dataclass(frozen=True)
class CouponLine:
    """An order line as a coupon sees it: whose it is and its amount (price times quantity)."""

    seller_id: int
    amount: Money


@dataclass(frozen=True)
class CouponContext:
    now: datetime
    stream_id: int | None  # where the order is placed; None outside a show
    buyer_uses: int  # this buyer's earlier orders with the coupon


@dataclass(frozen=True)
class Discount:
    total: Money
    per_line: tuple[Money, ...]  # in the order of the lines given, zero where not covered


def normalize_code(code: object) -> str:
    """Codes are read aloud in shows: case and surrounding spaces don't matter."""
    if isinstance(code, str) and CODE.match(code.strip().upper()):
        return code.strip().upper()
    raise ValidationError(
        "a coupon code is 3-32 letters, digits, _ or -, starting with a letter or digit",
        code=CouponCode.BAD_COUPON_CODE,
    )


def find(coupons: Sequence[Coupon], code: object) -> Coupon:
    wanted = normalize_code(code)
    for coupon in coupons:
        if coupon.code == wanted:
            return coupon
    raise NotFound("no such coupon", code=CouponCode.COUPON_UNKNOWN)


def check_usable(coupon: Coupon, context: CouponContext) -> None:
    """Time window and usage limits, before looking at the lines."""
    if coupon.starts_at is not None and context.now < coupon.starts_at:
        raise Conflict("this coupon is not valid yet", code=CouponCode.COUPON_NOT_STARTED)
    if coupon.ends_at is not None and context.now >= coupon.ends_at:
        raise Conflict("this coupon has expired", code=CouponCode.COUPON_EXPIRED)
    if coupon.max_uses is not None and coupon.used >= coupon.max_uses:
        raise Conflict("this coupon has been used up", code=CouponCode.COUPON_EXHAUSTED)
    if coupon.per_buyer_limit is not None and context.buyer_uses >= coupon.per_buyer_limit:
        raise Conflict("you have already used this coupon", code=CouponCode.COUPON_LIMIT_REACHED)


def apply(coupon: Coupon, lines: Sequence[CouponLine], context: CouponContext) -> Discount:
    check_usable(coupon, context)
    covered = [_covers(coupon, line, context) for line in lines]
    if not any(covered):
        raise Conflict(
            "this coupon does not apply to this order", code=CouponCode.COUPON_NOT_APPLICABLE
        )
    currency = _one_currency([line for line, yes in zip(lines, covered, strict=True) if yes])
    amounts = [
        line.amount.amount_minor if yes else 0 for line, yes in zip(lines, covered, strict=True)
    ]
    base = sum(amounts)
    _check_minimum(coupon, base, currency)
    total = _discount_on(coupon, base, currency)
    return Discount(
        Money(total, currency), tuple(Money(d, currency) for d in allocate(total, amounts))
    )


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` in proportion, in integers that sum to `total` exactly.

    Each share is floor(total * weight / sum); the units left over go one each to the largest
    remainders, the earlier line first on a tie. With 0 <= total <= sum(weights), no share
    exceeds its weight: a share only gains a unit when its exact value is not whole.
    """
    whole = sum(weights)
    if not 0 <= total <= whole or any(w < 0 for w in weights):
        raise ValueError("allocate needs 0 <= total <= sum of non-negative weights")
    if whole == 0:
        return [0 for _ in weights]
    shares = [total * w // whole for w in weights]
    left = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def _covers(coupon: Coupon, line: CouponLine, context: CouponContext) -> bool:
    if coupon.scope == CouponScope.STREAM:
        return context.stream_id is not None and context.stream_id == coupon.scope_id
    if coupon.scope == CouponScope.SELLER:
        return line.seller_id == coupon.scope_id
    return True


def _one_currency(lines: Sequence[CouponLine]) -> str:
    currencies = {line.amount.currency for line in lines}
    if len(currencies) != 1:
        raise Conflict("a coupon applies to lines of one currency", code=CouponCode.COUPON_CURRENCY)
    return currencies.pop()


def _check_minimum(coupon: Coupon, base: int, currency: str) -> None:
    if coupon.min_order is None:
        return
    if coupon.min_order.currency != currency:
        raise Conflict(f"this coupon is not valid in {currency}", code=CouponCode.COUPON_CURRENCY)
    if base < coupon.min_order.amount_minor:
        raise Conflict(
            f"this coupon needs an order of at least {coupon.min_order}",
            code=CouponCode.COUPON_MIN_ORDER,
        )


def _discount_on(coupon: Coupon, base: int, currency: str) -> int:
    fixed = coupon.fixed
    if fixed is None:
        return base * (coupon.percent_bp or 0) // FULL_BP
    if fixed.currency != currency:
        raise Conflict(f"this coupon is not valid in {currency}", code=CouponCode.COUPON_CURRENCY)
    return min(fixed.amount_minor, base)  # never more than the lines cost


def _check_limits(coupon: Coupon) -> None:
    for name in ("max_uses", "per_buyer_limit"):
        value = getattr(coupon, name)
        if value is not None and value < 1:
            raise ValidationError(f"{name} must be at least 1", code=CouponCode.BAD_COUPON_LIMIT)
    if coupon.used < 0:
        raise ValidationError("used must not be negative", code=CouponCode.BAD_COUPON_LIMIT)
    if coupon.starts_at is not None and coupon.ends_at is not None:
        if coupon.ends_at <= coupon.starts_at:
            raise ValidationError(
                "a coupon ends after it starts", code=CouponCode.BAD_COUPON_WINDOW
            )
