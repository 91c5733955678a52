"""`POST /whep/<id>/<session>/view`: a viewer's page tells its player's height and hears its
layer (or audio only); bad bodies and unknown sessions get clear 4xx. The layer rules behind
it are tested in tests/media/test_simulcast.py, with real browsers in
tests/web/test_watch_throttled.py."""

from __future__ import annotations

import asyncio

from tests import peers
from tests.conftest import config_for
from tests.media.test_hls import live_h264_show
from tests.test_end_to_end import whep


async def post_view(run, path: str, body: bytes) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    async with run.http.post(f"{run.url}{path}/view", data=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_a_viewer_tells_its_size_and_bad_bodies_are_refused(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    show, host = await live_h264_show(run)
    viewer, _ = await peers.viewer_offer()
    status, answer, headers = await whep(run, show.stream_id, viewer.localDescription.sdp)
    assert status == 201, answer
    session = headers["Location"]

    # A host sending one layer: no layer to name, never audio only.
    for body in (b'{"player_height": 360}', b'{"player_height": null}', b"{}"):
        status, answer = await post_view(run, session, body)
        assert (status, answer) == (200, {"layer": None, "audio_only": False, "layers": []})

    for body, code in (
        (b'{"player_height": 0}', "invalid"),
        (b'{"player_height": -5}', "invalid"),
        (b'{"player_height": 100000}', "invalid"),
        (b'{"player_height": "tall"}', "invalid"),
        (b"[360]", "invalid"),
        (b"{not json", "bad_json"),
        (b'{"player_height": ' + b"9" * 300 + b"}", "payload_too_large"),
    ):
        status, answer = await post_view(run, session, body)
        assert 400 <= status < 500 and answer["error"]["code"] == code, (body[:40], answer)

    gone = f"/whep/{show.stream_id}/no-such-session"
    status, answer = await post_view(run, gone, b'{"player_height": 360}')
    assert (status, answer["error"]["code"]) == (404, "session_not_found")
    for pc in (viewer, host):
        await pc.close()
    await asyncio.sleep(0)
