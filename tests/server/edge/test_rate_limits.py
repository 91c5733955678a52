"""The sign-in doors' rate limits: the defaults bite, an account's wait doubles with each round
of failures, addresses come from trusted proxies only, and with Redis the limits hold across
nodes (in memory, each node counts its own)."""

from __future__ import annotations

import itertools
import logging
import secrets
from dataclasses import replace
from typing import Any

import pytest

from server.core.domain.errors import RateLimited
from server.core.services.rate_limits import Door, RateLimits
from server.edge.config import AuthConfig, ConfigError, from_env
from tests import factory
from tests.conftest import REDIS_URL, SESSION, TEST_AUTH, Running, _require, config_for

_seq = itertools.count(1)
PASSWORD = "correct horse"


def email() -> str:
    return f"limited{next(_seq)}@example.test"


async def post(run: Running, path: str, body: dict, **headers: str) -> tuple[int, Any, str | None]:
    """Status, JSON body and Retry-After of one POST."""
    async with run.http.post(run.url + path, json=body, headers=headers) as resp:
        return resp.status, await resp.json(), resp.headers.get("Retry-After")


async def sign_up(run: Running, **headers: str) -> tuple[int, Any, str | None]:
    body = {"email": email(), "password": PASSWORD, "display_name": "Ana"}
    return await post(run, "/api/accounts", body, **headers)


async def guest(run: Running, **headers: str) -> tuple[int, Any, str | None]:
    return await post(run, "/api/auth/guest", {"display_name": "Guest"}, **headers)


def refused_for(answer: tuple[int, Any, str | None], most_s: int) -> None:
    status, body, retry_after = answer
    assert (status, body["error"]["code"]) == (429, "rate_limited"), body
    assert retry_after is not None and 1 <= int(retry_after) <= most_s, retry_after


async def test_the_default_limits_bite(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend, auth=AuthConfig()))
    defaults = AuthConfig()
    assert defaults.sign_up_per_address.startswith("5/minute")
    for _ in range(5):
        assert (await sign_up(run))[0] == 201
    refused_for(await sign_up(run), 60)

    victim = {"email": "owner@example.test", "password": "wrong password"}
    other = {"email": "other@example.test", "password": "wrong password"}
    for _ in range(defaults.sign_in_free_failures):
        status, body, _ = await post(run, "/api/auth/login", victim)
        assert (status, body["error"]["code"]) == (401, "bad_credentials")
    refused_for(await post(run, "/api/auth/login", victim), defaults.sign_in_wait_s)
    # however right the next password: the account waits; another account does not
    refused_for(await post(run, "/api/auth/login", victim | {"password": PASSWORD}), 60)
    assert (await post(run, "/api/auth/login", other))[0] == 401

    for _ in range(20):
        assert (await guest(run))[0] == 200
    refused_for(await guest(run), 60)


async def test_sign_in_is_limited_per_address_whatever_the_account(sqlite_backend, start) -> None:
    auth = replace(TEST_AUTH, sign_in_per_address="3/minute")
    run = await start(config_for(sqlite_backend, auth=auth))
    for _ in range(3):
        answer = await post(run, "/api/auth/login", {"email": email(), "password": PASSWORD})
        assert answer[0] == 401
    refused_for(await post(run, "/api/auth/login", {"email": email(), "password": PASSWORD}), 60)


@pytest.fixture(params=["memory", "redis"])
async def limits(request: pytest.FixtureRequest) -> Any:
    config = AuthConfig(sign_in_free_failures=2, sign_in_wait_s=60, sign_in_doublings=3)
    redis_url = None
    if request.param == "redis":
        _require("Redis", "127.0.0.1", 6379)
        redis_url = REDIS_URL
    prefix = f"shopcast-test-{SESSION}-{secrets.token_hex(4)}"
    built = RateLimits.build(config, redis_url, prefix)
    yield built
    await built.close()


async def refusal(limits: RateLimits, account: str) -> int:
    with pytest.raises(RateLimited) as refused:
        await limits.before_sign_in(account)
    assert refused.value.retry_after_s is not None
    return int(refused.value.retry_after_s)


async def test_an_accounts_wait_doubles_with_each_round_of_failures(limits) -> None:
    """2 failures free, then the wait is a minute, and doubles after every 2 more (3 times)."""
    waits = []
    for _ in range(5):
        for _ in range(2):
            await limits.failed_sign_in("Ana@example.test")
        waits.append(await refusal(limits, "ana@example.test "))  # one account however typed
    assert [round(w / 60) for w in waits] == [1, 2, 4, 8, 8], waits
    await limits.before_sign_in("bo@example.test")  # other accounts are not held
    await limits.signed_in("ana@example.test")  # the owner got in: the count starts over
    await limits.before_sign_in("ana@example.test")


