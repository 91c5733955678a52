"""Money is an integer of minor units plus an ISO 4217 currency, never a float."""

from __future__ import annotations

from dataclasses import dataclass

from server.core.domain.error_codes import CatalogCode
from server.core.domain.errors import ValidationError

# Currencies the shows sell in, with their minor-unit exponent.
CURRENCY_EXPONENTS = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "PLN": 2,
    "UAH": 2,
    "RUB": 2,
    "CZK": 2,
    "CHF": 2,
}
MAX_PRICE_MINOR = 10**11  # a billion in major units: anything above is a typo


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise ValidationError("amount must be an integer of minor units")

    def times(self, quantity: int) -> Money:
        return Money(self.amount_minor * quantity, self.currency)

    def __str__(self) -> str:
        exp = CURRENCY_EXPONENTS[self.currency]
        major, minor = divmod(self.amount_minor, 10**exp)
        return f"{major}.{minor:0{exp}d} {self.currency}"


def check_currency(code: object) -> str:
    if not isinstance(code, str) or code not in CURRENCY_EXPONENTS:
        raise ValidationError(
            f"currency must be one of {', '.join(sorted(CURRENCY_EXPONENTS))}",
            code=CatalogCode.BAD_CURRENCY,
        )
    return code


def check_price(amount_minor: object) -> int:
    if (
        isinstance(amount_minor, bool)
        or not isinstance(amount_minor, int)
        or not 0 <= amount_minor <= MAX_PRICE_MINOR
    ):
        raise ValidationError(
            f"price_minor must be an integer from 0 to {MAX_PRICE_MINOR}",
            code=CatalogCode.BAD_PRICE,
        )
    return amount_minor
