"""Password reset by an emailed single-use link: the link sets a new password once, signs out
the old sessions, and is refused when used twice or after expiry; asking tells nobody whether
an address has an account, and is rate limited per address and per account."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import update

from server.core.domain.notifications import NotificationsConfig
from server.core.mailer import LogMailer
from server.core.store.rows import PasswordReset, utcnow
from server.edge.http.context import DATABASE, SERVICES
from tests.conftest import config_for
from tests.factory import account


async def _link(run, mailer: LogMailer, email: str) -> str:
    status, body = await run.call("POST", "/api/auth/password-reset", json={"email": email})
    assert (status, body) == (202, {"sent": True})
    for _ in range(100):
        found = [m for m in mailer.sent if m.to == email]
        if found:
            match = re.search(r"/reset#token=([\w-]+)", found[-1].text)
            assert match is not None
            mailer.sent.clear()
            return match.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError("no reset email")


async def _started(start, backend, **notify):
    config = config_for(backend, notifications=NotificationsConfig(period_s=0.05, **notify))
    run = await start(config)
    mailer = run.app[SERVICES].notifications.mailer
    assert isinstance(mailer, LogMailer)  # no SMTP URL: the log (SMTP: test_notifications.py)
    return run, mailer


async def test_a_link_works_once(backend, start) -> None:
    run, mailer = await _started(start, backend)
    old_token = await account(run)
    address = await _email_of(run, old_token)
    token = await _link(run, mailer, address)
    new = {"token": token, "password": "a brand new one"}
    status, body = await run.call("POST", "/api/auth/password-reset/confirm", json=new)
    assert (status, body) == (200, {"reset": True})
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": address, "password": "a brand new one"}
    )
    assert status == 200, body
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": address, "password": "correct horse"}
    )
    assert status == 401
    status, body = await run.call("POST", "/api/auth/password-reset/confirm", json=new)
    assert status == 409 and body["error"]["code"] == "reset_link_used"
    status, body = await run.call(
        "POST", "/api/auth/password-reset/confirm", json={**new, "token": "nope"}
    )
    assert status == 400 and body["error"]["code"] == "reset_link_invalid"
    status, body = await run.call(
        "POST", "/api/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert status == 400 and body["error"]["code"] == "bad_password"
    # The reset email's link is not kept once sent.
    counts = await run.app[SERVICES].notifications.counts()
    assert counts == {"sent": 1}


async def _email_of(run, token: str) -> str:
    """The factory's address for an account (viewer<n>@example.test)."""
    me = (await run.call("GET", "/api/me", token))[1]
    async with run.app[DATABASE].reading() as session:
        from server.core.store.rows import User

        user = await session.get(User, me["user_id"])
        assert user is not None
        return user.email


async def test_an_expired_link_is_refused(sqlite_backend, start) -> None:
    run, mailer = await _started(start, sqlite_backend)
    address = await _email_of(run, await account(run))
    token = await _link(run, mailer, address)
    async with run.app[DATABASE].writing() as session:
        await session.execute(update(PasswordReset).values(expires_at=utcnow()))
    new = {"token": token, "password": "a brand new one"}
    status, body = await run.call("POST", "/api/auth/password-reset/confirm", json=new)
    assert status == 409 and body["error"]["code"] == "reset_link_expired"
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": address, "password": "correct horse"}
    )
    assert status == 200  # nothing changed


async def test_unknown_addresses_get_the_same_answer_and_no_email(sqlite_backend, start) -> None:
    run, mailer = await _started(start, sqlite_backend)
    status, body = await run.call(
        "POST", "/api/auth/password-reset", json={"email": "nobody@example.test"}
    )
    assert (status, body) == (202, {"sent": True})
    await asyncio.sleep(0.3)
    assert mailer.sent == []
    status, body = await run.call("POST", "/api/auth/password-reset", json={"email": "not one"})
    assert status == 400 and body["error"]["code"] == "bad_email"


async def test_resets_are_rate_limited_per_account_and_per_address(sqlite_backend, start) -> None:
    run, _ = await _started(
        start, sqlite_backend, reset_per_account="2/hour", reset_per_address="4/hour"
    )
    asked = {"email": "someone@example.test"}
    for _ in range(2):
        assert (await run.call("POST", "/api/auth/password-reset", json=asked))[0] == 202
    status, body = await run.call("POST", "/api/auth/password-reset", json=asked)
    assert status == 429 and body["error"]["code"] == "rate_limited"
    for n in range(1):
        other = {"email": f"other{n}@example.test"}
        assert (await run.call("POST", "/api/auth/password-reset", json=other))[0] == 202
    status, body = await run.call(
        "POST", "/api/auth/password-reset", json={"email": "third@example.test"}
    )
    assert status == 429  # the address's own limit (4 an hour, each knock counted)
