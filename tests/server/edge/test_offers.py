"""The marketplace through its doors, on SQLite and on PostgreSQL + Redis: sellers publish
offers, hosts join them (once) or apply and wait, and only then line up their products; a sale
in a member's show earns the offer's rate. Every refusal has its code and changes nothing."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from server.core.store.rows import CommissionEntry, OfferMember, Stream
from server.edge.http.context import DATABASE
from tests import factory


async def _shop(running, products: int = 2) -> tuple[str, list[int]]:
    seller = await factory.account(running, "seller")
    status, body = await running.call(
        "POST", "/api/sellers", seller, json={"name": "Marketplace shop", "country": "PL"}
    )
    assert status == 201, body
    ids = []
    for i in range(products):
        status, body = await running.call(
            "POST",
            "/api/products",
            seller,
            json={"title": f"Offered {i}", "price_minor": 10_000, "currency": "EUR", "stock": 9},
        )
        assert status == 201, body
        ids.append(body["id"])
    return seller, ids


async def _streams(running) -> int:
    async with running.app[DATABASE].reading() as session:
        return int(await session.scalar(select(func.count()).select_from(Stream)) or 0)


async def _schedule(running, host: str, product_ids: list[int], language: str = "pl"):
    return await running.call(
        "POST",
        "/api/streams",
        host,
        json={"title": "Show", "language": language, "product_ids": product_ids},
    )


async def test_a_joined_host_lines_up_the_offer_and_earns_its_rate(running) -> None:
    seller, (offered, other) = await _shop(running)
    member, outsider = (
        await factory.account(running, "host"),
        await factory.account(running, "host"),
    )
    offer_id = await factory.offer(running, seller, product_id=offered, rate_bp=2500)

    before = await _streams(running)
    status, body = await _schedule(running, outsider, [offered])
    assert (status, body["error"]["code"]) == (403, "product_not_joined")
    assert await _streams(running) == before  # nothing scheduled

    status, joined = await running.call("POST", f"/api/offers/{offer_id}/join", member, json={})
    assert (status, joined["status"]) == (201, "approved")
    status, body = await running.call("POST", f"/api/offers/{offer_id}/join", member, json={})
    assert (status, body["error"]["code"]) == (409, "offer_already_joined")
    async with running.app[DATABASE].reading() as session:
        rows = await session.scalar(select(func.count()).select_from(OfferMember))
    assert rows == 1

    status, show = await _schedule(running, member, [offered])
    assert status == 201, show
    status, body = await running.call(
        "PUT", f"/api/streams/{show['id']}/lineup", member, json={"product_ids": [offered, other]}
    )
    assert (status, body["error"]["code"]) == (403, "product_not_joined")
    _, kept = await running.call("GET", f"/api/streams/{show['id']}")
    assert [p["id"] for p in kept["lineup"]] == [offered]  # the line-up is as it was

    await factory.go_live(running, show["id"])
    buyer = await factory.account(running)
    status, order = await running.call(
        "POST",
        f"/api/streams/{show['id']}/orders",
        buyer,
        json={
            "product_id": offered,
            "quantity": 1,
            "idempotency_key": secrets.token_hex(8),
            "pay": True,
        },
    )
    assert (status, order["status"]) == (201, "paid"), order
    async with running.app[DATABASE].reading() as session:
        earned = list(await session.scalars(select(CommissionEntry.commission_minor)))
    assert earned == [2500]  # the offer's 25 %, not the shop's default (none)


async def test_an_offer_that_asks_for_approval_waits_for_the_seller(running) -> None:
    seller, (offered, _) = await _shop(running)
    stranger, _ = await _shop(running)
    host = await factory.account(running, "host")
    offer_id = await factory.offer(running, seller, product_id=offered, join="approval")
    status, applied = await running.call("POST", f"/api/offers/{offer_id}/join", host, json={})
    assert (status, applied["status"]) == (201, "pending")
    status, body = await _schedule(running, host, [offered])
    assert (status, body["error"]["code"]) == (403, "product_not_joined")

    decide = f"/api/offers/{offer_id}/members/{applied['host_id']}"
    status, body = await running.call("POST", decide, stranger, json={"decision": "approve"})
    assert (status, body["error"]["code"]) == (404, "offer_not_found")
    status, body = await running.call("POST", decide, seller, json={"decision": "maybe"})
    assert (status, body["error"]["code"]) == (400, "bad_decision")
    status, body = await running.call("POST", decide, seller, json={"decision": "approve"})
    assert (status, body["status"]) == (200, "approved")
    status, body = await running.call("POST", decide, seller, json={"decision": "reject"})
    assert (status, body["error"]["code"]) == (409, "membership_decided")

    status, show = await _schedule(running, host, [offered])
    assert status == 201, show
    _, mine = await running.call("GET", "/api/offers/mine", seller)
    assert [(m["status"], m["host_id"]) for m in mine["offers"][0]["members"]] == [
        ("approved", applied["host_id"])
    ]
    _, joined = await running.call("GET", "/api/offers/mine", host)
    assert [(o["id"], o["membership"]) for o in joined["offers"]] == [(offer_id, "approved")]


async def test_a_shop_outside_the_marketplace_keeps_its_line_ups_open(running) -> None:
    """Existing shops (no offer ever published) behave as before the marketplace."""
    show = await factory.show(running)
    other_host = await factory.account(running, "host")
    status, body = await _schedule(running, other_host, show.product_ids)
    assert status == 201, body


async def test_a_whole_shop_offer_covers_every_product_for_its_languages_and_countries(
    running,
) -> None:
    seller, products = await _shop(running)
    host = await factory.account(running, "host")
    offer_id = await factory.offer(
        running, seller, rate_bp=1500, countries=["PL", "FR"], languages=["pl"], category="home"
    )
    status, body = await running.call("POST", f"/api/offers/{offer_id}/join", host, json={})
    assert (status, body["error"]["code"]) == (403, "offer_not_in_country")
    status, body = await running.call(
        "POST", f"/api/offers/{offer_id}/join", host, json={"country": "DE"}
    )
    assert (status, body["error"]["code"]) == (403, "offer_not_in_country")
    status, body = await running.call(
        "POST", f"/api/offers/{offer_id}/join", host, json={"country": "FR"}
    )
    assert (status, body["status"], body["country"]) == (201, "approved", "FR")
    status, body = await _schedule(running, host, products, language="en")
    assert (status, body["error"]["code"]) == (403, "offer_not_in_language")
    status, body = await _schedule(running, host, products, language="pl")
    assert status == 201, body

    found = {}
    for query in (
        "",
        "?category=home",
        "?category=beauty",
        "?language=en",
        "?country=FR",
        "?country=de",
        "?min_rate_bp=1500",
        "?min_rate_bp=1501",
    ):
        status, body = await running.call("GET", f"/api/offers{query}", host)
        assert status == 200, body
        found[query] = [o["id"] for o in body["offers"] if o["id"] == offer_id]
    assert found == {
        "": [offer_id],
        "?category=home": [offer_id],
        "?category=beauty": [],
        "?language=en": [],
        "?country=FR": [offer_id],
        "?country=de": [],
        "?min_rate_bp=1500": [offer_id],
        "?min_rate_bp=1501": [],
    }
    _, body = await running.call("GET", "/api/offers", host)
    mine = next(o for o in body["offers"] if o["id"] == offer_id)
    assert (mine["membership"], mine["product_id"], mine["countries"]) == (
        "approved",
        None,
        ["FR", "PL"],
    )


async def test_a_closed_offer_takes_no_one_and_lines_up_nothing(running) -> None:
    seller, (offered, _) = await _shop(running)
    host, late = await factory.account(running, "host"), await factory.account(running, "host")
    offer_id = await factory.offer(running, seller, host, product_id=offered)
    status, body = await running.call(
        "PATCH", f"/api/offers/{offer_id}", seller, json={"status": "closed"}
    )
    assert (status, body["status"]) == (200, "closed")
    status, body = await running.call("POST", f"/api/offers/{offer_id}/join", late, json={})
    assert (status, body["error"]["code"]) == (409, "offer_closed")
    status, body = await _schedule(running, host, [offered])
    assert (status, body["error"]["code"]) == (403, "product_not_joined")
    _, listed = await running.call("GET", "/api/offers", host)
    assert offer_id not in [o["id"] for o in listed["offers"]]


BAD_OFFERS = [
    ({"rate_bp": 10_001}, 400, "bad_commission_rate"),
    ({"rate_bp": "10"}, 400, "bad_commission_rate"),
    ({}, 400, "bad_offer"),
    ({"rate_bp": 100, "category": "cars"}, 400, "bad_offer_category"),
    ({"rate_bp": 100, "join": "maybe"}, 400, "bad_join_policy"),
    ({"rate_bp": 100, "countries": ["pl"]}, 400, "bad_country"),
    ({"rate_bp": 100, "countries": "PL"}, 400, "bad_offer"),
    ({"rate_bp": 100, "languages": ["de"]}, 400, "bad_language"),
    ({"rate_bp": 100, "colour": "red"}, 400, "bad_field"),
    ({"rate_bp": 100, "product_id": 0}, 400, "bad_payload"),
    ([], 400, "invalid"),
]


async def test_bad_offers_are_refused_and_publish_nothing(running) -> None:
    seller, _ = await _shop(running)
    for body, status, code in BAD_OFFERS:
        answer = await running.call("POST", "/api/offers", seller, json=body)
        assert (answer[0], answer[1]["error"]["code"]) == (status, code), body
    _, mine = await running.call("GET", "/api/offers/mine", seller)
    assert mine["offers"] == []


async def test_who_may_publish_join_and_answer(running) -> None:
    seller, (offered, _) = await _shop(running)
    other_seller, (foreign, _) = await _shop(running)
    host, viewer = await factory.account(running, "host"), await factory.account(running)
    status, body = await running.call(
        "POST", "/api/offers", seller, json={"rate_bp": 100, "product_id": foreign}
    )
    assert (status, body["error"]["code"]) == (400, "bad_offer")  # not this shop's product
    status, body = await running.call("POST", "/api/offers", host, json={"rate_bp": 100})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    offer_id = await factory.offer(running, seller, product_id=offered)
    status, body = await running.call("POST", f"/api/offers/{offer_id}/join", viewer, json={})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await running.call("POST", "/api/offers/999999/join", host, json={})
    assert (status, body["error"]["code"]) == (404, "offer_not_found")
    status, body = await running.call(
        "PATCH", f"/api/offers/{offer_id}", other_seller, json={"status": "closed"}
    )
    assert (status, body["error"]["code"]) == (404, "offer_not_found")
    status, body = await running.call(
        "POST", f"/api/offers/{offer_id}/members/1", seller, json={"decision": "approve"}
    )
    assert (status, body["error"]["code"]) == (404, "membership_not_found")
    status, body = await running.call("GET", "/api/offers?min_rate_bp=x", host)
    assert (status, body["error"]["code"]) == (400, "bad_query")
    status, body = await running.call("GET", "/api/offers")
    assert (status, body["error"]["code"]) == (401, "auth_required")
