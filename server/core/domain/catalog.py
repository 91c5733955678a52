"""Seller input rules: a new product, a change to a product or one of its variants, a shop's terms.

Texts are stored as the products row keeps them: the default language's text in `title` /
`description`, the other languages as JSON {language: text} (`stored_texts`, `read_texts`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from server.core.domain.commissions import check_rate
from server.core.domain.error_codes import CatalogCode, GeneralCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import check_currency, check_price
from server.core.domain.streams import LANGUAGES, check_language, check_title
from server.core.domain.variants import MAX_DESCRIPTION as MAX_DESCRIPTION
from server.core.domain.variants import MAX_STOCK as MAX_STOCK
from server.core.domain.variants import (
    MAX_TITLE,
    Localized,
    Option,
    Variant,
    VariantSet,
    check_stock,
    check_variants,
    parse_description,
    parse_title,
)

COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_SHOP_NAME = 120
NEW_PRODUCT_FIELDS = frozenset(
    {
        "title",
        "description",
        "language",
        "image_url",
        "price_minor",
        "currency",
        "stock",
        "options",
        "variants",
        "commission_bp",
    }
)
PRODUCT_CHANGE_FIELDS = frozenset(
    {"title", "description", "image_url", "price_minor", "stock", "commission_bp"}
)
VARIANT_CHANGE_FIELDS = frozenset({"stock", "price_minor"})
SELLER_CHANGE_FIELDS = frozenset({"name", "commission_bp"})

TextChange = str | dict[str, str]


def default_sku(product_id: int) -> str:
    """The SKU of the one variant of a product listed without options."""
    return f"P{product_id}"


@dataclass(frozen=True)
class ProductInput:
    """A new product: `stock` units of one plain variant, or the options and variants given."""

    title: Localized
    description: Localized | None  # None: no description
    image_url: str
    price_minor: int
    currency: str
    variant_set: VariantSet | None
    stock: int = 0  # without variant_set: the one variant's units
    commission_bp: int | None = None  # None: the seller's default

    @property
    def language(self) -> str:
        return self.title.default

    def variants_for(self, product_id: int) -> VariantSet:
        """The variants to create once the product has its id."""
        if self.variant_set is not None:
            return self.variant_set
        return check_variants((), [Variant(default_sku(product_id), (), self.stock)])

    @classmethod
    def parse(cls, payload: object) -> ProductInput:
        if not isinstance(payload, dict):
            raise ValidationError("expected a JSON object")
        _refuse_unknown(payload, NEW_PRODUCT_FIELDS)
        language = check_language(payload.get("language", "en"))
        with_variants = "options" in payload or "variants" in payload
        if with_variants and "stock" in payload:
            raise ValidationError(
                "give stock (a product without options) or options and variants, not both",
                code=CatalogCode.STOCK_AND_VARIANTS,
            )
        variant_set = None
        if with_variants:
            variant_set = VariantSet.parse(
                {"options": payload.get("options", []), "variants": payload.get("variants")}
            )
        return cls(
            title=parse_title(payload.get("title"), language),
            description=parse_optional_description(payload.get("description"), language),
            image_url=check_image_url(payload.get("image_url", "")),
            price_minor=check_price(payload.get("price_minor")),
            currency=check_currency(payload.get("currency")),
            variant_set=variant_set,
            stock=0 if with_variants else check_stock(payload.get("stock")),
            commission_bp=check_optional_rate(payload.get("commission_bp")),
        )


@dataclass(frozen=True)
class ProductChange:
    """The fields a seller sends to change; `given` names them (a None `commission_bp` that
    was given is a change: back to the seller's default). Texts merge with the product's own
    (`edit_title`, `edit_description`)."""

    given: frozenset[str]
    title: TextChange = ""
    description: TextChange = ""
    image_url: str = ""
    price_minor: int = 0
    stock: int = 0
    commission_bp: int | None = None

    @classmethod
    def parse(cls, payload: object) -> ProductChange:
        raw = _changes(payload, PRODUCT_CHANGE_FIELDS)
        return cls(
            given=frozenset(raw),
            title=check_text_change(raw["title"], "title", MAX_TITLE) if "title" in raw else "",
            description=(
                check_text_change(raw["description"], "description", MAX_DESCRIPTION)
                if "description" in raw
                else ""
            ),
            image_url=check_image_url(raw.get("image_url", "")),
            price_minor=check_price(raw["price_minor"]) if "price_minor" in raw else 0,
            stock=check_stock(raw["stock"]) if "stock" in raw else 0,
            commission_bp=check_optional_rate(raw.get("commission_bp")),
        )


@dataclass(frozen=True)
class VariantChange:
    """`stock` and/or `price_minor` of one variant (a given None price: the product's)."""

    given: frozenset[str]
    stock: int = 0
    price_minor: int | None = None

    @classmethod
    def parse(cls, payload: object) -> VariantChange:
        raw = _changes(payload, VARIANT_CHANGE_FIELDS)
        price = raw.get("price_minor")
        return cls(
            given=frozenset(raw),
            stock=check_stock(raw["stock"]) if "stock" in raw else 0,
            price_minor=None if price is None else check_price(price),
        )


@dataclass(frozen=True)
class SellerChange:
    """A shop's `name` and/or default `commission_bp` (a given None: hosts earn nothing unless
    a product sets its own rate)."""

    given: frozenset[str]
    name: str = ""
    commission_bp: int | None = None

    @classmethod
    def parse(cls, payload: object) -> SellerChange:
        raw = _changes(payload, SELLER_CHANGE_FIELDS)
        return cls(
            given=frozenset(raw),
            name=check_shop_name(raw["name"]) if "name" in raw else "",
            commission_bp=check_optional_rate(raw.get("commission_bp")),
        )


def check_stock_change_allowed(variant_count: int) -> None:
    """A product's `stock` is its one variant's: with more, each variant is set by SKU."""
    if variant_count != 1:
        raise Conflict(
            "this product has variants: set stock per variant "
            "(PATCH /api/products/{id}/variants/{sku})",
            code=CatalogCode.HAS_VARIANTS,
        )


def check_text_change(change: object, what: str, max_chars: int) -> TextChange:
    """A string (the default language's text) or {language: text} ("" removes a language)."""
    if isinstance(change, str):
        return _check_text(change, what, max_chars)
    if not isinstance(change, dict):
        raise ValidationError(
            f"{what} must be a string or an object by language", code=GeneralCode(f"bad_{what}")
        )
    checked = {}
    for language, text in change.items():
        if language not in LANGUAGES:
            raise ValidationError(
                f"{what} languages must be among {', '.join(LANGUAGES)}",
                code=GeneralCode.BAD_LANGUAGE,
            )
        checked[language] = _check_text(text, what, max_chars)
    return checked


def edit_title(current: Localized | None, default: str, change: TextChange) -> Localized:
    texts = current.texts if current is not None else {}
    return parse_title(_merged(texts, default, change), default)


def edit_description(
    current: Localized | None, default: str, change: TextChange
) -> Localized | None:
    texts = current.texts if current is not None else {}
    return parse_optional_description(_merged(texts, default, change), default)


def parse_optional_description(payload: object, default: str) -> Localized | None:
    """A description may be left out: absent, "" or only blank texts is none at all."""
    if payload is None or _blank(payload):
        return None
    return parse_description(payload, default)


def check_optional_rate(rate_bp: object) -> int | None:
    return None if rate_bp is None else check_rate(rate_bp)


def check_shop_name(name: object) -> str:
    return check_title(name, max_chars=MAX_SHOP_NAME)


def stored_texts(texts: Localized | None) -> tuple[str, str]:
    """(the default language's text, JSON of the others) as the products row keeps them."""
    if texts is None:
        return "", "{}"
    others = {lang: text for lang, text in sorted(texts.texts.items()) if lang != texts.default}
    return texts.texts[texts.default], json.dumps(others, ensure_ascii=False)


def read_texts(default: str, text: str, others: str) -> Localized | None:
    """The texts a products row keeps; None when it has none in its default language."""
    if not text:
        return None
    loaded = json.loads(others or "{}")
    return Localized(default, {**loaded, default: text})


def stored_options(options: tuple[Option, ...]) -> str:
    return json.dumps(
        [{"name": o.name, "values": list(o.values)} for o in options], ensure_ascii=False
    )


def read_options(stored: str) -> tuple[Option, ...]:
    return tuple(Option(o["name"], tuple(o["values"])) for o in json.loads(stored or "[]"))


def check_image_url(url: object) -> str:
    # Only http(s) or empty: the pages put it in <img src>, so javascript: must never pass.
    if url == "":
        return ""
    if not isinstance(url, str) or len(url) > 2000 or not url.startswith(("https://", "http://")):
        raise ValidationError("image_url must be an http(s) URL", code=CatalogCode.BAD_IMAGE_URL)
    return url


def check_country(country: object) -> str:
    if not isinstance(country, str) or not COUNTRY.match(country):
        raise ValidationError(
            "country must be an ISO 3166 alpha-2 code", code=CatalogCode.BAD_COUNTRY
        )
    return country


def _check_text(text: object, what: str, max_chars: int) -> str:
    if not isinstance(text, str) or len(text.strip()) > max_chars:
        raise ValidationError(
            f"{what} must be a string of at most {max_chars} characters",
            code=GeneralCode(f"bad_{what}"),
        )
    return text


def _merged(current: Mapping[str, str], default: str, change: TextChange) -> dict[str, str]:
    if isinstance(change, str):
        return {**current, default: change}
    return {**current, **change}


def _blank(payload: object) -> bool:
    if isinstance(payload, str):
        return not payload.strip()
    return isinstance(payload, dict) and all(
        language in LANGUAGES and isinstance(text, str) and not text.strip()
        for language, text in payload.items()
    )


def _refuse_unknown(payload: dict, allowed: frozenset[str]) -> None:
    unknown = set(payload) - allowed
    if unknown:
        raise ValidationError(
            f"unknown fields: {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}",
            code=GeneralCode.BAD_FIELD,
        )


def _changes(payload: object, allowed: frozenset[str]) -> dict:
    if not isinstance(payload, dict) or not payload:
        raise ValidationError("expected an object with fields to change")
    _refuse_unknown(payload, allowed)
    return payload
