"""What `shopcast demo` seeds (server/edge/demo.py), each thing checked through the HTTP API as
the demo's people would see it: every demo account signs in with its role, the staff account
opens the staff console, the host has their followers, the viewer their saved address, the shop
its shipping table and offers, the show its line-up; seeding twice adds nothing. The command
itself (its banner, a restart) is tests/server/edge/test_cli.py."""

from __future__ import annotations

from typing import Any

from server.edge.demo import ACCOUNTS, FANS, PASSWORD, SHIPPING_EUR, VIEWER_ADDRESS, banner, seed
from tests.conftest import config_for

ROLES = {
    "seller": "seller",
    "host": "host",
    "moderator": "moderator",
    "viewer": "viewer",
    "coach": "coach",
    "admin": "admin",
}


async def sign_in(run: Any, email: str) -> tuple[str, dict]:
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert status == 200, (email, body)
    return body["token"], body["user"]


async def test_every_seeded_thing_through_the_api(backend, start) -> None:
    run = await start(config_for(backend))
    show = await seed(run.app)
    tokens, users = {}, {}
    for name, email in ACCOUNTS.items():
        tokens[name], users[name] = await sign_in(run, email)
        assert users[name]["role"] == ROLES[name], (name, users[name])
    for email in FANS:
        await sign_in(run, email)

    # The staff account opens the console and finds every demo account there.
    status, body = await run.call("GET", "/api/staff/users?q=demo.shopcast.test", tokens["admin"])
    assert status == 200
    assert {u["email"] for u in body["users"]} == set(ACCOUNTS.values()) | set(FANS)

    # The host's followers: the viewer and the two fans.
    host_id = users["host"]["id"]
    status, page = await run.call("GET", f"/api/hosts/{host_id}", tokens["viewer"])
    assert status == 200 and page["followers"] == 1 + len(FANS) and page["following"] is True
    assert [s["id"] for s in page["upcoming"]] == [show.stream_id]
    _, follows = await run.call("GET", "/api/me/follows", tokens["viewer"])
    assert follows["hosts"] == [host_id]

    # The viewer's saved address, their default.
    status, body = await run.call("GET", "/api/account/addresses", tokens["viewer"])
    assert status == 200 and len(body["addresses"]) == 1
    (address,) = body["addresses"]
    assert address["default"] is True
    assert {k: address[k] for k in VIEWER_ADDRESS} == VIEWER_ADDRESS

    # The shop's shipping table, and the show's "ships to you?" before the tap.
    status, body = await run.call("GET", "/api/seller/shipping", tokens["seller"])
    assert status == 200
    assert {r["country"]: r["fee_minor"] for r in body["rates"]} == SHIPPING_EUR
    assert {r["currency"] for r in body["rates"]} == {"EUR"}
    path = f"/api/streams/{show.stream_id}/shipping"
    status, home = await run.call("GET", path, tokens["viewer"])  # the saved address's country
    assert status == 200 and home["country"] == "FR", home
    assert all(p["ships"] for p in home["products"]), home
    _, far = await run.call("GET", path + "?country=US")
    assert far["products"] and not any(p["ships"] for p in far["products"]), far

    # The shop's offers, two of them joined by the host; the show's line-up of four currencies.
    status, body = await run.call("GET", "/api/offers/mine", tokens["seller"])
    assert status == 200 and len(body["offers"]) == 3
    _, mine = await run.call("GET", "/api/offers/mine", tokens["host"])
    assert sorted(o["membership"] for o in mine["offers"]) == ["approved", "approved"]
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    assert stream["status"] == "scheduled" and stream["host"]["id"] == host_id
    assert {p["currency"] for p in stream["lineup"]} == {"EUR", "PLN", "UAH", "USD"}

    assert (await seed(run.app)).stream_id == show.stream_id  # a second start seeds nothing
    _, body = await run.call("GET", "/api/staff/users?q=demo.shopcast.test", tokens["admin"])
    assert len(body["users"]) == len(ACCOUNTS) + len(FANS)
    assert f"{run.url}/staff" in banner(run.url, show.stream_id)
