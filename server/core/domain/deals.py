"""Flash deals: a product (or one variant) at a deal price for a window of server time.

The server's clock decides: a deal is on sale for now in [starts_at, ends_at). Viewers get the
server time with the deal's end, so every countdown shows the same second whatever the
viewer's own clock says. A deal has a total quantity and a per-buyer limit; the units
themselves are still held through reservations, so the deal quantity only caps how many sell
at the deal price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from server.core.domain.catalog import MAX_STOCK
from server.core.domain.error_codes import DealCode, OrderCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import Money
from server.core.domain.variants import Variant

MAX_DURATION = timedelta(hours=24)  # a flash deal longer than a day is a price change


class DealPhase(StrEnum):
    UPCOMING = "upcoming"
    ACTIVE = "active"
    SOLD_OUT = "sold_out"
    ENDED = "ended"


@dataclass(frozen=True)
class Deal:
    id: int
    product_id: int
    sku: str | None  # None: every variant of the product
    price: Money
    starts_at: datetime
    ends_at: datetime
    quantity: int
    per_buyer_limit: int
    sold: int = 0  # units sold at the deal price so far

    def __post_init__(self) -> None:
        _check_window(self.starts_at, self.ends_at)
        if not 1 <= self.quantity <= MAX_STOCK:
            raise ValidationError(
                f"deal quantity must be 1 to {MAX_STOCK}", code=DealCode.BAD_DEAL_QUANTITY
            )
        if not 1 <= self.per_buyer_limit <= self.quantity:
            raise ValidationError(
                "the per-buyer limit must be 1 to the deal quantity", code=DealCode.BAD_DEAL_LIMIT
            )
        if not 0 <= self.sold <= self.quantity:
            raise ValidationError(
                "sold must be 0 to the deal quantity", code=DealCode.BAD_DEAL_QUANTITY
            )

    @property
    def left(self) -> int:
        return self.quantity - self.sold

    def phase(self, now: datetime) -> DealPhase:
        if now < self.starts_at:
            return DealPhase.UPCOMING
        if now >= self.ends_at:
            return DealPhase.ENDED
        return DealPhase.ACTIVE if self.left > 0 else DealPhase.SOLD_OUT

    def covers(self, product_id: int, sku: str | None) -> bool:
        return product_id == self.product_id and self.sku in (None, sku)

    def countdown(self, now: datetime) -> Countdown:
        return Countdown(self.id, self.phase(now), now, self.starts_at, self.ends_at, self.left)


@dataclass(frozen=True)
class Countdown:
    """What a viewer's countdown is drawn from: server time travels with the deal's bounds."""

    deal_id: int
    phase: DealPhase
    server_time: datetime
    starts_at: datetime
    ends_at: datetime
    left: int

    @property
    def remaining_ms(self) -> int:
        """Until the deal ends, or until it starts while upcoming; 0 once it has ended."""
        target = self.starts_at if self.phase == DealPhase.UPCOMING else self.ends_at
        return max(0, int((target - self.server_time) / timedelta(milliseconds=1)))

    def to_payload(self) -> dict[str, object]:
        return {
            "deal_id": self.deal_id,
            "phase": str(self.phase),
            "server_time": self.server_time.isoformat(),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "remaining_ms": self.remaining_ms,
            "left": self.left,
        }


@dataclass(frozen=True)
class UnitPrice:
    price: Money
    deal_id: int | None  # the deal that set it, recorded on the order line


def check_deal_price(deal_price: Money, regular: Money) -> None:
    """A deal sells in the product's currency and below its regular price."""
    if deal_price.currency != regular.currency:
        raise ValidationError(
            f"the deal price must be in {regular.currency}", code=DealCode.BAD_DEAL_CURRENCY
        )
    if not 0 <= deal_price.amount_minor < regular.amount_minor:
        raise ValidationError(
            "the deal price must be below the regular price", code=DealCode.BAD_DEAL_PRICE
        )


def check_deal_purchase(deal: Deal, buyer_bought_so_far: int, quantity: int, now: datetime) -> None:
    """Refuse a purchase of `quantity` at the deal price; the checks run in the order a
    viewer would want them explained."""
    if quantity < 1:
        raise ValidationError("quantity must be at least 1", code=OrderCode.BAD_QUANTITY)
    phase = deal.phase(now)
    if phase == DealPhase.UPCOMING:
        raise Conflict("the deal has not started yet", code=DealCode.DEAL_NOT_STARTED)
    if phase == DealPhase.ENDED:
        raise Conflict("the deal has ended", code=DealCode.DEAL_ENDED)
    allowed = deal.per_buyer_limit - buyer_bought_so_far
    if quantity > allowed:
        message = f"you can buy {allowed} more at this price" if allowed > 0 else "limit reached"
        raise Conflict(message, code=DealCode.DEAL_LIMIT_REACHED)
    if quantity > deal.left:
        message = f"only {deal.left} left at the deal price" if deal.left else "deal sold out"
        raise Conflict(message, code=DealCode.DEAL_SOLD_OUT)


def resolve_price(
    product_id: int,
    product_price: Money,
    variant: Variant | None,
    deal: Deal | None,
    now: datetime,
) -> UnitPrice:
    """The deal price while the deal is active for this variant, else the variant's price,
    else the product's."""
    sku = variant.sku if variant is not None else None
    if deal is not None and deal.covers(product_id, sku) and deal.phase(now) == DealPhase.ACTIVE:
        return UnitPrice(deal.price, deal.id)
    regular = variant.price(product_price) if variant is not None else product_price
    return UnitPrice(regular, None)


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    # Naive datetimes can't be compared with the server's UTC clock: refuse them early.
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationError("deal times must carry a time zone", code=DealCode.BAD_DEAL_WINDOW)
    if not timedelta(0) < ends_at - starts_at <= MAX_DURATION:
        raise ValidationError(
            f"a deal ends after it starts and lasts at most {MAX_DURATION}",
            code=DealCode.BAD_DEAL_WINDOW,
        )
