"""WHIP/WHEP at the HTTP edge: every refusal is a clear 4xx, never a 500."""

from __future__ import annotations

import pytest

from tests import factory, peers
from tests.test_end_to_end import whep, whip

GARBAGE_SDP = "this is not SDP\r\n"
NO_MEDIA_SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def test_whip_refusals(sqlite_backend, start) -> None:
    from tests.conftest import config_for

    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    pc, offer = await peers.publisher_offer()
    status, body, _ = await whip(run, show.stream_id, "wrong-key", offer)
    assert status == 401 and "bad_stream_key" in body
    status, body, _ = await whip(run, 999999, show.stream_key, offer)
    assert status == 404 and "stream_not_found" in body
    for bad in (GARBAGE_SDP, NO_MEDIA_SDP, ""):
        status, body, _ = await whip(run, show.stream_id, show.stream_key, bad)
        assert status == 400 and "bad_sdp" in body, (bad, body)
    async with run.http.post(
        f"{run.url}/whip/{show.stream_id}",
        data=offer,
        headers={"Authorization": f"Bearer {show.stream_key}", "Content-Type": "text/plain"},
    ) as resp:
        assert resp.status == 415
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    assert stream["status"] == "scheduled"

    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201
    await peers.accept(pc, answer)
    second, second_offer = await peers.publisher_offer()
    status, body, _ = await whip(run, show.stream_id, show.stream_key, second_offer)
    assert status == 409 and "already_publishing" in body
    async with run.http.delete(
        f"{run.url}/whip/{show.stream_id}/no-such-session",
        headers={"Authorization": f"Bearer {show.stream_key}"},
    ) as resp:
        assert resp.status == 404
    await second.close()
    await pc.close()


async def test_whep_refusals(sqlite_backend, start) -> None:
    from tests.conftest import config_for

    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    pc, _ = await peers.viewer_offer()
    status, body, _ = await whep(run, show.stream_id, pc.localDescription.sdp)
    assert status == 409 and "not_live" in body
    status, body, _ = await whep(run, 999999, pc.localDescription.sdp)
    assert status == 404
    status, body, _ = await whep(run, show.stream_id, GARBAGE_SDP)
    assert status in (400, 409)
    async with run.http.delete(f"{run.url}/whep/{show.stream_id}/nothing") as resp:
        assert resp.status == 404
    async with run.http.options(f"{run.url}/whep/{show.stream_id}") as resp:
        assert resp.status == 204 and "Location" in resp.headers["Access-Control-Expose-Headers"]
    await pc.close()


@pytest.mark.parametrize("path", ["/whip/abc", "/whep/0"])
async def test_bad_stream_ids(sqlite_backend, start, path) -> None:
    from tests.conftest import config_for

    run = await start(config_for(sqlite_backend))
    async with run.http.post(
        run.url + path, data="v=0", headers={"Content-Type": "application/sdp"}
    ) as resp:
        assert resp.status == 400


async def test_metrics_count_a_live_shows_packets(sqlite_backend, start) -> None:
    import asyncio

    from tests.conftest import config_for

    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    host, offer = await peers.publisher_offer("vp8")
    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201
    await peers.accept(host, answer)
    viewer, frames = await peers.viewer_offer()
    status, answer, _ = await whep(run, show.stream_id, viewer.localDescription.sdp)
    assert status == 201
    await peers.accept(viewer, answer)
    async with asyncio.timeout(15):
        for _ in range(10):
            await frames.get()
    async with run.http.get(f"{run.url}/metrics") as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"
        text = await resp.text()
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    stream = f'{{stream="{show.stream_id}"}}'
    assert values["shopcast_media_shows"] == 1
    assert values[f"shopcast_stream_viewers{stream}"] == 1
    assert values[f"shopcast_stream_packets_in_total{stream}"] > 10
    assert values[f"shopcast_stream_packets_out_total{stream}"] >= 10
    count = values[f"shopcast_stream_forwarding_latency_seconds_count{stream}"]
    infinite = (
        f'shopcast_stream_forwarding_latency_seconds_bucket{{le="+Inf",stream="{show.stream_id}"}}'
    )
    assert count == values[f"shopcast_stream_packets_in_total{stream}"] == values[infinite]
    for pc in (viewer, host):
        await pc.close()


async def test_a_bitrate_cap_is_in_the_whip_answer(sqlite_backend, start) -> None:
    from dataclasses import replace

    from tests.conftest import config_for

    config = config_for(sqlite_backend)
    run = await start(replace(config, media=replace(config.media, max_video_bps=800_000)))
    show = await factory.show(run)
    host, offer = await peers.publisher_offer("vp8")
    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201
    video = answer[answer.index("m=video") :]
    video = video.split("m=audio")[0]
    assert "b=AS:800\r\n" in video and "b=TIAS:800000\r\n" in video
    assert "b=" not in answer[answer.index("m=audio") :].split("m=video")[0]
    await peers.accept(host, answer)  # aiortc takes the answer with the limit in it
    await host.close()
