"""Shipping addresses: the countries we ship to, each with its postal code rule, whether it
needs a region (a US state, an Irish county...), and how its address is written on a parcel.

The countries are those of the eight show languages: GB, IE and US (en), FR (fr), ES (es),
PT (pt), IT (it), PL (pl), RU (ru), UA (uk). A postal code is normalized before it is checked
(upper case, the country's separator put back: "sw1a1aa" is "SW1A 1AA", "00950" is "00-950").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from server.core.domain.error_codes import AddressCode
from server.core.domain.errors import ValidationError

MAX_ADDRESSES = 10  # per buyer
MAX_LINE_CHARS = 120
MAX_NAME_CHARS = 80
MAX_CITY_CHARS = 80
MAX_REGION_CHARS = 80
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,22}$")
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)
IT_PROVINCE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class CountryFormat:
    """One country's address rules. `pattern` matches the normalized postal code; `split`
    is where the separator goes, counted from the end (GB, IE) or the start (PL, PT)."""

    country: str
    pattern: re.Pattern[str]
    example: str
    separator: str = ""
    split: int = 0  # >0: after that many characters; <0: before the last -split
    region: str = "optional"  # "required", "optional" or "none"
    # The parcel's lines after the street lines, from the fields: city, region, postal.
    last_lines: tuple[str, ...] = ("{postal_code} {city}",)

    def normalize(self, raw: str) -> str:
        compact = re.sub(r"[\s-]+", "", raw).upper()
        if not self.separator or not compact:
            return compact
        at = self.split if self.split > 0 else len(compact) + self.split
        if not 0 < at < len(compact):
            return compact
        return compact[:at] + self.separator + compact[at:]


FORMATS: dict[str, CountryFormat] = {
    f.country: f
    for f in (
        CountryFormat(
            "GB",
            re.compile(r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$"),
            "SW1A 1AA",
            separator=" ",
            split=-3,
            last_lines=("{city}", "{postal_code}"),
        ),
        CountryFormat(
            "IE",
            re.compile(r"^([AC-FHKNPRTV-Y][0-9]{2}|D6W) [0-9AC-FHKNPRTV-Y]{4}$"),
            "D02 X285",
            separator=" ",
            split=3,
            last_lines=("{city}", "{region}", "{postal_code}"),
        ),
        CountryFormat(
            "US",
            re.compile(r"^[0-9]{5}(-[0-9]{4})?$"),
            "94103",
            separator="-",
            split=5,
            region="required",
            last_lines=("{city}, {region} {postal_code}",),
        ),
        CountryFormat("FR", re.compile(r"^[0-9]{5}$"), "75001", region="none"),
        CountryFormat("ES", re.compile(r"^(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}$"), "28013"),
        CountryFormat(
            "PT", re.compile(r"^[1-9][0-9]{3}-[0-9]{3}$"), "1100-148", separator="-", split=4
        ),
        CountryFormat("IT", re.compile(r"^[0-9]{5}$"), "00184"),  # province: lines()
        CountryFormat(
            "PL",
            re.compile(r"^[0-9]{2}-[0-9]{3}$"),
            "00-950",
            separator="-",
            split=2,
            region="none",
        ),
        CountryFormat(
            "RU",
            re.compile(r"^[1-6][0-9]{5}$"),
            "101000",
            last_lines=("{city}", "{region}", "{postal_code}"),
        ),
        CountryFormat(
            "UA",
            re.compile(r"^[0-9]{5}$"),
            "01001",
            last_lines=("{city}", "{region}", "{postal_code}"),
        ),
    )
}
COUNTRIES = tuple(FORMATS)
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""

    def lines(self) -> list[str]:
        """The address as written on the parcel, in its country's order."""
        fmt = FORMATS[self.country]
        fields = {"city": self.city, "region": self.region, "postal_code": self.postal_code}
        tail = [" ".join(line.format(**fields).split()).strip(" ,") for line in fmt.last_lines]
        if self.country == "IT" and self.region:
            tail = [f"{self.postal_code} {self.city} ({self.region})"]
        return [p for p in (self.name, self.line1, self.line2, *tail) if p]

    def to_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


def check_country(country: object) -> str:
    """A country we ship to (its ISO 3166 alpha-2 code, any case)."""
    code = country.strip().upper() if isinstance(country, str) else None
    if code not in FORMATS:
        raise ValidationError(
            f"country must be one of {', '.join(COUNTRIES)}", code=AddressCode.UNSUPPORTED_COUNTRY
        )
    return code


def check_postal_code(country: str, postal_code: object) -> str:
    fmt = FORMATS[check_country(country)]
    if not isinstance(postal_code, str) or len(postal_code) > 16:
        raise ValidationError(
            f"postal_code: expected a {country} postal code like {fmt.example}",
            code=AddressCode.BAD_POSTAL_CODE,
        )
    normalized = fmt.normalize(postal_code)
    if not fmt.pattern.match(normalized):
        raise ValidationError(
            f"postal_code {postal_code.strip()!r} is not a {fmt.country} postal code "
            f"(like {fmt.example})",
            code=AddressCode.BAD_POSTAL_CODE,
        )
    return normalized


def check_address(data: object) -> Address:
    """An address from its JSON object: every field checked, the postal code normalized."""
    if not isinstance(data, dict):
        raise ValidationError("expected an address object", code=AddressCode.BAD_ADDRESS)
    unknown = set(data) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValidationError(
            f"unknown address fields: {', '.join(sorted(map(str, unknown)))}",
            code=AddressCode.BAD_ADDRESS,
        )
    country = check_country(data.get("country"))
    fmt = FORMATS[country]
    region = _text(data, "region", MAX_REGION_CHARS, required=fmt.region == "required")
    if fmt.region == "none":
        region = ""
    if country == "US" and region.upper() not in US_STATES:
        raise ValidationError(
            "region: a US state's two-letter code (CA, NY...)", code=AddressCode.BAD_REGION
        )
    if country in ("US", "IT") and region:
        region = region.upper()
        if country == "IT" and not IT_PROVINCE.match(region):
            raise ValidationError(
                "region: an Italian province's two-letter code (RM, MI...)",
                code=AddressCode.BAD_REGION,
            )
    return Address(
        name=_text(data, "name", MAX_NAME_CHARS, required=True),
        line1=_text(data, "line1", MAX_LINE_CHARS, required=True),
        line2=_text(data, "line2", MAX_LINE_CHARS),
        city=_text(data, "city", MAX_CITY_CHARS, required=True),
        region=region,
        postal_code=check_postal_code(country, data.get("postal_code")),
        country=country,
        phone=_phone(data.get("phone")),
    )


def _text(data: dict[str, Any], name: str, most: int, *, required: bool = False) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    code = AddressCode.BAD_REGION if name == "region" else AddressCode.BAD_ADDRESS
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string", code=code)
    text = " ".join(value.split())
    if required and not text:
        raise ValidationError(f"{name} is required", code=code)
    if len(text) > most or any(ord(c) < 32 for c in text):
        raise ValidationError(f"{name} must be at most {most} printable characters", code=code)
    return text


def _phone(value: object) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not PHONE.match(value.strip()):
        raise ValidationError(
            "phone: digits, spaces, ( ) - and an optional leading +", code=AddressCode.BAD_PHONE
        )
    return value.strip()
