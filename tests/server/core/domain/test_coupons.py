from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.coupons import (
    Coupon,
    CouponContext,
    CouponLine,
    CouponScope,
    Discount,
    allocate,
    apply,
    find,
    normalize_code,
)
from server.core.domain.errors import Conflict, NotFound, ValidationError
from server.core.domain.money import Money

NOW = datetime(2025, 5, 1, 20, 0, tzinfo=UTC)
HERE = CouponContext(now=NOW, stream_id=11, buyer_uses=0)
TEN_PERCENT = Coupon("show10", CouponScope.STREAM, 11, percent_bp=1000)
FIVE_EUR = Coupon("FIVE", CouponScope.PLATFORM, None, fixed=Money(500, "EUR"))


def eur(*amounts: int, seller_id: int = 1) -> list[CouponLine]:
    return [CouponLine(seller_id, Money(a, "EUR")) for a in amounts]


def minor(discount: Discount) -> list[int]:
    return [m.amount_minor for m in discount.per_line]


@pytest.mark.parametrize(
    ("raw", "code"), [("show10", "SHOW10"), ("  Spring-25 ", "SPRING-25"), ("a_b", "A_B")]
)
def test_codes_are_case_insensitive(raw: str, code: str) -> None:
    assert normalize_code(raw) == code


@pytest.mark.parametrize("raw", ["ab", "x" * 33, "-ABC", "HAS SPACE", "ŻÓŁW", None, 10])
def test_bad_codes_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_code(raw)
    assert caught.value.code == "bad_coupon_code"


def test_find_by_any_case_and_unknown() -> None:
    assert find([FIVE_EUR, TEN_PERCENT], "Show10") is TEN_PERCENT
    with pytest.raises(NotFound) as caught:
        find([FIVE_EUR], "NOPE1")
    assert caught.value.code == "coupon_unknown"


def test_percentage_rounds_down_and_splits_by_amount() -> None:
    found = apply(TEN_PERCENT, eur(1999, 999, 5), HERE)
    # 10 % of 3003 is 300.3: the buyer gets 300, split about 199.7 / 99.8 / 0.5
    assert found.total == Money(300, "EUR")
    assert minor(found) == [200, 100, 0]


def test_fixed_discount_never_exceeds_the_order() -> None:
    assert minor(apply(FIVE_EUR, eur(300, 100), HERE)) == [300, 100]
    assert minor(apply(FIVE_EUR, eur(750, 250), HERE)) == [375, 125]


def test_seller_coupon_only_touches_that_sellers_lines() -> None:
    coupon = Coupon("BRAND20", CouponScope.SELLER, 2, percent_bp=2000)
    lines = eur(1000) + eur(500, seller_id=2) + eur(1000)
    found = apply(coupon, lines, HERE)
    assert minor(found) == [0, 100, 0]
    assert found.total == Money(100, "EUR")


@pytest.mark.parametrize(
    ("coupon", "context", "code"),
    [
        (TEN_PERCENT, replace(HERE, stream_id=12), "coupon_not_applicable"),
        (TEN_PERCENT, replace(HERE, stream_id=None), "coupon_not_applicable"),
        (replace(TEN_PERCENT, ends_at=NOW), HERE, "coupon_expired"),
        (replace(TEN_PERCENT, starts_at=NOW + timedelta(seconds=1)), HERE, "coupon_not_started"),
        (replace(TEN_PERCENT, max_uses=100, used=100), HERE, "coupon_exhausted"),
        (
            replace(TEN_PERCENT, per_buyer_limit=1),
            replace(HERE, buyer_uses=1),
            "coupon_limit_reached",
        ),
        (replace(FIVE_EUR, fixed=Money(500, "PLN")), HERE, "coupon_currency"),
        (replace(TEN_PERCENT, min_order=Money(5000, "EUR")), HERE, "coupon_min_order"),
        (replace(TEN_PERCENT, min_order=Money(10, "UAH")), HERE, "coupon_currency"),
        (Coupon("BRAND", CouponScope.SELLER, 9, percent_bp=1), HERE, "coupon_not_applicable"),
    ],
)
def test_refusals_have_codes(coupon: Coupon, context: CouponContext, code: str) -> None:
    with pytest.raises(Conflict) as caught:
        apply(coupon, eur(1999, 999), context)
    assert caught.value.code == code


