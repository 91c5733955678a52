"""Addresses: each country's postal code rule, its region, and how it is written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.addresses import COUNTRIES, FORMATS, check_address, check_postal_code
from server.core.domain.error_codes import AddressCode
from server.core.domain.errors import ValidationError

GOOD = {
    "GB": ("sw1a1aa", "SW1A 1AA"),
    "IE": ("d02x285", "D02 X285"),
    "US": ("94103-1234", "94103-1234"),
    "FR": ("75001", "75001"),
    "ES": ("28013", "28013"),
    "PT": ("1100148", "1100-148"),
    "IT": ("00184", "00184"),
    "PL": ("00950", "00-950"),
    "RU": ("101000", "101000"),
    "UA": ("01001", "01001"),
}
BAD = {
    "GB": ["12345", "SW1A", "SW1A 1A"],
    "IE": ["D02", "B02 X285"],
    "US": ["9410", "ABCDE", "94103-12"],
    "FR": ["7500", "750011"],
    "ES": ["53001", "00123"],
    "PT": ["0100-148", "110-148"],
    "IT": ["0018", "ABCDE"],
    "PL": ["0095", "00-9500"],
    "RU": ["001000", "10100"],
    "UA": ["0100", "010011"],
}


def address(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "Ana Kowalska",
        "line1": "ul. Marszałkowska 1",
        "city": "Warszawa",
        "postal_code": "00-950",
        "country": "PL",
    }
    return base | changes


def test_every_language_country_has_a_rule() -> None:
    assert set(COUNTRIES) == set(GOOD)


@pytest.mark.parametrize("country", sorted(GOOD))
def test_postal_codes_are_normalized_and_checked(country: str) -> None:
    raw, normalized = GOOD[country]
    assert check_postal_code(country, raw) == normalized
    assert check_postal_code(country, normalized) == normalized
    assert check_postal_code(country, FORMATS[country].example) == FORMATS[country].example
    for bad in BAD[country]:
        with pytest.raises(ValidationError) as refused:
            check_postal_code(country, bad)
        assert refused.value.code == AddressCode.BAD_POSTAL_CODE


@given(st.sampled_from(COUNTRIES), st.text(max_size=12))
def test_a_postal_code_is_refused_or_stable(country: str, raw: str) -> None:
    """Whatever comes in: a clear refusal, or a code that checks again as itself."""
    try:
        normalized = check_postal_code(country, raw)
    except ValidationError as refused:
        assert refused.code == AddressCode.BAD_POSTAL_CODE
    else:
        assert check_postal_code(country, normalized) == normalized


def test_unsupported_country() -> None:
    with pytest.raises(ValidationError) as refused:
        check_address(address(country="DE", postal_code="10115"))
    assert refused.value.code == AddressCode.UNSUPPORTED_COUNTRY


def test_us_needs_a_state_and_writes_it_after_the_city() -> None:
    with pytest.raises(ValidationError) as refused:
        check_address(address(country="US", postal_code="94103", city="San Francisco"))
    assert refused.value.code == AddressCode.BAD_REGION
    with pytest.raises(ValidationError):
        check_address(address(country="US", postal_code="94103", region="XX"))
    us = check_address(address(country="US", postal_code="94103", city="SF", region="ca"))
    assert us.lines()[-1] == "SF, CA 94103"


def test_parcel_lines_follow_the_country() -> None:
    pl = check_address(address(line2="m. 4"))
    assert pl.lines() == ["Ana Kowalska", "ul. Marszałkowska 1", "m. 4", "00-950 Warszawa"]
    gb = check_address(address(country="GB", postal_code="sw1a 1aa", city="London"))
    assert gb.lines()[-2:] == ["London", "SW1A 1AA"]
    it = check_address(address(country="IT", postal_code="00184", city="Roma", region="rm"))
    assert it.lines()[-1] == "00184 Roma (RM)"
    fr = check_address(address(country="fr", postal_code="75001", city="Paris", region="IDF"))
    assert fr.region == "" and fr.country == "FR"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": ""}, AddressCode.BAD_ADDRESS),
        ({"line1": "   "}, AddressCode.BAD_ADDRESS),
        ({"city": 5}, AddressCode.BAD_ADDRESS),
        ({"line2": "x" * 121}, AddressCode.BAD_ADDRESS),
        ({"line1": "a\u0000b"}, AddressCode.BAD_ADDRESS),
        ({"phone": "call me"}, AddressCode.BAD_PHONE),
        ({"extra": 1}, AddressCode.BAD_ADDRESS),
        ({"postal_code": None}, AddressCode.BAD_POSTAL_CODE),
        ({"country": None}, AddressCode.UNSUPPORTED_COUNTRY),
    ],
)
def test_bad_fields(changes: dict[str, object], code: AddressCode) -> None:
    with pytest.raises(ValidationError) as refused:
        check_address(address(**changes))
    assert refused.value.code == code
