"""Accounts over real HTTP and Socket.IO: an admin changes a role or bans an account, and its
tokens stop working on every node within the recheck; tokens from the session cookie; a
secret rotation; guests cannot buy; and a buyer's taps cost no standing query."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from typing import Any

import pytest
import socketio
from sqlalchemy import event

from server.edge.http.context import DATABASE
from tests import factory
from tests.conftest import TEST_AUTH, Running, config_for

RECHECK_S = 0.3
_seq = itertools.count(1)


async def sign_up(run: Running, role: str = "viewer") -> tuple[int, str, str]:
    """A new account: its id, e-mail and token."""
    email = f"acct{next(_seq)}-{role}@example.test"
    body = {"email": email, "password": "correct horse", "display_name": "Ana", "role": role}
    status, answer = await run.call("POST", "/api/accounts", json=body)
    assert status == 201, answer
    return answer["user"]["id"], email, answer["token"]


async def sign_in(run: Running, email: str) -> tuple[int, Any]:
    body = {"email": email, "password": "correct horse"}
    return await run.call("POST", "/api/auth/login", json=body)


async def code(run: Running, method: str, path: str, token: str | None, **kw: Any) -> Any:
    status, body = await run.call(method, path, token, **kw)
    return (status, body["error"]["code"]) if status >= 400 else status


async def connect_refusal(run: Running, **connect: Any) -> list[Any]:
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(run.url, transports=["websocket"], **connect)
    return refusals


async def test_a_ban_refuses_the_accounts_tokens_on_every_node_within_the_recheck(
    backend, start
) -> None:
    config = config_for(backend, auth=replace(TEST_AUTH, recheck_s=RECHECK_S))
    a, b = await start(config), await start(config)
    user_id, email, token = await sign_up(a)
    admin = await factory.admin_token(a)
    assert await code(b, "GET", "/api/me", token) == 200  # b keeps a copy of the standing
    await (await b.sio(token)).disconnect()

    status, body = await a.call("PATCH", f"/api/accounts/{user_id}", admin, json={"disabled": True})
    assert (status, body["user"]["disabled"]) == (200, True)
    disabled = (403, "account_disabled")
    assert await code(a, "GET", "/api/me", token) == disabled  # the node that banned: at once
    await asyncio.sleep(RECHECK_S)  # the other node: once its copy is older than the recheck
    assert await code(b, "GET", "/api/me", token) == disabled
    assert await code(b, "POST", "/api/streams/1/orders", token, json={}) == disabled
    assert await connect_refusal(b, auth={"token": token}) == [{"message": "account_disabled"}]
    for node in (a, b):
        status, body = await sign_in(node, email)
        assert (status, body["error"]["code"]) == disabled

    status, _ = await b.call("PATCH", f"/api/accounts/{user_id}", admin, json={"disabled": False})
    assert status == 200
    status, body = await sign_in(a, email)
    assert status == 200
    assert await code(b, "GET", "/api/me", body["token"]) == 200
    await asyncio.sleep(RECHECK_S)
    revoked = (401, "token_revoked")  # lifting the ban does not bring the old token back
    assert await code(a, "GET", "/api/me", token) == revoked
    assert await code(b, "GET", "/api/me", token) == revoked
    assert await connect_refusal(a, auth={"token": token}) == [{"message": "token_revoked"}]


async def test_a_role_change_takes_effect_on_existing_tokens(running) -> None:
    user_id, email, host = await sign_up(running, "host")
    admin = await factory.admin_token(running)
    show = {"title": "Live", "language": "en", "product_ids": []}
    assert await code(running, "POST", "/api/streams", host, json=show) == 201
    status, body = await running.call(
        "PATCH", f"/api/accounts/{user_id}", admin, json={"role": "viewer"}
    )
    assert (status, body["user"]["role"]) == (200, "viewer")
    assert await code(running, "POST", "/api/streams", host, json=show) == (401, "token_revoked")
    status, body = await sign_in(running, email)
    assert (status, body["user"]["role"]) == (200, "viewer")
    assert await code(running, "POST", "/api/streams", body["token"], json=show) == (
        403,
        "forbidden",
    )


async def test_only_admins_change_accounts_and_never_their_own(running) -> None:
    user_id, _, viewer = await sign_up(running)
    admin = await factory.admin_token(running)
    _, me = await running.call("GET", "/api/me", admin)
    path = f"/api/accounts/{user_id}"
    ban = {"json": {"disabled": True}}
    assert await code(running, "PATCH", path, None, **ban) == (401, "auth_required")
    assert await code(running, "PATCH", path, viewer, **ban) == (403, "forbidden")
    own = f"/api/accounts/{me['user_id']}"
    assert await code(running, "PATCH", own, admin, **ban) == (403, "own_account")
    assert await code(running, "PATCH", "/api/accounts/999999", admin, **ban) == (
        404,
        "not_found",
    )
    for bad, expected in (({}, "bad_account_change"), ({"role": "owner"}, "bad_role")):
        assert await code(running, "PATCH", path, admin, json=bad) == (400, expected)
    assert await code(running, "GET", "/api/me", viewer) == 200  # nothing was changed


async def test_a_buyers_taps_cost_one_standing_query_per_recheck(running) -> None:
    engine = running.app[DATABASE].engine.sync_engine
    standing_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT users.id, users.token_version, users.disabled"):
            standing_reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        _, _, token = await sign_up(running)
        for _ in range(10):
            assert await code(running, "GET", "/api/me", token) == 200
        assert len(standing_reads) == 1, standing_reads
        others = [(await sign_up(running))[2] for _ in range(5)]
        taps = [running.call("GET", "/api/me", t) for t in others for _ in range(4)]
        answers = await asyncio.gather(*taps)
        assert {status for status, _ in answers} == {200}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The taps of five accounts at once: read together (at most one query each, however many)
    assert 2 <= len(standing_reads) <= 6, standing_reads


async def test_the_session_cookie_stands_in_for_a_bearer_token(running) -> None:
    _, _, ana = await sign_up(running)
    _, _, bo = await sign_up(running)
    _, ana_me = await running.call("GET", "/api/me", ana)
    _, bo_me = await running.call("GET", "/api/me", bo)
    cookie = {"Cookie": f"shopcast_session={ana}"}
    status, me = await running.call("GET", "/api/me", headers=dict(cookie))
    assert (status, me["subject"]) == (200, ana_me["subject"])
    status, me = await running.call("GET", "/api/me", bo, headers=dict(cookie))
    assert (status, me["subject"]) == (200, bo_me["subject"])  # the bearer token comes first
    forged = {"Cookie": "shopcast_session=forged"}
    assert await code(running, "GET", "/api/me", None, headers=forged) == (401, "bad_token")
    assert await code(running, "GET", "/api/streams", None, headers=forged) == 200  # public

    show = await factory.show(running)
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(running.url, headers=dict(cookie), transports=["websocket"])
    running.clients.append(client)
    ack = await client.call("join", {"stream_id": show.stream_id})
    assert ack["state"]["you"]["subject"] == ana_me["subject"]
    refusals = await connect_refusal(running, headers=forged)
    assert refusals == [{"message": "bad_token"}]


async def test_a_secret_rotation_keeps_signed_in_people_signed_in(sqlite_backend, start) -> None:
    before = config_for(sqlite_backend)
    old = await start(before)
    _, _, token = await sign_up(old)
    new_secret = before.secret[::-1] + "x"
    rotating = await start(
        replace(
            before, secret=new_secret, auth=replace(TEST_AUTH, previous_secrets=(before.secret,))
        )
    )
    assert await code(rotating, "GET", "/api/me", token) == 200
    await (await rotating.sio(token)).disconnect()
    _, _, fresh = await sign_up(rotating)
    retired = await start(replace(before, secret=new_secret))  # the old secret dropped
    assert await code(retired, "GET", "/api/me", fresh) == 200
    assert await code(retired, "GET", "/api/me", token) == (401, "bad_token")


async def test_guests_cannot_buy_use_a_cart_or_pay(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    _, guest = await running.call("POST", "/api/auth/guest", json={"display_name": "Guest"})
    token = guest["token"]
    item = {"product_id": show.product_ids[0], "quantity": 1}
    status, order = await running.call(
        "POST",
        f"/api/streams/{show.stream_id}/orders",
        show.viewer,
        json=item | {"idempotency_key": "viewer-0001"},
    )
    assert status == 201, order
    stream = f"/api/streams/{show.stream_id}"
    refused = (403, "account_required")
    for method, path, body in (
        ("POST", f"{stream}/orders", item | {"idempotency_key": "guest-0001"}),
        ("GET", f"{stream}/cart", None),
        ("PUT", f"{stream}/cart/items", item),
        ("POST", f"{stream}/cart/checkout", {"idempotency_key": "guest-0002"}),
        ("POST", f"/api/orders/{order['id']}/pay", None),
        ("GET", "/api/orders", None),
    ):
        kwargs = {"json": body} if body is not None else {}
        assert await code(running, method, path, token, **kwargs) == refused, path
    client = await running.sio(token)
    assert (await client.call("join", {"stream_id": show.stream_id}))["ok"]
    ack = await client.call("buy", item | {"idempotency_key": "guest-0003"})
    assert ack["error"]["code"] == "account_required"
