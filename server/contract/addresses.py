"""Buyers' profiles and shipping addresses: what /api/account/profile and
/api/account/addresses take, and what they answer (docs/protocol.md "Addresses and shipping")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from server.contract.answers import Answer
from server.contract.body import Cleaned, Id, require_object
from server.contract.shapes import Language, shown
from server.core.domain.addresses import (
    ADDRESS_FIELDS,
    COUNTRIES,
    FORMATS,
    MAX_CITY_CHARS,
    MAX_LINE_CHARS,
    MAX_NAME_CHARS,
    MAX_REGION_CHARS,
    Address,
    check_address,
    check_country,
)
from server.core.domain.error_codes import AddressCode, GeneralCode
from server.core.domain.errors import ValidationError
from server.core.domain.streams import check_language
from server.core.services.addresses import Profile, as_address
from server.core.store.rows import ShippingAddress

Country = Literal["GB", "IE", "US", "FR", "ES", "PT", "IT", "PL", "RU", "UA"]  # COUNTRIES
Text = Annotated[str, Field(max_length=MAX_LINE_CHARS)]


class ProfileChange(Cleaned):
    """Either or both; null clears one."""

    language: Annotated[str | None, shown(Language | None)] = None
    country: Annotated[str | None, shown(Country | None)] = None

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an object with language and/or country")
        unknown = set(given) - {"language", "country"}
        if unknown:
            raise ValidationError(
                f"unknown fields: {', '.join(sorted(unknown))}", code=GeneralCode.BAD_FIELD
            )
        cleaned: dict[str, Any] = {}
        if given.get("language") is not None:
            cleaned["language"] = check_language(given["language"])
        if given.get("country") is not None:
            cleaned["country"] = check_country(given["country"])
        return cleaned

    def changes(self, raw: dict[str, Any]) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in ("language", "country") if name in raw}


class NewAddress(Cleaned):
    """An address in its country's format (postal code rule, region where one is needed);
    `default: true` makes it the one the viewer page picks first."""

    name: Annotated[str, Field(max_length=MAX_NAME_CHARS)]
    line1: Text
    line2: Text = ""
    city: Annotated[str, Field(max_length=MAX_CITY_CHARS)]
    region: Annotated[str, Field(max_length=MAX_REGION_CHARS)] = ""
    postal_code: Annotated[str, Field(max_length=16)]
    country: Annotated[str, shown(Country)]
    phone: Annotated[str, Field(max_length=24)] = ""
    default: bool = False

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data, "expected an address object", code=AddressCode.BAD_ADDRESS)
        fields = {k: v for k, v in given.items() if k != "default"}
        make_default = given.get("default", False)
        if not isinstance(make_default, bool):
            raise ValidationError("default must be true or false", code=AddressCode.BAD_ADDRESS)
        return check_address(fields).to_dict() | {"default": make_default}

    def address(self) -> Address:
        return Address(**{name: getattr(self, name) for name in ADDRESS_FIELDS})


# -- answers ---------------------------------------------------------------------------------


class ProfileAnswer(Answer):
    language: Language | None = None
    country: Country | None = None


class AddressAnswer(Answer):
    id: Id | None = None
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: Country | None = None
    phone: str | None = None
    default: bool | None = None
    lines: list[str] | None = Field(None, description="as written on the parcel")


class Addresses(Answer):
    addresses: list[AddressAnswer] | None = None


class Deleted(Answer):
    deleted: Id | None = None


class CountryRule(Answer):
    country: Country | None = None
    postal_example: str | None = None
    region: Literal["required", "optional", "none"] | None = None


class Countries(Answer):
    countries: list[CountryRule] | None = None


def profile_view(profile: Profile) -> dict[str, Any]:
    return {"language": profile.language, "country": profile.country}


def address_view(row: ShippingAddress) -> dict[str, Any]:
    address = as_address(row)
    return {"id": row.id, **address.to_dict(), "default": row.is_default, "lines": address.lines()}


def countries_view() -> dict[str, Any]:
    return {
        "countries": [
            {"country": c, "postal_example": FORMATS[c].example, "region": FORMATS[c].region}
            for c in COUNTRIES
        ]
    }
