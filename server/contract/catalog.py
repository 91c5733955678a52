"""Shops and products: what POST/PATCH /api/sellers, /api/products and variants take.

The rules are server/core/domain/catalog.py's parsers, run first (the services run them again
on the same body before anything else); a new shop's are run once the caller may open one
(CatalogService.authorize_new_seller), and the service takes the model's cleaned fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from server.contract.body import Body, Cleaned, require_object
from server.contract.shapes import (
    Currency,
    Language,
    Omitted,
    Price,
    Rate,
    Sku,
    Stock,
    Texts,
)
from server.core.domain.catalog import (
    MAX_SHOP_NAME,
    ProductChange,
    ProductInput,
    SellerChange,
    VariantChange,
    check_country,
    check_shop_name,
)
from server.core.domain.variants import MAX_OPTIONS, MAX_VARIANTS


class NewSeller(Cleaned):
    name: Annotated[str, Field(min_length=1, max_length=MAX_SHOP_NAME)]
    country: Annotated[str, Field(pattern="^[A-Z]{2}$")]

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data)
        return {
            "name": check_shop_name(given.get("name")),
            "country": check_country(given.get("country")),
        }


class ShopPatch(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    name: str | Omitted = None
    commission_bp: Rate | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        return SellerChange.parse(data)


class Option(Body):
    name: str
    values: Annotated[list[str], Field(min_length=1)]


class NewVariant(Body):
    sku: Sku
    options: dict[str, str] | Omitted = None
    stock: Stock
    price_minor: Price | Omitted = None


class NewProduct(Body):
    """Either `stock` (no options: one variant, SKU P<id>) or `options` and `variants`, never
    both."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"required": ["title", "price_minor", "currency"]}
    )
    title: Texts | Omitted = None
    description: Texts | Omitted = None
    language: Language | Omitted = None
    image_url: str | Omitted = None
    price_minor: Price | Omitted = None
    currency: Currency | Omitted = None
    stock: Stock | Omitted = None
    options: Annotated[list[Option], Field(max_length=MAX_OPTIONS)] | Omitted = None
    variants: (
        Annotated[list[NewVariant], Field(min_length=1, max_length=MAX_VARIANTS)] | Omitted
    ) = None
    commission_bp: Rate | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        return ProductInput.parse(data)


class ProductPatch(Body):
    """`stock` only for a product with one variant (else 409 has_variants). A string
    title/description is the default language's text; an object sets the languages it names
    ("" removes one)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    title: Texts | Omitted = None
    description: Texts | Omitted = None
    image_url: str | Omitted = None
    price_minor: Price | Omitted = None
    stock: Stock | Omitted = None
    commission_bp: Rate | None = None

    @classmethod
    def rules(cls, data: object) -> object:
        return ProductChange.parse(data)


class VariantPatch(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    stock: Stock | Omitted = None
    price_minor: Price | None = None  # null: the product's price

    @classmethod
    def rules(cls, data: object) -> object:
        return VariantChange.parse(data)
