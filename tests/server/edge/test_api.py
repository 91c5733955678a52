"""Black-box tests of the HTTP API, against SQLite and against PostgreSQL + Redis."""

from __future__ import annotations

import pytest

from server.edge.http.context import CONFIG
from server.edge.http.openapi import document
from tests import factory
from tests.conftest import config_for


async def test_sign_up_sign_in_and_me(running) -> None:
    status, body = await running.call(
        "POST",
        "/api/accounts",
        json={"email": "Ana@Example.test", "password": "correct horse", "display_name": "Ana"},
    )
    assert status == 201 and body["user"]["role"] == "viewer"
    status, body = await running.call(
        "POST", "/api/auth/login", json={"email": "ana@example.test", "password": "correct horse"}
    )
    assert status == 200
    status, me = await running.call("GET", "/api/me", body["token"])
    assert (status, me["display_name"], me["guest"]) == (200, "Ana", False)


async def test_wrong_password_and_duplicate_email(running) -> None:
    account = {"email": "bo@example.test", "password": "correct horse", "display_name": "Bo"}
    assert (await running.call("POST", "/api/accounts", json=account))[0] == 201
    status, body = await running.call("POST", "/api/accounts", json=account)
    assert (status, body["error"]["code"]) == (409, "email_taken")
    status, body = await running.call(
        "POST", "/api/auth/login", json={"email": "bo@example.test", "password": "wrong!!!!"}
    )
    assert (status, body["error"]["code"]) == (401, "bad_credentials")


async def test_privileged_roles_need_an_admin(running) -> None:
    account = {"email": "m@example.test", "password": "correct horse", "display_name": "M"}
    status, body = await running.call("POST", "/api/accounts", json=account | {"role": "moderator"})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    admin = await factory.admin_token(running)
    status, body = await running.call(
        "POST", "/api/accounts", admin, json=account | {"role": "moderator"}
    )
    assert status == 201 and body["user"]["role"] == "moderator"


async def test_guest_token(running) -> None:
    status, body = await running.call("POST", "/api/auth/guest", json={"display_name": " Zoé "})
    assert status == 200 and body["user"] == {
        "id": None,
        "display_name": "Zoé",
        "role": "viewer",
        "guest": True,
    }
    status, me = await running.call("GET", "/api/me", body["token"])
    assert me["guest"] is True and me["subject"].startswith("g:")


async def test_show_lifecycle_through_the_api(running) -> None:
    show = await factory.show(running)
    status, stream = await running.call("GET", f"/api/streams/{show.stream_id}")
    assert status == 200 and stream["status"] == "scheduled"
    assert [p["id"] for p in stream["lineup"]] == show.product_ids
    assert "stream_key" not in stream
    other = await factory.show(running, stocks=(1,))
    _, listing = await running.call("GET", "/api/streams?status=scheduled")
    lineups = {s["id"]: [p["id"] for p in s["lineup"]] for s in listing["streams"]}
    assert lineups == {show.stream_id: show.product_ids, other.stream_id: other.product_ids}
    status, key = await running.call("GET", f"/api/streams/{show.stream_id}/key", show.host)
    assert key["stream_key"] == show.stream_key and key["whip_url"].endswith(
        f"/whip/{show.stream_id}"
    )
    status, body = await running.call("GET", f"/api/streams/{show.stream_id}/key", show.viewer)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, stream = await running.call(
        "PUT",
        f"/api/streams/{show.stream_id}/lineup",
        show.host,
        json={"product_ids": show.product_ids[:1]},
    )
    assert [p["id"] for p in stream["lineup"]] == show.product_ids[:1]
    status, stream = await running.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert (status, stream["status"]) == (200, "ended")
    status, body = await running.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert (status, body["error"]["code"]) == (409, "stream_ended")


