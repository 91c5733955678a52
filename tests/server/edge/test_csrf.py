"""The pages' session cookie and CSRF: cookies set at sign-in, a write by cookie needs the CSRF
header and our own Origin, bearer clients need neither, and Socket.IO refuses other sites."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest
import socketio

from server.core.auth import SESSION_COOKIE
from server.edge.http.security import CSRF_COOKIE, CSRF_HEADER
from tests import factory
from tests.conftest import config_for

EVIL = "https://evil.test"


async def sign_in(
    run: Any, path: str = "/api/auth/guest", **body: Any
) -> tuple[dict, SimpleCookie]:
    """A browser's sign-in: the JSON answer and the cookies it set (read off Set-Cookie, as the
    test client's own jar keeps no cookies for an IP address)."""
    body = body or {"display_name": "Ana"}
    async with run.http.post(run.url + path, json=body) as resp:
        assert resp.status in (200, 201), await resp.text()
        cookies = SimpleCookie()
        for header in resp.headers.getall("Set-Cookie"):
            cookies.load(header)
        return await resp.json(), cookies


def cookie_header(cookies: SimpleCookie) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())


async def send(run: Any, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    async with run.http.request(method, run.url + path, **kw) as resp:
        return resp.status, await resp.json(content_type=None) if resp.content_length else None


@pytest.fixture
async def run(sqlite_backend, start):
    return await start(config_for(sqlite_backend))


async def test_signing_in_sets_the_session_and_csrf_cookies(run) -> None:
    body, cookies = await sign_in(run)
    session, csrf = cookies[SESSION_COOKIE], cookies[CSRF_COOKIE]
    ttl = body["expires_in"]
    assert session.value == body["token"] and ttl == 7 * 24 * 3600
    assert session["httponly"] and not csrf["httponly"]  # the pages read the CSRF value
    for morsel in (session, csrf):
        assert morsel["samesite"] == "Strict" and morsel["path"] == "/"
        assert morsel["max-age"] == str(ttl)
        assert not morsel["secure"]  # plain http here: a Secure cookie would never come back
    assert len(csrf.value) >= 32
    _, again = await sign_in(run)
    assert again[CSRF_COOKIE].value != csrf.value


async def test_the_cookies_are_secure_behind_an_https_url(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend, public_url="https://shop.example"))
    _, cookies = await sign_in(run)
    assert cookies[SESSION_COOKIE]["secure"] and cookies[CSRF_COOKIE]["secure"]


async def test_an_admin_making_an_account_keeps_their_own_cookie(run) -> None:
    admin = await factory.admin_token(run)
    async with run.http.post(
        run.url + "/api/accounts",
        headers={"Authorization": f"Bearer {admin}"},
        json={
            "email": "mo@example.test",
            "password": "correct horse",
            "display_name": "Mo",
            "role": "moderator",
        },
    ) as resp:
        assert resp.status == 201
        assert "Set-Cookie" not in resp.headers


async def test_a_write_by_cookie_needs_the_csrf_header(run) -> None:
    _, cookies = await sign_in(
        run,
        "/api/accounts",
        email="sel@example.test",
        password="correct horse",
        display_name="Sel",
        role="seller",
    )
    jar = cookie_header(cookies)
    shop = {"name": "Sel's", "country": "PL"}
    for headers in ({}, {CSRF_HEADER: ""}, {CSRF_HEADER: cookies[CSRF_COOKIE].value + "x"}):
        status, body = await send(
            run, "POST", "/api/sellers", json=shop, headers={"Cookie": jar, **headers}
        )
        assert (status, body["error"]["code"]) == (403, "csrf_failed"), headers
    # The right value from another site's page is still refused.
    good = {"Cookie": jar, CSRF_HEADER: cookies[CSRF_COOKIE].value}
    status, body = await send(
        run, "POST", "/api/sellers", json=shop, headers=good | {"Origin": EVIL}
    )
    assert (status, body["error"]["code"]) == (403, "csrf_failed")
    status, body = await send(
        run, "POST", "/api/sellers", json=shop, headers=good | {"Origin": run.url}
    )
    assert status == 201, body
    # Reads need nothing: a foreign page cannot read the answer anyway.
    status, body = await send(run, "GET", "/api/sellers/me", headers={"Cookie": jar})
    assert (status, body["name"]) == (200, "Sel's")