def test_lines_in_two_currencies_are_refused() -> None:
    lines = [CouponLine(1, Money(100, "EUR")), CouponLine(1, Money(100, "USD"))]
    with pytest.raises(Conflict) as caught:
        apply(FIVE_EUR, lines, HERE)
    assert caught.value.code == "coupon_currency"


def test_last_use_and_minimum_exactly_met_are_accepted() -> None:
    coupon = replace(TEN_PERCENT, max_uses=5, used=4, min_order=Money(2998, "EUR"))
    assert apply(coupon, eur(1999, 999), HERE).total == Money(299, "EUR")


@pytest.mark.parametrize(
    "change",
    [
        {"percent_bp": None},
        {"fixed": Money(1, "EUR")},
        {"percent_bp": 0},
        {"percent_bp": 10_001},
        {"scope_id": None},
        {"scope": CouponScope.PLATFORM},
        {"max_uses": 0},
        {"per_buyer_limit": 0},
        {"used": -1},
        {"starts_at": NOW, "ends_at": NOW},
        {"code": "x"},
    ],
)
def test_bad_coupons_are_refused(change: dict) -> None:
    with pytest.raises(ValidationError):
        replace(TEN_PERCENT, **change)


def test_fixed_amount_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        replace(FIVE_EUR, fixed=Money(0, "EUR"))


def test_allocate_ties_go_to_the_earlier_line() -> None:
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        allocate(3, [1, 1])


@given(
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=20),
    fraction=st.fractions(0, 1),
)
def test_allocation_is_exact_and_bounded(weights: list[int], fraction: Fraction) -> None:
    total = int(sum(weights) * fraction)
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))
    whole = sum(weights)
    if whole:
        # each share is its exact proportion rounded down or up
        assert all(abs(s * whole - total * w) < whole for s, w in zip(shares, weights, strict=True))


@given(
    amounts=st.lists(st.integers(0, 10**8), min_size=1, max_size=12),
    sellers=st.lists(st.integers(1, 3), min_size=12, max_size=12),
    percent_bp=st.integers(1, 10_000),
    fixed=st.integers(1, 10**9),
    use_fixed=st.booleans(),
    scope=st.sampled_from(list(CouponScope)),
)
def test_discount_per_line_sums_to_total_and_never_exceeds_a_line(
    amounts: list[int],
    sellers: list[int],
    percent_bp: int,
    fixed: int,
    use_fixed: bool,
    scope: CouponScope,
) -> None:
    lines = [CouponLine(s, Money(a, "PLN")) for a, s in zip(amounts, sellers, strict=False)]
    coupon = Coupon(
        "PROP1",
        scope,
        None if scope == CouponScope.PLATFORM else 11 if scope == CouponScope.STREAM else 2,
        percent_bp=None if use_fixed else percent_bp,
        fixed=Money(fixed, "PLN") if use_fixed else None,
    )
    covered = [scope != CouponScope.SELLER or line.seller_id == 2 for line in lines]
    if not any(covered):
        with pytest.raises(Conflict):
            apply(coupon, lines, HERE)
        return
    found = apply(coupon, lines, HERE)
    base = sum(line.amount.amount_minor for line, yes in zip(lines, covered, strict=True) if yes)
    expected = min(fixed, base) if use_fixed else base * percent_bp // 10_000
    assert found.total == Money(expected, "PLN")
    assert sum(minor(found)) == expected
    for line, share, yes in zip(lines, found.per_line, covered, strict=True):
        assert 0 <= share.amount_minor <= (line.amount.amount_minor if yes else 0)
