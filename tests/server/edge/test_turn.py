"""TURN settings from the environment and GET /api/ice-servers (the coturn round trip:
tests/media/test_turn.py)."""

from __future__ import annotations

import pytest

from server.core.config import ConfigError
from server.core.domain.turn import accepts
from server.edge.config import from_env

SECRET = "x" * 40
PLAIN = {
    "SHOPCAST_SECRET": SECRET,
    "SHOPCAST_PAYMENTS": "test",
    "SHOPCAST_ALLOW_TEST_PAYMENTS": "1",
}
TURN = {
    **PLAIN,
    "SHOPCAST_TURN_SECRET": "shared",
    "SHOPCAST_TURN_URLS": "turn:t.example:3478?transport=udp, turns:t.example:5349?transport=tcp",
    "SHOPCAST_TURN_TTL_S": "900",
}


def test_turn_settings_from_the_environment() -> None:
    turn = from_env(TURN).validated().turn
    assert turn.secret == "shared" and turn.ttl_s == 900
    assert turn.urls == ("turn:t.example:3478?transport=udp", "turns:t.example:5349?transport=tcp")
    assert not from_env(PLAIN).validated().turn.enabled


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"SHOPCAST_TURN_SECRET": ""}, "SHOPCAST_TURN_SECRET"),
        ({"SHOPCAST_TURN_URLS": ""}, "SHOPCAST_TURN_URLS"),
        ({"SHOPCAST_TURN_URLS": "http://t.example"}, "SHOPCAST_TURN_URLS"),
        ({"SHOPCAST_TURN_TTL_S": "10"}, "SHOPCAST_TURN_TTL_S"),
        ({"SHOPCAST_TURN_TTL_S": "soon"}, "SHOPCAST_TURN_TTL_S"),
        ({"SHOPCAST_TURN_TTL_S": "100.5"}, "SHOPCAST_TURN_TTL_S"),
    ],
)
def test_bad_turn_settings_name_the_setting(changes: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        from_env({**TURN, **changes}).validated()


async def test_ice_servers_answer(sqlite_backend, start) -> None:
    import time
    from dataclasses import replace

    from tests.conftest import config_for

    plain = await start(config_for(sqlite_backend))
    status, body = await plain.call("GET", "/api/ice-servers")
    assert status == 200 and body == {"ice_servers": [], "expires_at": None}

    config = config_for(sqlite_backend)
    turned = await start(
        replace(
            config,
            turn=from_env(TURN).turn,
            media=replace(config.media, ice_servers=("stun:s.example:3478",)),
        )
    )
    status, body = await turned.call("GET", "/api/ice-servers")
    stun, turn = body["ice_servers"]
    assert stun == {"urls": ["stun:s.example:3478"]}
    assert turn["urls"] == list(from_env(TURN).turn.urls)
    assert accepts("shared", turn["username"], turn["credential"], time.time() + 800)
    assert not accepts("shared", turn["username"], turn["credential"], time.time() + 1000)
    status, again = await turned.call("GET", "/api/ice-servers")
    assert again["ice_servers"][1]["username"] != turn["username"]  # one per connection
