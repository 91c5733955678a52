"""The pages' one library, the official Socket.IO client's ESM build: served at a stable URL
from web/node_modules (installed from web/package-lock.json), and its absence stops the start
with one line that says what to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.core.config import ConfigError
from server.edge.app import create_app
from server.edge.http import pages
from tests.conftest import config_for

CLIENT = "/static/vendor/socket.io.esm.min.js"


async def test_the_socket_io_client_is_served_from_node_modules(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    installed = (pages.NODE_MODULES / pages.VENDOR["socket.io.esm.min.js"]).read_bytes()
    async with run.http.get(run.url + CLIENT) as resp:
        assert resp.status == 200 and resp.content_type == "text/javascript"
        assert await resp.read() == installed
        assert resp.headers["Cache-Control"] == "no-cache"
        etag = resp.headers["ETag"]
    async with run.http.get(run.url + CLIENT, headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304
    async with run.http.get(run.url + "/static/vendor/other.js") as resp:
        assert resp.status == 404


def test_a_missing_install_stops_the_start(sqlite_backend, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pages, "NODE_MODULES", tmp_path / "node_modules")
    with pytest.raises(ConfigError, match=r"run `npm ci --prefix web`$") as refused:
        create_app(config_for(sqlite_backend))
    assert "\n" not in str(refused.value)
