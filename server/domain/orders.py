"""Purchase rules: what a valid buy request is and what the order it makes looks like."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeGuard

from server.domain.errors import Conflict, ValidationError
from server.domain.ids import check_id
from server.domain.money import Money

MAX_QUANTITY_PER_ORDER = 10
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")


class OrderStatus(StrEnum):
    # There is no payment step yet: an order holds its stock as "reserved".
    RESERVED = "reserved"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FULFILLED = "fulfilled"


@dataclass(frozen=True)
class BuyRequest:
    product_id: int
    quantity: int
    idempotency_key: str

    @classmethod
    def parse(cls, payload: object) -> BuyRequest:
        if not isinstance(payload, dict):
            raise ValidationError("expected an object with product_id, quantity, idempotency_key")
        product_id = payload.get("product_id")
        quantity = payload.get("quantity", 1)
        key = payload.get("idempotency_key")
        product_id = check_id(product_id, "product_id", code="bad_product")
        if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY_PER_ORDER:
            raise ValidationError(
                f"quantity must be an integer from 1 to {MAX_QUANTITY_PER_ORDER}",
                code="bad_quantity",
            )
        if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
            raise ValidationError(
                "idempotency_key must be 8-64 characters of A-Z a-z 0-9 _ -",
                code="bad_idempotency_key",
            )
        return cls(product_id=product_id, quantity=quantity, idempotency_key=key)


@dataclass(frozen=True)
class OrderLineDraft:
    product_id: int
    seller_id: int
    title: str
    unit_price: Money
    quantity: int

    @property
    def total(self) -> Money:
        return self.unit_price.times(self.quantity)


def check_buyable(stream_status: str, in_lineup: bool) -> None:
    """A product is bought in a show that is on air, and only from its line-up."""
    if stream_status != "live":
        raise Conflict("the show is not live: purchases open when it goes live", code="not_live")
    if not in_lineup:
        raise ValidationError("this product is not in the show's line-up", code="not_in_lineup")


def check_same_request(existing_product_id: int, existing_quantity: int, req: BuyRequest) -> None:
    """A retried key must repeat the same request: reusing it for another buy is a client bug."""
    if (existing_product_id, existing_quantity) != (req.product_id, req.quantity):
        raise Conflict(
            "idempotency_key was already used for a different purchase", code="idempotency_reused"
        )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
