import subprocess
import sys

import pytest

from server.edge.config import DEFAULT_DATABASE_URL, ConfigError, from_env

SECRET = "s" * 40
TEST_PAYMENTS = {"SHOPCAST_PAYMENTS": "test", "SHOPCAST_ALLOW_TEST_PAYMENTS": "1"}


def test_defaults_and_environment() -> None:
    config = from_env({"SHOPCAST_SECRET": SECRET, **TEST_PAYMENTS}).validated()
    assert config.database_url == DEFAULT_DATABASE_URL and config.redis_url is None
    config = from_env(
        {
            "SHOPCAST_SECRET": SECRET,
            "SHOPCAST_DATABASE_URL": "postgresql+asyncpg://u@db/shop",
            "SHOPCAST_REDIS_URL": "redis://cache:6379/0",
            "SHOPCAST_ICE_SERVERS": "stun:stun.example:3478, turn:turn.example:3478",
            "SHOPCAST_MAX_VIDEO_KBPS": "2500",
            **TEST_PAYMENTS,
        },
        port=9000,
    ).validated()
    assert config.redis_url == "redis://cache:6379/0" and config.port == 9000
    assert config.chat.redis_channel == "shopcast"
    assert config.media.ice_servers == ("stun:stun.example:3478", "turn:turn.example:3478")
    assert config.media.max_video_bps == 2_500_000
    assert config.chat.trusted_proxy_hops == 0
    behind_proxy = from_env({"SHOPCAST_SECRET": SECRET, "SHOPCAST_TRUSTED_PROXY_HOPS": "1"})
    assert behind_proxy.chat.trusted_proxy_hops == 1


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "SHOPCAST_SECRET"),
        ({"SHOPCAST_SECRET": "short"}, "SHOPCAST_SECRET"),
        (
            {"SHOPCAST_SECRET": SECRET, "SHOPCAST_DATABASE_URL": "mysql://x/y"},
            "SHOPCAST_DATABASE_URL",
        ),
        ({"SHOPCAST_SECRET": SECRET, "SHOPCAST_REDIS_URL": "http://x"}, "SHOPCAST_REDIS_URL"),
        ({"SHOPCAST_SECRET": SECRET, "SHOPCAST_MAX_VIDEO_KBPS": "1.5M"}, "SHOPCAST_MAX_VIDEO"),
        ({"SHOPCAST_SECRET": SECRET, "SHOPCAST_MAX_VIDEO_KBPS": "0"}, "SHOPCAST_MAX_VIDEO"),
        ({"SHOPCAST_SECRET": SECRET, "SHOPCAST_TRUSTED_PROXY_HOPS": "-1"}, "PROXY_HOPS"),
        ({"SHOPCAST_SECRET": SECRET, "SHOPCAST_TRUSTED_PROXY_HOPS": "9"}, "PROXY_HOPS"),
    ],
)
def test_invalid_configuration_names_the_setting(env: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        from_env(env).validated()


def test_serve_fails_at_start_with_one_clear_line(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--port", "0"],
        env={"SHOPCAST_SECRET": "short", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SHOPCAST_SECRET" in lines[0], result.stderr
