"""HLS through the door: every bad request gets a clear 4xx (never cached), and a node whose
WebRTC capacity for a show is full says so on WHEP (`webrtc_full`)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace

import pytest

from server.core.config import ConfigError
from server.edge.config import from_env
from tests import factory, peers
from tests.conftest import config_for
from tests.media.test_hls import first_playlist, hls_get, live_h264_show
from tests.test_end_to_end import whep, whip


async def error_of(run, path: str) -> tuple[int, str, dict]:
    status, body, headers = await hls_get(run, path)
    return status, json.loads(body)["error"]["code"], headers


async def test_bad_hls_requests_get_clear_4xx(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    assert (await error_of(run, "/hls/999999/playlist.m3u8"))[:2] == (404, "stream_not_found")
    assert (await error_of(run, "/hls/abc/playlist.m3u8"))[0] == 400
    scheduled = await factory.show(run)
    assert (await error_of(run, f"/hls/{scheduled.stream_id}/playlist.m3u8"))[:2] == (
        404,
        "not_live",
    )

    show, host = await live_h264_show(run)
    base = f"/hls/{show.stream_id}"
    text = await first_playlist(run, show.stream_id)
    run_id = text.split('URI="', 1)[1].split("/", 1)[0]
    for query in ("abc", "-1", "1e3", "1234567890", "", "%C2%B2"):
        status, code, headers = await error_of(run, f"{base}/playlist.m3u8?_HLS_msn={query}")
        assert (status, code) == (400, "hls_bad_request"), query
        assert headers["Cache-Control"] == "no-store"
        assert headers["Access-Control-Allow-Origin"] == "*"
    assert (await error_of(run, f"{base}/playlist.m3u8?_HLS_part=1"))[:2] == (
        400,
        "hls_bad_request",
    )
    far = f"{base}/playlist.m3u8?_HLS_msn=99999&_HLS_part=0"
    assert (await error_of(run, far))[:2] == (400, "hls_bad_request")
    began = time.monotonic()
    for name in ("999.0.m4s", "999.m4s", "0.99.m4s"):
        assert (await error_of(run, f"{base}/{run_id}/{name}"))[:2] == (404, "hls_not_found")
    assert time.monotonic() - began < 2  # far ahead: refused at once, never waited for
    for path in ("deadbeef/0.0.m4s", f"{run_id}/init-000000000000.mp4", f"{run_id}/x.m4s"):
        assert (await error_of(run, f"{base}/{path}"))[:2] == (404, "hls_not_found"), path
    status, _, headers = await hls_get(run, f"{base}/playlist.m3u8")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=1"

    # The show ends: its HLS is gone (the replay is on its page).
    status, _ = await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert status == 200
    assert (await error_of(run, f"{base}/playlist.m3u8"))[:2] == (404, "hls_not_found")
    await host.close()


async def test_a_vp8_show_has_no_hls(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    host, offer = await peers.publisher_offer("vp8")
    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host, answer)
    status, code, _ = await error_of(run, f"/hls/{show.stream_id}/playlist.m3u8")
    assert (status, code) == (409, "hls_needs_h264")
    await host.close()


async def test_whep_says_webrtc_full_beyond_the_nodes_capacity(sqlite_backend, start) -> None:
    config = config_for(sqlite_backend)
    run = await start(replace(config, media=replace(config.media, max_webrtc_viewers=1)))
    show, host = await live_h264_show(run)
    first, _ = await peers.viewer_offer()
    status, answer, _ = await whep(run, show.stream_id, first.localDescription.sdp)
    assert status == 201, answer
    second, _ = await peers.viewer_offer()
    status, body, _ = await whep(run, show.stream_id, second.localDescription.sdp)
    assert status == 503 and "webrtc_full" in body
    for pc in (first, second, host):
        await pc.close()
    await asyncio.sleep(0)


@pytest.mark.parametrize("raw", ["-1", "many", "100001", "²"])
def test_max_webrtc_viewers_is_checked(raw: str) -> None:
    with pytest.raises(ConfigError, match="SHOPCAST_MAX_WEBRTC_VIEWERS"):
        from_env({"SHOPCAST_MAX_WEBRTC_VIEWERS": raw})
    assert from_env({"SHOPCAST_MAX_WEBRTC_VIEWERS": "0"}).media.max_webrtc_viewers == 0
