"""Buyers' profiles and addresses through the HTTP API, on SQLite and PostgreSQL + Redis: each
country's format, and bad input refused with its code and nothing changed."""

from __future__ import annotations

from typing import Any

from tests import factory

PL = {"name": "Ana", "line1": "ul. Prosta 1", "city": "Warszawa", "postal_code": "00950"}


def address(**changes: Any) -> dict[str, Any]:
    return {**PL, "country": "PL"} | changes


async def addresses(running, token: str) -> list[dict[str, Any]]:
    status, body = await running.call("GET", "/api/account/addresses", token)
    assert status == 200, body
    return body["addresses"]


async def test_profile_keeps_language_and_country(running) -> None:
    buyer = await factory.account(running)
    assert await running.call("GET", "/api/account/profile", buyer) == (
        200,
        {"language": None, "country": None},
    )
    status, body = await running.call(
        "PATCH", "/api/account/profile", buyer, json={"language": "uk", "country": "ua"}
    )
    assert (status, body) == (200, {"language": "uk", "country": "UA"})
    for bad, code in (
        ({"language": "de"}, "bad_language"),
        ({"country": "DE"}, "unsupported_country"),
        ({"colour": "red"}, "bad_field"),
    ):
        status, body = await running.call("PATCH", "/api/account/profile", buyer, json=bad)
        assert (status, body["error"]["code"]) == (400, code)
    status, body = await running.call(
        "PATCH", "/api/account/profile", buyer, json={"country": None}
    )
    assert body == {"language": "uk", "country": None}
    status, body = await running.call("GET", "/api/account/profile")
    assert status == 401
    status, guest = await running.call("POST", "/api/auth/guest", json={"display_name": "G"})
    assert status == 200, guest
    status, body = await running.call(
        "POST", "/api/account/addresses", guest["token"], json=address()
    )
    assert (status, body["error"]["code"]) == (403, "account_required")


async def test_addresses_in_each_countrys_format(running) -> None:
    buyer = await factory.account(running)
    status, first = await running.call("POST", "/api/account/addresses", buyer, json=address())
    assert status == 201, first
    assert first["postal_code"] == "00-950" and first["default"] is True
    assert first["lines"] == ["Ana", "ul. Prosta 1", "00-950 Warszawa"]
    us = address(country="US", postal_code="10001", city="New York", region="ny", default=True)
    status, second = await running.call("POST", "/api/account/addresses", buyer, json=us)
    assert status == 201, second
    assert second["lines"][-1] == "New York, NY 10001"
    listed = await addresses(running, buyer)
    assert [(a["id"], a["default"]) for a in listed] == [(first["id"], False), (second["id"], True)]
    gb = address(country="GB", postal_code="ec1a1bb", city="London")
    status, changed = await running.call(
        "PUT", f"/api/account/addresses/{first['id']}", buyer, json=gb
    )
    assert (status, changed["postal_code"], changed["country"]) == (200, "EC1A 1BB", "GB")
    # someone else's address is not found, and stays as it was
    other = await factory.account(running)
    for method, body in (("PUT", gb), ("DELETE", None)):
        status, answer = await running.call(
            method, f"/api/account/addresses/{second['id']}", other, json=body
        )
        assert (status, answer["error"]["code"]) == (404, "address_not_found")
    status, _ = await running.call("DELETE", f"/api/account/addresses/{second['id']}", buyer)
    assert status == 200
    assert [(a["id"], a["default"]) for a in await addresses(running, buyer)] == [
        (first["id"], True)
    ]
    status, countries = await running.call("GET", "/api/account/countries")
    assert status == 200 and len(countries["countries"]) == 10


BAD: list[tuple[dict[str, Any], str]] = [
    ({"postal_code": "0095"}, "bad_postal_code"),
    ({"country": "DE", "postal_code": "10115"}, "unsupported_country"),
    ({"country": "US", "postal_code": "10001"}, "bad_region"),
    ({"country": "PT", "postal_code": "0100-123"}, "bad_postal_code"),
    ({"name": ""}, "bad_address"),
    ({"phone": "no"}, "bad_phone"),
    ({"default": "yes"}, "bad_address"),
    ({"line1": ["x"]}, "bad_address"),
]


async def test_bad_addresses_change_nothing(running) -> None:
    buyer = await factory.account(running)
    status, kept = await running.call("POST", "/api/account/addresses", buyer, json=address())
    assert status == 201
    for changes, code in BAD:
        for method, path in (
            ("POST", "/api/account/addresses"),
            ("PUT", f"/api/account/addresses/{kept['id']}"),
        ):
            status, body = await running.call(method, path, buyer, json=address(**changes))
            assert (status, body["error"]["code"]) == (400, code), (changes, body)
    assert await addresses(running, buyer) == [kept]
