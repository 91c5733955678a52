"""Product variants and localized product texts.

A product offers options (size, colour); each combination a seller sells is a variant with its
own SKU, stock and, optionally, its own price. A product without options has one variant whose
option values are empty. Titles and descriptions come in the show languages and fall back to
the product's default language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from server.core.domain.error_codes import CatalogCode, GeneralCode
from server.core.domain.errors import NotFound, ValidationError
from server.core.domain.money import Money, check_price
from server.core.domain.streams import LANGUAGES, check_language

MAX_OPTIONS = 3  # size, colour, material: more is a different product
MAX_OPTION_VALUES = 30
MAX_VARIANTS = 100
MAX_LABEL = 40  # an option name or value is shown on a button
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_STOCK = 1_000_000
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


@dataclass(frozen=True)
class Localized:
    """One text in several languages; `default` always has a text."""

    default: str
    texts: Mapping[str, str]

    def __post_init__(self) -> None:
        check_language(self.default)
        for language in self.texts:
            check_language(language)
        if not self.texts.get(self.default):
            raise ValidationError(
                f"a text in the default language ({self.default}) is required",
                code=GeneralCode.BAD_TEXT,
            )
        object.__setattr__(self, "texts", dict(self.texts))  # a caller's later edits can't leak

    def pick(self, language: str | None) -> str:
        """The text in `language` ("pt-BR" reads as "pt"), else in the default language."""
        if language:
            text = self.texts.get(language.split("-", 1)[0].lower())
            if text:
                return text
        return self.texts[self.default]

    @classmethod
    def parse(cls, payload: object, default: str, *, what: str, max_chars: int) -> Localized:
        """`payload` is a plain string (the default language) or {language: text}."""
        code = GeneralCode(f"bad_{what}")  # title, description
        if isinstance(payload, str):
            payload = {default: payload}
        if not isinstance(payload, dict):
            raise ValidationError(f"{what} must be a string or an object by language", code=code)
        texts: dict[str, str] = {}
        for language, text in payload.items():
            if language not in LANGUAGES:
                raise ValidationError(
                    f"{what} languages must be among {', '.join(LANGUAGES)}",
                    code=GeneralCode.BAD_LANGUAGE,
                )
            if not isinstance(text, str) or len(text.strip()) > max_chars:
                raise ValidationError(
                    f"{what} must be a string of at most {max_chars} characters", code=code
                )
            if text.strip():
                texts[language] = text.strip()
        if default not in texts:
            raise ValidationError(f"{what} is required in {default}", code=code)
        return cls(default, texts)


def parse_title(payload: object, default: str) -> Localized:
    return Localized.parse(payload, default, what="title", max_chars=MAX_TITLE)


def parse_description(payload: object, default: str) -> Localized:
    return Localized.parse(payload, default, what="description", max_chars=MAX_DESCRIPTION)


@dataclass(frozen=True)
class Option:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Variant:
    sku: str
    values: tuple[str, ...]  # one per product option, in the options' order
    stock: int
    price_minor: int | None = None  # None: the product's price

    def price(self, product_price: Money) -> Money:
        if self.price_minor is None:
            return product_price
        return Money(self.price_minor, product_price.currency)


@dataclass(frozen=True)
class VariantSet:
    """A product's options and the variants sold; build with `check_variants` or `parse`."""

    options: tuple[Option, ...]
    variants: tuple[Variant, ...]

    def by_sku(self, sku: str) -> Variant:
        key = sku.upper()
        for variant in self.variants:
            if variant.sku.upper() == key:
                return variant
        raise NotFound("this product has no such variant", code=CatalogCode.VARIANT_NOT_FOUND)

    def by_values(self, chosen: Mapping[str, str]) -> Variant:
        """The variant a buyer picked by option, e.g. {"size": "M", "colour": "red"}."""
        wanted = tuple(chosen.get(option.name) for option in self.options)
        for variant in self.variants:
            if variant.values == wanted:
                return variant
        raise NotFound("this product has no such variant", code=CatalogCode.VARIANT_NOT_FOUND)

    @property
    def total_stock(self) -> int:
        return sum(variant.stock for variant in self.variants)

    @classmethod
    def parse(cls, payload: object) -> VariantSet:
        """{"options": [{"name", "values"}], "variants": [{"sku", "options", "stock",
        "price_minor"?}]} where a variant's "options" maps option name to value."""
        if not isinstance(payload, dict):
            raise ValidationError(
                "expected an object with options and variants", code=CatalogCode.BAD_VARIANTS
            )
        options = _parse_options(payload.get("options", []))
        raw_variants = payload.get("variants")
        if not isinstance(raw_variants, list):
            raise ValidationError("variants must be a list", code=CatalogCode.BAD_VARIANTS)
        return check_variants(options, [_parse_variant(v, options) for v in raw_variants])


