"""Bearer tokens: signed, expiring, remembered once verified only until they expire."""

from __future__ import annotations

import pytest

from server.auth import Tokens
from server.domain.errors import AuthRequired
from server.domain.roles import Principal, Role

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