async def test_buy_over_http_is_idempotent_and_never_oversells(running) -> None:
    show = await factory.show(running, stocks=(2,))
    await factory.go_live(running, show.stream_id)
    path = f"/api/streams/{show.stream_id}/orders"
    first = {"product_id": show.product_ids[0], "quantity": 2, "idempotency_key": "key-0001"}
    status, order = await running.call("POST", path, show.viewer, json=first)
    assert status == 201 and order["total_minor"] == 2 * 1999 and order["status"] == "reserved"
    status, again = await running.call("POST", path, show.viewer, json=first)
    assert (status, again["id"]) == (200, order["id"])
    status, body = await running.call("POST", path, show.viewer, json=first | {"quantity": 1})
    assert (status, body["error"]["code"]) == (409, "idempotency_reused")
    status, body = await running.call(
        "POST", path, show.viewer2, json=first | {"quantity": 1, "idempotency_key": "key-0002"}
    )
    assert (status, body["error"]["code"]) == (409, "sold_out")
    status, product = await running.call("GET", f"/api/products/{show.product_ids[0]}")
    assert product["stock"] == 0
    status, mine = await running.call("GET", "/api/orders", show.viewer)
    assert [o["id"] for o in mine["orders"]] == [order["id"]]
    status, body = await running.call("GET", f"/api/orders/{order['id']}", show.viewer2)
    assert (status, body["error"]["code"]) == (403, "forbidden")


async def test_purchases_wait_for_the_show_to_go_live(running) -> None:
    show = await factory.show(running)
    status, body = await running.call(
        "POST",
        f"/api/streams/{show.stream_id}/orders",
        show.viewer,
        json={"product_id": show.product_ids[0], "idempotency_key": "key-0001"},
    )
    assert (status, body["error"]["code"]) == (409, "not_live")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("POST", "/api/accounts", {"data": b"{not json"}, 400, "bad_json"),
        ("POST", "/api/accounts", {"json": [1, 2]}, 400, "invalid"),
        ("POST", "/api/accounts", {"json": {"email": "x"}}, 400, "bad_email"),
        ("POST", "/api/auth/guest", {"json": {"display_name": ""}}, 400, "bad_display_name"),
        ("GET", "/api/me", {}, 401, "auth_required"),
        ("GET", "/api/me", {"headers": {"Authorization": "Bearer nope"}}, 401, "bad_token"),
        ("GET", "/api/streams/abc", {}, 400, "bad_id"),
        ("GET", "/api/streams/99999", {}, 404, "stream_not_found"),
        ("GET", "/api/streams/99999999999", {}, 400, "bad_id"),
        ("GET", "/api/streams/²", {}, 400, "bad_id"),
        ("GET", "/api/products?seller_id=99999999999", {}, 400, "bad_query"),
        ("POST", "/api/products", {"data": b"[" * 50_000}, 400, "bad_json"),
        ("POST", "/api/streams/1/orders", {"json": {}}, 401, "auth_required"),
        ("GET", "/api/streams?status=weird", {}, 400, "bad_status"),
        ("GET", "/api/products?seller_id=-1", {}, 400, "bad_query"),
        ("GET", "/api/nowhere", {}, 404, "not_found"),
        ("DELETE", "/api/products", {}, 405, "method_not_allowed"),
        ("POST", "/api/accounts", {"data": b"x" * 300_000}, 413, "payload_too_large"),
    ],
)
async def test_bad_requests_get_a_json_4xx(running, method, path, kwargs, status, code) -> None:
    got, body = await running.call(method, path, **kwargs)
    assert (got, body["error"]["code"]) == (status, code)
    assert body["error"]["message"]


async def test_seller_rules(running) -> None:
    show = await factory.show(running)
    product = f"/api/products/{show.product_ids[0]}"
    status, body = await running.call("PATCH", product, show.seller, json={"stock": 9})
    assert (status, body["stock"]) == (200, 9)
    status, body = await running.call("PATCH", product, show.host, json={"stock": 1})
    assert (status, body["error"]["code"]) == (404, "no_seller")
    status, body = await running.call("PATCH", product, show.seller, json={"currency": "USD"})
    assert (status, body["error"]["code"]) == (400, "bad_field")
    status, body = await running.call(
        "POST",
        "/api/products",
        show.seller,
        json={"title": "x", "price_minor": 1.5, "currency": "EUR", "stock": 1},
    )
    assert (status, body["error"]["code"]) == (400, "bad_price")


