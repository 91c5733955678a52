"""deploy/compose.yaml validates with Debian's `docker-compose config` (no Docker daemon is
needed for that) and says what README "Deploying" promises: several nodes on PostgreSQL and
Redis, coturn with the secret the nodes sign TURN credentials with, nginx caching HLS."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from server.edge.config import from_env
from tests.conftest import IN_CI

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV = {
    "SHOPCAST_SECRET": "s" * 48,
    "POSTGRES_PASSWORD": "pg-password",
    "TURN_SECRET": "turn-secret",
    "PUBLIC_HOST": "shop.example.com",
    "PATH": "/usr/bin:/bin",
}


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("docker-compose")
    if tool is None:
        if IN_CI:
            pytest.fail("docker-compose (Debian's package) is missing, and CI=true requires it")
        pytest.skip("docker-compose is not installed")
    return subprocess.run(
        [tool, "-f", str(DEPLOY / "compose.yaml"), *args],
        env=env,
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_compose_file_validates_and_wires_the_deployment() -> None:
    done = compose("config", env=ENV)
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    nodes = [name for name in services if name.startswith("node")]
    assert len(nodes) >= 2
    assert {"postgres", "redis", "coturn", "nginx", "migrate"} <= set(services)
    for name in nodes:
        environment = services[name]["environment"]
        config = from_env(environment)  # what the node itself would read
        assert config.database_url.startswith("postgresql+asyncpg://shopcast:pg-password@")
        assert config.redis_url and config.turn.enabled and config.turn.secret == "turn-secret"
        assert {u.split(":")[0] for u in config.turn.urls} == {"turn", "turns"}
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert "--static-auth-secret=turn-secret" in services["coturn"]["command"]
    assert "--use-auth-secret" in services["coturn"]["command"]
    nginx = (DEPLOY / "nginx.conf").read_text()
    for node in ("127.0.0.1:8081", "127.0.0.1:8082"):
        assert f"server {node};" in nginx
    assert "proxy_cache hls;" in nginx and "location /hls/" in nginx


def test_missing_secrets_stop_the_file_with_a_clear_line() -> None:
    done = compose("config", "-q", env={k: v for k, v in ENV.items() if k != "TURN_SECRET"})
    assert done.returncode != 0 and "set TURN_SECRET" in done.stderr
