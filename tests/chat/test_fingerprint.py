"""Guest fingerprints: keyed by the server secret, never the raw address, and X-Forwarded-For
believed only as far as the deployment's own proxies go."""

from __future__ import annotations

from types import SimpleNamespace

from chat.fingerprint import client_address, fingerprint, fingerprint_key

KEY = fingerprint_key("s" * 40)


def environ(peer: str, forwarded: str | None = None) -> dict:
    env: dict = {"aiohttp.request": SimpleNamespace(remote=peer), "REMOTE_ADDR": "127.0.0.1"}
    if forwarded is not None:
        env["HTTP_X_FORWARDED_FOR"] = forwarded
    return env


def test_the_peer_address_is_used_unless_proxies_are_trusted() -> None:
    assert client_address(environ("203.0.113.7"), 0) == "203.0.113.7"
    # Sent by the client itself: anyone can write this header.
    assert client_address(environ("203.0.113.7", "198.51.100.1"), 0) == "203.0.113.7"


def test_behind_trusted_proxies_the_entry_they_appended_counts() -> None:
    # The client forged "1.2.3.4"; our one proxy appended the address it saw.
    assert client_address(environ("10.0.0.2", "1.2.3.4, 198.51.100.9"), 1) == "198.51.100.9"
    assert client_address(environ("10.0.0.2", "1.2.3.4, 198.51.100.9, 10.0.0.5"), 2) == (
        "198.51.100.9"
    )
    # A request that did not come through the proxies: the peer is the client.
    assert client_address(environ("198.51.100.3"), 1) == "198.51.100.3"
    assert client_address(environ("198.51.100.3", "  "), 1) == "198.51.100.3"


def test_fingerprints_are_stable_keyed_and_reveal_no_address() -> None:
    one = fingerprint(KEY, "203.0.113.7", "device-1")
    assert one == fingerprint(KEY, "203.0.113.7", "device-1") and len(one) == 32
    assert "203" not in one
    assert one != fingerprint(KEY, "203.0.113.7", "device-2")
    assert one != fingerprint(KEY, "203.0.113.8", "device-1")
    assert one != fingerprint(fingerprint_key("t" * 40), "203.0.113.7", "device-1")
    # A device id that is not a short string counts as none.
    none = fingerprint(KEY, "203.0.113.7", None)
    assert fingerprint(KEY, "203.0.113.7", {"x": 1}) == none
    assert fingerprint(KEY, "203.0.113.7", "d" * 500) == none
