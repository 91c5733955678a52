"""Where a shop ships and for how much: one fee per country, all in the shop's one shipping
currency. An order pays one shipping line per shop it buys from; a shop that does not ship to
the address's country refuses the order (and the viewer page says so before the tap)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from server.core.domain.addresses import check_country
from server.core.domain.error_codes import ShippingCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.money import MAX_PRICE_MINOR, Money, check_currency

MAX_FEE_MINOR = MAX_PRICE_MINOR // 1000


@dataclass(frozen=True)
class ShippingRate:
    country: str
    fee: Money


@dataclass(frozen=True)
class ShippingLine:
    seller_id: int
    fee: Money


@dataclass(frozen=True)
class ShippingQuote:
    country: str
    lines: tuple[ShippingLine, ...]
    total: Money


def check_rates(data: object) -> list[ShippingRate]:
    """A shop's whole table: `[{"country": "PL", "fee_minor": 1200, "currency": "PLN"}, ...]`,
    each country once, one currency for all. An empty list: the shop ships nowhere."""
    if not isinstance(data, list):
        raise ValidationError("rates must be a list", code=ShippingCode.BAD_RATES)
    rates: list[ShippingRate] = []
    for entry in data:
        if not isinstance(entry, dict) or set(entry) - {"country", "fee_minor", "currency"}:
            raise ValidationError(
                "each rate is {country, fee_minor, currency}", code=ShippingCode.BAD_RATES
            )
        fee = entry.get("fee_minor")
        if isinstance(fee, bool) or not isinstance(fee, int) or not 0 <= fee <= MAX_FEE_MINOR:
            raise ValidationError(
                f"fee_minor must be an integer from 0 to {MAX_FEE_MINOR}",
                code=ShippingCode.BAD_FEE,
            )
        rates.append(ShippingRate(check_country(entry.get("country")), Money(fee, _cur(entry))))
    countries = [r.country for r in rates]
    if len(set(countries)) != len(countries):
        raise ValidationError("each country once", code=ShippingCode.DUPLICATE_COUNTRY)
    if len({r.fee.currency for r in rates}) > 1:
        raise ValidationError(
            "a shop's fees are all in its one currency", code=ShippingCode.MIXED_CURRENCIES
        )
    return sorted(rates, key=lambda r: r.country)


def _cur(entry: Mapping[str, object]) -> str:
    return check_currency(entry.get("currency"))


def rate_for(rates: Iterable[ShippingRate], country: str) -> ShippingRate | None:
    return next((r for r in rates if r.country == country), None)


def quote(
    rates_by_seller: Mapping[int, Sequence[ShippingRate]],
    sellers: Iterable[int],
    country: str,
    currency: str,
) -> ShippingQuote:
    """What shipping the shops of an order cost to `country`, in the order's `currency`;
    refused when one of them does not ship there or charges in another currency."""
    lines = []
    for seller_id in sorted(set(sellers)):
        rate = rate_for(rates_by_seller.get(seller_id, ()), country)
        if rate is None:
            raise Conflict(
                f"this shop does not ship to {country}", code=ShippingCode.NOT_SHIPPED_TO_COUNTRY
            )
        if rate.fee.currency != currency:
            raise Conflict(
                f"this shop's shipping is in {rate.fee.currency}, the order in {currency}",
                code=ShippingCode.MIXED_CURRENCIES,
            )
        lines.append(ShippingLine(seller_id, rate.fee))
    total = sum(line.fee.amount_minor for line in lines)
    return ShippingQuote(country, tuple(lines), Money(total, currency))