def check_variants(options: Iterable[Option], variants: Iterable[Variant]) -> VariantSet:
    options = tuple(options)
    variants = tuple(variants)
    _check_options(options)
    if not 1 <= len(variants) <= MAX_VARIANTS:
        raise ValidationError(
            f"a product has 1 to {MAX_VARIANTS} variants", code=CatalogCode.BAD_VARIANTS
        )
    skus: set[str] = set()
    combinations: set[tuple[str, ...]] = set()
    for variant in variants:
        _check_variant(variant, options)
        if variant.sku.upper() in skus:  # SKUs are read aloud and typed: case must not matter
            raise ValidationError(
                f"SKU {variant.sku} is used twice", code=CatalogCode.DUPLICATE_SKU
            )
        if variant.values in combinations:
            raise ValidationError(
                f"two variants are {'/'.join(variant.values)}", code=CatalogCode.DUPLICATE_VARIANT
            )
        skus.add(variant.sku.upper())
        combinations.add(variant.values)
    return VariantSet(options, variants)


def check_stock(stock: object) -> int:
    if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
        raise ValidationError(
            f"stock must be an integer from 0 to {MAX_STOCK}", code=CatalogCode.BAD_STOCK
        )
    return stock


class HasSku(Protocol):
    @property
    def sku(self) -> str: ...


V = TypeVar("V", bound=HasSku)


def pick_by_sku(variants: Sequence[V], sku: str | None) -> V:
    """The variant a buyer named (SKUs ignore case); with no SKU, the only variant there is."""
    if not variants:
        raise NotFound("no such product")
    if sku is None:
        if len(variants) > 1:
            raise ValidationError(
                "choose a variant (sku) of this product", code=CatalogCode.VARIANT_REQUIRED
            )
        return variants[0]
    for variant in variants:
        if variant.sku.upper() == sku.upper():
            return variant
    raise NotFound("this product has no such variant", code=CatalogCode.VARIANT_NOT_FOUND)


def check_sku(sku: object) -> str:
    if not isinstance(sku, str) or not SKU.match(sku):
        raise ValidationError(
            "sku must be 1-64 characters of A-Z a-z 0-9 . _ - / starting with a letter or digit",
            code=CatalogCode.BAD_SKU,
        )
    return sku


def _check_options(options: tuple[Option, ...]) -> None:
    if len(options) > MAX_OPTIONS:
        raise ValidationError(
            f"a product has at most {MAX_OPTIONS} options", code=CatalogCode.BAD_OPTIONS
        )
    names = [_check_label(option.name, "option name").casefold() for option in options]
    if len(set(names)) != len(names):
        raise ValidationError("an option name is used twice", code=CatalogCode.BAD_OPTIONS)
    for option in options:
        if not 1 <= len(option.values) <= MAX_OPTION_VALUES:
            raise ValidationError(
                f"option {option.name} needs 1 to {MAX_OPTION_VALUES} values",
                code=CatalogCode.BAD_OPTIONS,
            )
        values = [_check_label(value, "option value").casefold() for value in option.values]
        if len(set(values)) != len(values):
            raise ValidationError(
                f"option {option.name} lists a value twice", code=CatalogCode.BAD_OPTIONS
            )


def _check_variant(variant: Variant, options: tuple[Option, ...]) -> None:
    check_sku(variant.sku)
    check_stock(variant.stock)
    if variant.price_minor is not None:
        check_price(variant.price_minor)
    if len(variant.values) != len(options) or any(
        value not in option.values for value, option in zip(variant.values, options, strict=False)
    ):
        raise ValidationError(
            f"variant {variant.sku} must pick one listed value of each option",
            code=CatalogCode.BAD_OPTION_VALUE,
        )


def _check_label(label: object, what: str) -> str:
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
        raise ValidationError(
            f"{what} must be 1-{MAX_LABEL} characters", code=CatalogCode.BAD_OPTIONS
        )
    return label


def _parse_options(raw: object) -> tuple[Option, ...]:
    if not isinstance(raw, list):
        raise ValidationError("options must be a list", code=CatalogCode.BAD_OPTIONS)
    options = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise ValidationError(
                "each option needs a name and a list of values", code=CatalogCode.BAD_OPTIONS
            )
        name = _check_label(item.get("name"), "option name").strip()
        values = tuple(_check_label(v, "option value").strip() for v in item["values"])
        options.append(Option(name, values))
    return tuple(options)


def _parse_variant(raw: object, options: tuple[Option, ...]) -> Variant:
    if not isinstance(raw, dict):
        raise ValidationError("each variant must be an object", code=CatalogCode.BAD_VARIANTS)
    chosen = raw.get("options", {})
    if not isinstance(chosen, dict) or set(chosen) != {option.name for option in options}:
        raise ValidationError(
            "each variant must give a value for every option", code=CatalogCode.BAD_OPTION_VALUE
        )
    price = raw.get("price_minor")
    return Variant(
        sku=check_sku(raw.get("sku")),
        values=tuple(chosen[option.name] for option in options),
        stock=check_stock(raw.get("stock")),
        price_minor=None if price is None else check_price(price),
    )
