"""Shops' shipping and orders that carry an address, on SQLite and PostgreSQL + Redis: fees
per country added to the order, a shop that does not ship there refusing before and at the
tap, and bad tables refused with nothing changed."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select

from server.core.store.rows import Order, OrderShipping
from server.edge.http.context import DATABASE
from tests import factory

RATES = {
    "rates": [
        {"country": "PL", "fee_minor": 990, "currency": "EUR"},
        {"country": "FR", "fee_minor": 1500, "currency": "EUR"},
    ]
}


async def shop_with_rates(running) -> factory.Show:
    show = await factory.show(running)
    status, body = await running.call("PUT", "/api/seller/shipping", show.seller, json=RATES)
    assert status == 200, body
    await factory.go_live(running, show.stream_id)
    return show


async def saved(running, token: str, **fields: Any) -> int:
    address = {
        "name": "Ana",
        "line1": "ul. Prosta 1",
        "city": "Warszawa",
        "postal_code": "00-950",
        "country": "PL",
    } | fields
    status, body = await running.call("POST", "/api/account/addresses", token, json=address)
    assert status == 201, body
    return int(body["id"])


async def orders_in_db(running) -> tuple[int, int]:
    async with running.app[DATABASE].reading() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))
        shipped = await session.scalar(select(func.count()).select_from(OrderShipping))
    return int(orders or 0), int(shipped or 0)


async def test_the_seller_sets_where_the_shop_ships(running) -> None:
    show = await factory.show(running)
    assert await running.call("GET", "/api/seller/shipping", show.seller) == (200, {"rates": []})
    status, body = await running.call("PUT", "/api/seller/shipping", show.seller, json=RATES)
    assert status == 200 and [r["country"] for r in body["rates"]] == ["FR", "PL"]
    for bad, code in (
        ({"rates": [{"country": "DE", "fee_minor": 1, "currency": "EUR"}]}, "unsupported_country"),
        ({"rates": [{"country": "PL", "fee_minor": -5, "currency": "EUR"}]}, "bad_fee"),
        ({"rates": "PL"}, "bad_rates"),
        (
            {
                "rates": [
                    {"country": "PL", "fee_minor": 1, "currency": "EUR"},
                    {"country": "GB", "fee_minor": 1, "currency": "GBP"},
                ]
            },
            "shipping_currency_mismatch",
        ),
    ):
        status, answer = await running.call("PUT", "/api/seller/shipping", show.seller, json=bad)
        assert (status, answer["error"]["code"]) == (400, code)
    assert len((await running.call("GET", "/api/seller/shipping", show.seller))[1]["rates"]) == 2
    status, answer = await running.call("PUT", "/api/seller/shipping", show.viewer, json=RATES)
    assert (status, answer["error"]["code"]) == (403, "forbidden")


async def test_the_show_says_where_it_ships_before_the_tap(running) -> None:
    show = await shop_with_rates(running)
    path = f"/api/streams/{show.stream_id}/shipping"
    status, body = await running.call("GET", path + "?country=FR")
    assert status == 200 and body["country"] == "FR"
    assert {p["ships"] for p in body["products"]} == {True}
    assert body["products"][0]["fee_minor"] == 1500
    status, body = await running.call("GET", path + "?country=GB")
    assert {(p["ships"], p["fee_minor"]) for p in body["products"]} == {(False, None)}
    status, body = await running.call("GET", path, show.viewer)  # no address, no country yet
    assert (status, body["error"]["code"]) == (400, "address_required")
    await saved(running, show.viewer)
    status, body = await running.call("GET", path, show.viewer)
    assert (status, body["country"]) == (200, "PL")
    status, body = await running.call("GET", path + "?country=XX")
    assert (status, body["error"]["code"]) == (400, "unsupported_country")


async def test_an_order_carries_its_address_and_shipping(running) -> None:
    show = await shop_with_rates(running)
    address_id = await saved(running, show.viewer)
    body = {"product_id": show.product_ids[0], "idempotency_key": secrets.token_hex(8)}
    status, order = await running.call(
        "POST",
        f"/api/streams/{show.stream_id}/orders",
        show.viewer,
        json=body | {"address_id": address_id},
    )
    assert status == 201, order
    assert order["total_minor"] == order["subtotal_minor"] + 990
    status, mine = await running.call("GET", "/api/account/orders", show.viewer)
    assert status == 200
    shipping = mine["orders"][0]["shipping"]
    assert shipping["fee_minor"] == 990 and shipping["country"] == "PL"
    assert shipping["address_lines"][-1] == "00-950 Warszawa"
    # editing the address afterwards changes no order
    gb = {"name": "Ana", "line1": "1 High St", "city": "Bath", "postal_code": "BA1 1AA"}
    await running.call(
        "PUT", f"/api/account/addresses/{address_id}", show.viewer, json=gb | {"country": "GB"}
    )
    _, mine = await running.call("GET", "/api/account/orders", show.viewer)
    assert mine["orders"][0]["shipping"]["country"] == "PL"


async def test_a_shop_that_does_not_ship_there_refuses_and_nothing_is_sold(running) -> None:
    show = await shop_with_rates(running)
    gb = await saved(running, show.viewer, country="GB", postal_code="SW1A 1AA", city="London")
    other = await saved(running, show.viewer2)
    _, product = await running.call("GET", f"/api/products/{show.product_ids[0]}")
    before = await orders_in_db(running)
    stream = f"/api/streams/{show.stream_id}"
    for address_id, code, status_wanted in (
        (gb, "not_shipped_to_country", 409),
        (other, "address_not_found", 404),  # another buyer's address
        ("x", "address_not_found", 400),
    ):
        body = {
            "product_id": show.product_ids[0],
            "idempotency_key": secrets.token_hex(8),
            "address_id": address_id,
        }
        status, answer = await running.call("POST", f"{stream}/orders", show.viewer, json=body)
        assert (status, answer["error"]["code"]) == (status_wanted, code), answer
    assert await orders_in_db(running) == before
    _, after = await running.call("GET", f"/api/products/{show.product_ids[0]}")
    assert after["stock"] == product["stock"]


async def test_cart_checkout_over_the_room_ships_too(running) -> None:
    show = await shop_with_rates(running)
    address_id = await saved(running, show.viewer)
    stream = f"/api/streams/{show.stream_id}"
    item = {"product_id": show.product_ids[0], "quantity": 2}
    status, _ = await running.call("PUT", f"{stream}/cart/items", show.viewer, json=item)
    assert status == 200
    client = await running.sio(show.viewer)
    joined = await client.call("join", {"stream_id": show.stream_id})
    assert joined.get("ok"), joined
    answer = await client.call(
        "checkout", {"idempotency_key": secrets.token_hex(8), "address_id": address_id}
    )
    assert answer.get("ok"), answer
    order = answer["order"]
    assert order["total_minor"] == order["subtotal_minor"] + 990
