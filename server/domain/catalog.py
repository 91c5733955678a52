"""Product input rules for sellers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.domain.errors import ValidationError
from server.domain.money import check_currency, check_price
from server.domain.streams import check_title

MAX_STOCK = 1_000_000
MAX_DESCRIPTION = 5000
COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class ProductInput:
    title: str
    description: str
    image_url: str
    price_minor: int
    currency: str
    stock: int

    @classmethod
    def parse(cls, payload: object) -> ProductInput:
        if not isinstance(payload, dict):
            raise ValidationError("expected a JSON object")
        return cls(
            title=check_title(payload.get("title")),
            description=check_description(payload.get("description", "")),
            image_url=check_image_url(payload.get("image_url", "")),
            price_minor=check_price(payload.get("price_minor")),
            currency=check_currency(payload.get("currency")),
            stock=check_stock(payload.get("stock")),
        )


def check_stock(stock: object) -> int:
    if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
        raise ValidationError(f"stock must be an integer from 0 to {MAX_STOCK}", code="bad_stock")
    return stock


def check_description(text: object) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise ValidationError(
            f"description must be a string of at most {MAX_DESCRIPTION} characters",
            code="bad_description",
        )
    return text


def check_image_url(url: object) -> str:
    # Only http(s) or empty: the pages put it in <img src>, so javascript: must never pass.
    if url == "":
        return ""
    if not isinstance(url, str) or len(url) > 2000 or not url.startswith(("https://", "http://")):
        raise ValidationError("image_url must be an http(s) URL", code="bad_image_url")
    return url


def check_country(country: object) -> str:
    if not isinstance(country, str) or not COUNTRY.match(country):
        raise ValidationError("country must be an ISO 3166 alpha-2 code", code="bad_country")
    return country