async def test_with_redis_the_limits_hold_across_nodes(backend, start) -> None:
    auth = replace(TEST_AUTH, sign_up_per_address="2/minute")
    config = config_for(backend, auth=auth)
    a, b = await start(config), await start(config)
    assert (await sign_up(a))[0] == 201
    assert (await sign_up(b))[0] == 201
    if backend.redis_url is not None:  # one count for the deployment
        refused_for(await sign_up(a), 60)
        refused_for(await sign_up(b), 60)
    else:  # in memory, each node counts its own
        assert (await sign_up(a))[0] == 201
        refused_for(await sign_up(a), 60)


async def test_addresses_come_from_trusted_proxies_only(sqlite_backend, start) -> None:
    auth = replace(TEST_AUTH, guest_per_address="2/minute")
    direct = await start(config_for(sqlite_backend, auth=auth))
    for n in range(2):  # a forwarded-for header sent by the client itself changes nothing
        assert (await guest(direct, **{"X-Forwarded-For": f"10.0.0.{n}"}))[0] == 200
    refused_for(await guest(direct, **{"X-Forwarded-For": "10.0.0.9"}), 60)

    config = config_for(sqlite_backend, auth=auth)
    proxied = await start(replace(config, chat=replace(config.chat, trusted_proxy_hops=1)))
    for _ in range(2):
        assert (await guest(proxied, **{"X-Forwarded-For": "203.0.113.7"}))[0] == 200
    refused_for(await guest(proxied, **{"X-Forwarded-For": "203.0.113.7"}), 60)
    # the address our proxy saw, not what the client put before it
    refused_for(await guest(proxied, **{"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}), 60)
    assert (await guest(proxied, **{"X-Forwarded-For": "203.0.113.8"}))[0] == 200


async def test_admins_making_accounts_are_not_counted(sqlite_backend, start) -> None:
    run = await start(
        config_for(sqlite_backend, auth=replace(TEST_AUTH, sign_up_per_address="1/hour"))
    )
    admin = await factory.admin_token(run)
    assert (await sign_up(run))[0] == 201
    refused_for(await sign_up(run), 3600)
    made = await sign_up(run, Authorization=f"Bearer {admin}")
    assert made[0] == 201, made


async def test_a_failing_redis_leaves_the_doors_open(caplog) -> None:
    limits = RateLimits.build(AuthConfig(), "redis://127.0.0.1:1/0", "shopcast-test-down")
    try:
        with caplog.at_level(logging.WARNING, logger="server.core.services.rate_limits"):
            await limits.knock(Door.SIGN_IN, "127.0.0.1")
            await limits.before_sign_in("ana@example.test")
            await limits.failed_sign_in("ana@example.test")
    finally:
        await limits.close()
    assert any("rate limit storage failed" in r.getMessage() for r in caplog.records)


def test_the_auth_settings_come_from_the_environment() -> None:
    secret, old = "s" * 40, "o" * 40
    env = {
        "SHOPCAST_SECRET": secret,
        "SHOPCAST_PAYMENTS": "test",
        "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
        "SHOPCAST_PREVIOUS_SECRETS": f" {old} ,, {'p' * 32}",
        "SHOPCAST_TOKEN_RECHECK_S": "10",
        "SHOPCAST_LIMIT_SIGN_IN": "10/minute;50/hour",
        "SHOPCAST_LIMIT_GUEST": "100/minute",
    }
    auth = from_env(env).validated().auth
    assert auth.previous_secrets == (old, "p" * 32) and auth.recheck_s == 10
    assert auth.sign_in_per_address == "10/minute;50/hour"
    assert auth.guest_per_address == "100/minute"
    assert auth.sign_up_per_address == AuthConfig().sign_up_per_address
    for name, value, words in (
        ("SHOPCAST_PREVIOUS_SECRETS", "short", "PREVIOUS_SECRETS"),
        ("SHOPCAST_TOKEN_RECHECK_S", "120", "RECHECK_S"),
        ("SHOPCAST_TOKEN_RECHECK_S", "0", "RECHECK_S"),
        ("SHOPCAST_LIMIT_SIGN_UP", "lots", "SHOPCAST_LIMIT_SIGN_UP"),
    ):
        with pytest.raises(ConfigError, match=words):
            from_env(env | {name: value}).validated()
