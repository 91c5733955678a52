"""Purchase rules: what a valid buy request is and what the order it makes looks like."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeGuard

from server.core.domain.error_codes import (
    CatalogCode,
    CouponCode,
    ErrorCode,
    GeneralCode,
    OrderCode,
    StreamCode,
)
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.ids import check_id

MAX_QUANTITY_PER_ORDER = 10
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")


class OrderStatus(StrEnum):
    # "reserved": its stock is held while the buyer pays (server/core/domain/payments.py).
    RESERVED = "reserved"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FULFILLED = "fulfilled"


@dataclass(frozen=True)
class Item:
    """What a buyer asks for: a product of the show, which variant, how many."""

    product_id: int
    sku: str | None  # None: the product's only variant
    quantity: int

    @classmethod
    def parse(cls, payload: dict, *, max_quantity: int = MAX_QUANTITY_PER_ORDER) -> Item:
        product_id = check_id(payload.get("product_id"), "product_id", code=OrderCode.BAD_PRODUCT)
        sku = payload.get("sku")
        if sku is not None and (not isinstance(sku, str) or not 1 <= len(sku) <= 64):
            raise ValidationError(
                "sku must be a string of 1-64 characters", code=CatalogCode.BAD_SKU
            )
        return cls(product_id, sku, check_order_quantity(payload.get("quantity", 1), max_quantity))


@dataclass(frozen=True)
class BuyRequest:
    """Buy now: one item, an idempotency key, optionally a coupon, and whether to pay at once
    with the buyer's saved means of payment (one tap)."""

    product_id: int
    quantity: int
    idempotency_key: str
    sku: str | None = None
    coupon: str | None = None
    pay: bool = False

    @property
    def items(self) -> tuple[Item, ...]:
        return (Item(self.product_id, self.sku, self.quantity),)

    @classmethod
    def parse(cls, payload: object) -> BuyRequest:
        if not isinstance(payload, dict):
            raise ValidationError("expected an object with product_id, quantity, idempotency_key")
        item = Item.parse(payload)
        return cls(
            product_id=item.product_id,
            quantity=item.quantity,
            idempotency_key=check_idempotency_key(payload.get("idempotency_key")),
            sku=item.sku,
            coupon=check_coupon_field(payload.get("coupon")),
            pay=check_flag(payload.get("pay", False), "pay", OrderCode.BAD_PAY),
        )


@dataclass(frozen=True)
class CheckoutRequest:
    """Checkout of the buyer's cart in a show."""

    idempotency_key: str
    coupon: str | None = None
    pay: bool = False

    @classmethod
    def parse(cls, payload: object) -> CheckoutRequest:
        if not isinstance(payload, dict):
            raise ValidationError("expected an object with idempotency_key")
        return cls(
            idempotency_key=check_idempotency_key(payload.get("idempotency_key")),
            coupon=check_coupon_field(payload.get("coupon")),
            pay=check_flag(payload.get("pay", False), "pay", OrderCode.BAD_PAY),
        )


def check_order_quantity(quantity: object, most: int = MAX_QUANTITY_PER_ORDER) -> int:
    if not _is_int(quantity) or not 1 <= quantity <= most:
        raise ValidationError(
            f"quantity must be an integer from 1 to {most}", code=OrderCode.BAD_QUANTITY
        )
    return quantity


def check_idempotency_key(key: object) -> str:
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
        raise ValidationError(
            "idempotency_key must be 8-64 characters of A-Z a-z 0-9 _ -",
            code=OrderCode.BAD_IDEMPOTENCY_KEY,
        )
    return key


def check_coupon_field(code: object) -> str | None:
    if code is None or code == "":
        return None
    if not isinstance(code, str) or len(code) > 64:
        raise ValidationError("coupon must be a code", code=CouponCode.BAD_COUPON_CODE)
    return code


def check_flag(value: object, name: str, code: ErrorCode) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code=code)
    return value


def check_buyable(stream_status: str, in_lineup: bool) -> None:
    """A product is bought in a show that is on air, and only from its line-up."""
    if stream_status != "live":
        raise Conflict(
            "the show is not live: purchases open when it goes live", code=StreamCode.NOT_LIVE
        )
    if not in_lineup:
        raise ValidationError(
            "this product is not in the show's line-up", code=StreamCode.NOT_IN_LINEUP
        )


def check_same_request(existing: list[tuple[int, str, int]], items: tuple[Item, ...]) -> None:
    """A retried key must repeat the same request: reusing it for another buy is a client bug.
    `existing` is the earlier order's (product_id, sku, quantity) per line."""
    asked = sorted((i.product_id, i.quantity) for i in items)
    had = sorted((product_id, quantity) for product_id, _sku, quantity in existing)
    skus = {i.sku.upper() for i in items if i.sku is not None}
    if asked != had or not skus <= {sku.upper() for _p, sku, _q in existing}:
        raise Conflict(
            "idempotency_key was already used for a different purchase",
            code=GeneralCode.IDEMPOTENCY_REUSED,
        )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
