"""Buying: what POST /api/streams/{id}/orders (and the room's `buy`), the cart, its checkout and
POST /api/orders/{id}/pay take."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from server.contract.body import Body, Cleaned, Id, require_object
from server.contract.shapes import IdempotencyKey, Quantity
from server.core.domain.error_codes import AddressCode, GeneralCode, OrderCode
from server.core.domain.errors import ValidationError
from server.core.domain.ids import check_id
from server.core.domain.orders import MAX_QUANTITY_PER_ORDER, BuyRequest, CheckoutRequest, Item

MAX_PAYMENT_METHOD_CHARS = 255
Sku = Annotated[str, Field(min_length=1, max_length=64)]
Coupon = Annotated[str, Field(max_length=64)]
# The buyer's saved address to ship to (GET /api/account/addresses); its shops' fees are added.
ShipTo = Annotated[Id | None, Field(description="ship to this saved address")]


def check_address_id(data: object) -> None:
    if isinstance(data, dict) and data.get("address_id") is not None:
        check_id(data["address_id"], "address_id", code=AddressCode.ADDRESS_NOT_FOUND)


class Buy(Body):
    """Buy now. A retry with the same idempotency_key returns the first order (200).
    `pay: true` pays at once with the buyer's saved means of payment."""

    product_id: Id
    sku: Annotated[Sku | None, Field(description="needed when the product has variants")] = None
    quantity: Quantity = 1
    idempotency_key: IdempotencyKey
    coupon: Coupon | None = None
    pay: bool = False
    address_id: ShipTo = None

    @classmethod
    def rules(cls, data: object) -> object:
        check_address_id(data)
        return BuyRequest.parse(data)

    def request(self) -> BuyRequest:
        """The domain's reading of the body (a coupon of "" is none)."""
        return self.checked(BuyRequest)


class Checkout(Body):
    idempotency_key: IdempotencyKey
    coupon: Coupon | None = None
    pay: bool = False
    address_id: ShipTo = None

    @classmethod
    def rules(cls, data: object) -> object:
        check_address_id(data)
        return CheckoutRequest.parse(data)

    def request(self) -> CheckoutRequest:
        return self.checked(CheckoutRequest)


class CartItem(Cleaned):
    """Set a variant's quantity in the cart (0 takes it out); checked once the caller may use a
    cart (CartService.authorize)."""

    product_id: Id
    sku: Sku | None = None
    quantity: Annotated[int, Field(ge=0, le=MAX_QUANTITY_PER_ORDER)] = 1

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an object with product_id, sku and quantity")
        product_id = check_id(given.get("product_id"), "product_id", code=OrderCode.BAD_PRODUCT)
        quantity = given.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationError("quantity must be an integer", code=OrderCode.BAD_QUANTITY)
        if not 0 <= quantity <= MAX_QUANTITY_PER_ORDER:
            raise ValidationError(
                f"quantity must be 0 to {MAX_QUANTITY_PER_ORDER}", code=OrderCode.BAD_QUANTITY
            )
        sku = Item.parse({"product_id": product_id, "sku": given.get("sku")}).sku
        return {"product_id": product_id, "sku": sku, "quantity": quantity}

    def item(self) -> Item:
        return Item(self.product_id, self.sku, self.quantity)


class Pay(Body):
    """The provider's token for the buyer's card, collected by its browser library; optional."""

    payment_method: (
        Annotated[str, Field(min_length=1, max_length=MAX_PAYMENT_METHOD_CHARS)] | None
    ) = None

    @classmethod
    def rules(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise ValidationError("expected a JSON object", code=GeneralCode.INVALID)
        method = data.get("payment_method")
        if method is not None and (
            not isinstance(method, str) or not 0 < len(method) <= MAX_PAYMENT_METHOD_CHARS
        ):
            raise ValidationError(
                "payment_method: expected the provider's id", code=GeneralCode.INVALID
            )
        return data
