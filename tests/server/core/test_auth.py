"""Tokens: signed under a named key (several accepted, for rotation), expiring, carrying the
account's token version, remembered once verified only until they expire."""

from __future__ import annotations

import jwt
import pytest

from server.core.auth import SESSION_COOKIE, Tokens, key_id, session_cookie
from server.core.domain.errors import AuthRequired
from server.core.domain.roles import Principal, Role

ANA = Principal(subject="u:7", display_name="Ana", role=Role.VIEWER, user_id=7)


def test_a_token_verifies_until_it_expires_even_when_remembered() -> None:
    now = [1_000_000.0]
    tokens = Tokens("s" * 40, ttl_s=60, clock=lambda: now[0])
    token = tokens.issue(ANA)
    assert tokens.verify(token) == ANA
    now[0] += 59
    assert tokens.verify(token) == ANA  # from memory
    now[0] += 1
    with pytest.raises(AuthRequired) as expired:
        tokens.verify(token)
    assert expired.value.code == "bad_token"


def test_forged_or_foreign_tokens_are_refused_every_time() -> None:
    ours, theirs = Tokens("s" * 40, ttl_s=60), Tokens("t" * 40, ttl_s=60)
    foreign = theirs.issue(ANA)
    for _ in range(2):
        with pytest.raises(AuthRequired):
            ours.verify(foreign)
    good = ours.issue(ANA)
    for bad in (good[:-2] + "xx", "", None, 5):
        with pytest.raises(AuthRequired):
            ours.verify(bad)


CURRENT, OLD, GONE = "c" * 40, "o" * 40, "g" * 40


def test_tokens_name_their_key_by_a_hash_never_the_secret() -> None:
    token = Tokens(CURRENT, ttl_s=60).issue(ANA)
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid == key_id(CURRENT) and CURRENT not in kid and len(kid) == 16
    assert key_id(OLD) != kid


def test_a_rotation_keeps_tokens_of_the_previous_secrets() -> None:
    before = Tokens(OLD, ttl_s=60).issue(ANA)
    rotated = Tokens(CURRENT, ttl_s=60, previous_secrets=[OLD])
    assert rotated.verify(before) == ANA
    fresh = rotated.issue(ANA)
    assert jwt.get_unverified_header(fresh)["kid"] == key_id(CURRENT)  # only the current signs
    assert Tokens(CURRENT, ttl_s=60).verify(fresh) == ANA
    with pytest.raises(AuthRequired) as dropped:  # the old secret retired: its tokens go
        Tokens(CURRENT, ttl_s=60).verify(before)
    assert dropped.value.code == "bad_token"
    with pytest.raises(AuthRequired):
        Tokens(CURRENT, ttl_s=60, previous_secrets=[GONE]).verify(before)


def test_tokens_without_a_kid_verify_with_the_current_secret_only() -> None:
    claims = {"iss": "shopcast", "sub": "u:7", "name": "Ana", "role": "viewer", "exp": 2**40}
    legacy = jwt.encode(claims, CURRENT, algorithm="HS256")  # issued before kids existed
    assert Tokens(CURRENT, ttl_s=60).read(legacy).principal == ANA
    assert Tokens(CURRENT, ttl_s=60).read(legacy).version == 0  # no version claim: 0
    old_legacy = jwt.encode(claims, OLD, algorithm="HS256")
    with pytest.raises(AuthRequired):
        Tokens(CURRENT, ttl_s=60, previous_secrets=[OLD]).verify(old_legacy)


def test_a_kid_naming_one_key_cannot_carry_another_keys_signature() -> None:
    claims = {"iss": "shopcast", "sub": "u:7", "name": "Ana", "role": "admin", "exp": 2**40}
    for kid in (key_id(OLD), "nope", ""):
        forged = jwt.encode(claims, GONE, algorithm="HS256", headers={"kid": kid})
        with pytest.raises(AuthRequired):
            Tokens(CURRENT, ttl_s=60, previous_secrets=[OLD]).verify(forged)


def test_tokens_carry_the_account_version_they_were_issued_at() -> None:
    tokens = Tokens(CURRENT, ttl_s=60)
    assert tokens.read(tokens.issue(ANA, version=3)).version == 3
    claims = {"iss": "shopcast", "sub": "u:7", "name": "Ana", "role": "viewer", "exp": 2**40}
    for bad in ("3", 1.5, True, None):
        odd = jwt.encode(claims | {"ver": bad}, CURRENT, algorithm="HS256")
        with pytest.raises(AuthRequired):
            tokens.verify(odd)


def test_the_session_cookie_is_read_from_a_cookie_header() -> None:
    assert session_cookie(f"a=1; {SESSION_COOKIE}=tok.en-1; b=2") == "tok.en-1"
    for header in (None, "", "a=1", f"{SESSION_COOKIE}=", '"; ;='):
        assert session_cookie(header) is None
