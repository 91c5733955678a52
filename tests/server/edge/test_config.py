import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from server.edge.config import (
    DEFAULT_DATABASE_URL,
    SETTINGS,
    ConfigError,
    from_env,
    markdown_table,
)

ROOT = Path(__file__).resolve().parents[3]

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


class Recording(Mapping[str, str]):
    """An empty environment that notes every name asked of it."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_every_variable_read_is_declared_once_and_every_declared_one_is_read() -> None:
    environ = Recording()
    from_env(environ)
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert environ.asked == set(names)


def test_no_code_names_an_undeclared_variable() -> None:
    declared = {setting.name for setting in SETTINGS}
    named = set()
    for package in ("server", "chat", "media"):
        for source in (ROOT / package).rglob("*.py"):
            named |= set(re.findall(r"SHOPCAST_[A-Z_]*[A-Z](?![A-Z_*])", source.read_text()))
    assert named <= declared, named - declared


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("| variable | meaning | default |")
    table = readme[start : readme.index("\n\n", start) + 1]
    # Regenerate with: python -m server.edge.config, and paste over README's table.
    assert table == markdown_table()
    printed = subprocess.run(
        [sys.executable, "-m", "server.edge.config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert printed.stdout == table
