"""The TURN REST API credential rule, as coturn's use-auth-secret checks it."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from server.core.domain.turn import TurnConfig, accepts, issue, password

CONFIG = TurnConfig(secret="s3cret", urls=("turn:turn.example:3478?transport=udp",), ttl_s=600)
HOLDERS = st.text(st.characters(codec="ascii", exclude_characters=":"), min_size=1, max_size=40)


def test_the_credential_follows_the_rest_api_rule() -> None:
    found = issue(CONFIG, "abc", 1_000)
    assert found is not None
    assert found.username == "1600:abc" and found.expires_at == 1600
    digest = hmac.new(b"s3cret", b"1600:abc", hashlib.sha1).digest()
    assert found.credential == base64.b64encode(digest).decode()
    assert found.ice_server() == {
        "urls": ["turn:turn.example:3478?transport=udp"],
        "username": "1600:abc",
        "credential": found.credential,
    }


def test_no_turn_configured_issues_nothing() -> None:
    assert issue(TurnConfig(), "abc", 0) is None


@given(HOLDERS, st.integers(0, 2**31), st.integers(0, 599))
def test_accepted_until_its_expiry_then_refused(holder: str, now: int, later: int) -> None:
    found = issue(CONFIG, holder, now)
    assert found is not None
    assert accepts("s3cret", found.username, found.credential, now + later)
    assert not accepts("s3cret", found.username, found.credential, now + 601)
    assert not accepts("other", found.username, found.credential, now)
    assert not accepts("s3cret", found.username + "x", found.credential, now)


def test_malformed_usernames_are_refused() -> None:
    for username in ("", "abc", ":abc", "12a:abc"):
        assert not accepts("s3cret", username, password("s3cret", username), 0)


def test_settings_problems_name_the_setting() -> None:
    assert TurnConfig().problem() is None and CONFIG.problem() is None
    assert "SHOPCAST_TURN_SECRET" in (TurnConfig(urls=CONFIG.urls).problem() or "")
    assert "SHOPCAST_TURN_URLS" in (TurnConfig(secret="x").problem() or "")
    assert "SHOPCAST_TURN_URLS" in (TurnConfig(secret="x", urls=("stun:a",)).problem() or "")
    assert "SHOPCAST_TURN_TTL_S" in (
        TurnConfig(secret="x", urls=CONFIG.urls, ttl_s=5).problem() or ""
    )
