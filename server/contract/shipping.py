"""Shops' shipping rates and what shipping costs: what PUT /api/seller/shipping takes, and the
answers of the shipping routes and of "My orders" (docs/protocol.md "Addresses and shipping")."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from server.contract.addresses import Country
from server.contract.answers import Answer, Order
from server.contract.body import Body, Id, require_object
from server.contract.serializers import order_view
from server.contract.shapes import Currency, Language, shown
from server.core.domain.error_codes import ShippingCode
from server.core.domain.shipping import MAX_FEE_MINOR, ShippingRate, check_rates
from server.core.services.shipping import OrderShippingView, ProductShipping
from server.core.store.rows import Order as OrderRow

Fee = Annotated[int, Field(ge=0, le=MAX_FEE_MINOR)]


class Rate(Answer):
    country: Annotated[str, shown(Country)]
    fee_minor: Fee
    currency: Currency


class ShippingRates(Body):
    """The shop's whole table (it replaces the one before): each country once, one currency.
    An empty list: the shop ships nowhere, and no order with an address buys from it."""

    rates: list[Rate]

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected {rates: [...]}", code=ShippingCode.BAD_RATES)
        return check_rates(given.get("rates"))

    def checked_rates(self) -> list[ShippingRate]:
        return self.checked(list)


class Rates(Answer):
    rates: list[Rate] | None = None


class ProductShippingAnswer(Answer):
    product_id: Id | None = None
    seller_id: Id | None = None
    ships: bool | None = None
    fee_minor: int | None = None
    currency: str | None = None


class ShowShipping(Answer):
    country: Country | None = None
    products: list[ProductShippingAnswer] | None = None


class ShippingLineAnswer(Answer):
    seller_id: Id | None = None
    fee_minor: int | None = None
    currency: str | None = None


class OrderShippingAnswer(Answer):
    address: dict[str, str] | None = None
    address_lines: list[str] | None = None
    country: Country | None = None
    fee_minor: int | None = None
    currency: str | None = None
    lines: list[ShippingLineAnswer] | None = None


class ShowRef(Answer):
    id: Id | None = None
    title: str | None = None
    status: str | None = None
    language: Language | None = None


class MyOrder(Order):
    shipping: OrderShippingAnswer | None = None
    show: ShowRef | None = None
    cancellable: bool | None = None


class MyOrders(Answer):
    orders: list[MyOrder] | None = None


def rates_view(rates: list[ShippingRate]) -> dict[str, Any]:
    return {
        "rates": [
            {"country": r.country, "fee_minor": r.fee.amount_minor, "currency": r.fee.currency}
            for r in rates
        ]
    }


def show_shipping_view(country: str, products: list[ProductShipping]) -> dict[str, Any]:
    return {
        "country": country,
        "products": [
            {
                "product_id": p.product_id,
                "seller_id": p.seller_id,
                "ships": p.fee is not None,
                "fee_minor": p.fee.amount_minor if p.fee is not None else None,
                "currency": p.fee.currency if p.fee is not None else None,
            }
            for p in products
        ],
    }


def shipping_view(view: OrderShippingView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "address": view.address,
        "address_lines": view.lines,
        "country": view.country,
        "fee_minor": view.fee.amount_minor,
        "currency": view.fee.currency,
        "lines": [
            {"seller_id": s, "fee_minor": fee.amount_minor, "currency": fee.currency}
            for s, fee in view.per_seller
        ],
    }


def my_order_view(
    order: OrderRow, shipping: OrderShippingView | None, show: dict[str, Any] | None
) -> dict[str, Any]:
    return order_view(order) | {
        "shipping": shipping_view(shipping),
        "show": show,
        "cancellable": order.status == "reserved",
    }