async def test_a_cookie_without_its_csrf_twin_cannot_write(run) -> None:
    _, cookies = await sign_in(run)
    jar = f"{SESSION_COOKIE}={cookies[SESSION_COOKIE].value}"
    status, body = await send(
        run, "POST", "/api/sellers", json={}, headers={"Cookie": jar, CSRF_HEADER: ""}
    )
    assert (status, body["error"]["code"]) == (403, "csrf_failed")


async def test_bearer_clients_need_no_csrf_header(run) -> None:
    body, cookies = await sign_in(run)
    headers = {"Authorization": f"Bearer {body['token']}", "Cookie": cookie_header(cookies)}
    status, answer = await send(run, "POST", "/api/sellers", json={}, headers=headers)
    assert (status, answer["error"]["code"]) == (403, "forbidden")  # a guest opens no shop


async def test_signing_in_from_another_site_is_refused(run) -> None:
    """Login CSRF: another site's form must not sign a visitor into the attacker's account."""
    status, body = await send(
        run, "POST", "/api/auth/guest", json={"display_name": "X"}, headers={"Origin": EVIL}
    )
    assert (status, body["error"]["code"]) == (403, "csrf_failed")
    status, _ = await send(
        run, "POST", "/api/auth/guest", json={"display_name": "X"}, headers={"Origin": run.url}
    )
    assert status == 200


async def test_the_public_url_is_our_origin_too(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend, public_url="https://shop.example"))
    headers = {"Origin": "https://shop.example"}
    status, _ = await send(
        run, "POST", "/api/auth/guest", json={"display_name": "X"}, headers=headers
    )
    assert status == 200


async def test_media_doors_ignore_the_cookie(run) -> None:
    """WHEP is open (and other sites' players are welcome): a cookie sent along grants nothing,
    so it needs no CSRF header, even from another origin."""
    show = await factory.show(run)
    _, cookies = await sign_in(run)
    headers = {"Cookie": cookie_header(cookies), "Origin": EVIL, "Content-Type": "application/sdp"}
    status, body = await send(
        run, "POST", f"/whep/{show.stream_id}", data="v=0\r\n", headers=headers
    )
    assert (status, body["error"]["code"]) == (409, "not_live")


async def test_logout_clears_both_cookies(run) -> None:
    _, cookies = await sign_in(run)
    async with run.http.post(
        run.url + "/api/auth/logout", headers={"Cookie": cookie_header(cookies)}
    ) as resp:
        assert resp.status == 204
        cleared = SimpleCookie()
        for header in resp.headers.getall("Set-Cookie"):
            cleared.load(header)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        assert cleared[name].value == "" and cleared[name]["max-age"] == "0"


async def connect(run: Any, headers: dict[str, str], transport: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(run.url, headers=headers, transports=[transport])
    run.clients.append(client)
    return client


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_socketio_refuses_another_sites_page(run, transport) -> None:
    """Cross-site WebSocket hijacking: a page of another site opening our socket would carry its
    visitor's cookie; the handshake is refused."""
    show = await factory.show(run)
    body, cookies = await sign_in(run)
    jar = cookie_header(cookies)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(run, {"Cookie": jar, "Origin": EVIL}, transport)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(run, {"Cookie": jar, "Origin": "null"}, transport)
    # Our own page's socket is welcome, and the cookie says who it is.
    client = await connect(run, {"Cookie": jar, "Origin": run.url}, transport)
    joined = await client.call("join", {"stream_id": show.stream_id})
    assert joined["ok"], joined
    said = await client.call("send_message", {"text": "hello"})
    assert said["ok"] and said["message"]["display_name"] == body["user"]["display_name"]
    if transport == "polling":  # its clean disconnect waits out the pending long-poll
        run.clients.remove(client)
        await client.eio.disconnect(abort=True)