async def test_health(running) -> None:
    status, body = await running.call("GET", "/healthz")
    expected_redis = "ok" if running.app[CONFIG].redis_url else "off"
    assert (status, body) == (200, {"status": "ok", "database": "ok", "redis": expected_redis})


async def test_health_is_503_when_redis_is_down(sqlite_backend, start) -> None:
    # Port 9 (discard) has no Redis: the node must say it is unhealthy, not crash.
    run = await start(config_for(sqlite_backend, redis_url="redis://127.0.0.1:9/0"))
    status, body = await run.call("GET", "/healthz")
    assert status == 503 and body["status"] == "unavailable"
    assert body["database"] == "ok" and body["redis"].startswith("down")


async def test_openapi_describes_every_api_route(running) -> None:
    status, served = await running.call("GET", "/api/openapi.json")
    assert status == 200 and served == document()
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in running.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method not in ("HEAD", "OPTIONS")
    }
    documented = {(m, p) for p, ops in served["paths"].items() for m in ops}
    assert routes - {("get", "/api/openapi.json")} <= documented


async def test_a_refused_caller_hears_so_before_a_bad_field(running) -> None:
    """The bodies parsed by their models in the handler keep the order the services had: who
    may ask is refused first (then the first bad field, for who may); a line-up and an
    account's role are read before who is asking."""
    show = await factory.show(running)
    viewer = show.viewer
    _, guest = await running.call("POST", "/api/auth/guest", json={"display_name": "G"})
    stream = f"/api/streams/{show.stream_id}"
    asked = [
        ("POST", "/api/sellers", viewer, {"name": ""}, 403, "forbidden"),
        ("POST", "/api/sellers", await factory.account(running, "seller"), {}, 400, "bad_title"),
        ("POST", "/api/streams", viewer, {"title": 7}, 403, "forbidden"),
        ("POST", "/api/streams", show.host, {"title": 7}, 400, "bad_title"),
        ("POST", "/api/streams", show.host, {"title": "T", "product_ids": [0]}, 400, "bad_lineup"),
        ("PUT", f"{stream}/cart/items", guest["token"], {}, 403, "account_required"),
        ("PUT", f"{stream}/cart/items", viewer, {"product_id": 0}, 400, "bad_product"),
        (
            "PUT",
            f"{stream}/cart/items",
            viewer,
            {"product_id": 1, "quantity": 11},
            400,
            "bad_quantity",
        ),
        ("POST", f"{stream}/deals", viewer, {"product_id": "x"}, 403, "forbidden"),
        ("POST", "/api/streams/999999/deals", show.host, {}, 404, "stream_not_found"),
        ("POST", f"{stream}/deals", show.host, {"product_id": "x"}, 400, "bad_product"),
        ("POST", "/api/coupons", viewer, {"code": "!"}, 403, "forbidden"),
        (
            "POST",
            "/api/coupons",
            show.host,
            {"code": "!", "stream_id": show.stream_id},
            400,
            "bad_coupon_code",
        ),
        ("PUT", f"{stream}/lineup", viewer, {"product_ids": "x"}, 400, "bad_lineup"),
        ("PUT", f"{stream}/lineup", viewer, {"product_ids": []}, 403, "forbidden"),
        ("POST", "/api/accounts", None, {"role": "admin", "email": "x"}, 403, "forbidden"),
        ("POST", "/api/accounts", None, {"role": "boss", "email": "x"}, 400, "bad_role"),
        ("POST", "/api/accounts", None, {"email": "x"}, 400, "bad_email"),
    ]
    for method, path, token, body, status, code in asked:
        got, answer = await running.call(method, path, token, json=body)
        assert (got, answer["error"]["code"]) == (status, code), (method, path, body, answer)
