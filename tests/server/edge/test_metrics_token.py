"""GET /metrics behind SHOPCAST_METRICS_TOKEN: open when unset, a bearer token when set."""

from __future__ import annotations

from server.edge.config import from_env
from tests.conftest import config_for

TOKEN = "scrape-" + "x" * 40


async def test_metrics_are_open_without_a_token(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    async with run.http.get(f"{run.url}/metrics") as resp:
        assert resp.status == 200
        assert "shopcast_media_shows 0" in await resp.text()


async def test_metrics_ask_for_the_configured_token(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend, metrics_token=TOKEN))
    status, body = await run.call("GET", "/metrics")
    assert (status, body["error"]["code"]) == (401, "auth_required")
    status, body = await run.call("GET", "/metrics", TOKEN + "y")
    assert (status, body["error"]["code"]) == (401, "bad_token")
    status, body = await run.call("GET", "/metrics", TOKEN[:-1])
    assert (status, body["error"]["code"]) == (401, "bad_token")
    # A user's token is not the scraper's.
    _, guest = await run.call("POST", "/api/auth/guest", json={"display_name": "Nosy"})
    status, body = await run.call("GET", "/metrics", guest["token"])
    assert (status, body["error"]["code"]) == (401, "bad_token")
    async with run.http.get(
        f"{run.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert "# TYPE shopcast_chat_events_total counter" in await resp.text()


def test_the_token_comes_from_the_environment() -> None:
    assert from_env({}).metrics_token is None
    assert from_env({"SHOPCAST_METRICS_TOKEN": "  "}).metrics_token is None
    assert from_env({"SHOPCAST_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
