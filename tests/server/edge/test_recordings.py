"""A show recorded end to end: a real aiortc host over WHIP, pins over Socket.IO, the file and
its markers through the API, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import pytest
from sqlalchemy import select

from media.service import MediaConfig
from server.core.store.rows import StreamEvent, utcnow
from server.edge.config import from_env
from server.edge.http.context import DATABASE, SERVICES
from tests import factory, peers
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.test_end_to_end import whip


@pytest.mark.parametrize("ending", ["end", "whip_delete"])
async def test_a_show_is_recorded_with_its_pins(backend, start, tmp_path: Path, ending) -> None:
    recordings = tmp_path / "recordings"
    run = await start(config_for(backend, media=MediaConfig(recordings_dir=str(recordings))))
    show = await factory.show(run)
    host_pc, offer = await peers.publisher_offer()
    status, answer, headers = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host_pc, answer)
    host, _, _ = await joined(run, show.host, show.stream_id)

    await asyncio.sleep(0.8)
    assert (await host.call("pin_product", {"product_id": show.product_ids[1]}))["ok"]
    await asyncio.sleep(0.6)
    assert (await host.call("unpin_product", {}))["ok"]
    await asyncio.sleep(0.6)
    if ending == "end":  # the host ends the show from the studio
        status, _ = await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    else:  # the encoder stops: WHIP DELETE, then the show ends
        key = {"Authorization": f"Bearer {show.stream_key}"}
        async with run.http.delete(run.url + headers["Location"], headers=key) as resp:
            status = resp.status
    assert status == 200

    status, body = await run.call("GET", f"/api/streams/{show.stream_id}/recordings", show.host)
    assert status == 200, body
    [recording] = body["recordings"]
    assert recording["status"] == "complete" and recording["container"] == "mp4"
    assert recording["content_type"] == "video/mp4" and "path" not in recording
    assert 1000 <= recording["duration_ms"] <= 3000
    markers = recording["markers"]
    assert [m["kind"] for m in markers] == ["started", "pinned", "unpinned", "ended"]
    pinned = show.product_ids[1]
    assert [m["product_id"] for m in markers] == [None, pinned, pinned, None]
    offsets = [m["offset_ms"] for m in markers]
    assert offsets[0] == 0 and 0 <= recording["duration_ms"] - offsets[-1] <= 1000
    assert offsets == sorted(offsets)
    assert 300 <= offsets[2] - offsets[1] <= 1200  # the product stayed pinned ~0.6 s
    [file] = list(recordings.iterdir())
    assert file.name.startswith(f"{show.stream_id}-") and file.suffix == ".mp4"

    async with run.http.get(
        run.url + recording["file_url"], headers={"Authorization": f"Bearer {show.host}"}
    ) as resp:
        assert resp.status == 200 and resp.content_type == "video/mp4"
        data = await resp.read()
    assert len(data) == recording["bytes"]
    (tmp_path / "download.mp4").write_bytes(data)
    with av.open(str(tmp_path / "download.mp4")) as played:
        assert {s.codec_context.name for s in played.streams} == {"h264", "opus"}
        assert sum(1 for _ in played.decode(video=0)) >= 20
    async with run.http.get(
        run.url + recording["file_url"],
        headers={"Authorization": f"Bearer {show.moderator}", "Range": "bytes=0-99"},
    ) as resp:
        assert resp.status == 206 and await resp.read() == data[:100]
    await host.disconnect()
    await host_pc.close()


async def test_who_may_see_recordings_and_unknown_ids(sqlite_backend, start, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    listing = f"/api/streams/{show.stream_id}/recordings"
    assert (await run.call("GET", listing))[0] == 401
    for token in (show.viewer, show.seller):
        assert (await run.call("GET", listing, token))[0] == 403
    for token in (show.host, show.moderator):
        assert await run.call("GET", listing, token) == (200, {"recordings": []})
    status, body = await run.call("GET", "/api/streams/999999/recordings", show.host)
    assert status == 404 and body["error"]["code"] == "stream_not_found"
    status, body = await run.call("GET", "/api/recordings/999999/file", show.host)
    assert status == 404 and body["error"]["code"] == "recording_not_found"
    for bad in ("abc", "0", "-1", "99999999999999"):
        status, body = await run.call("GET", f"/api/recordings/{bad}/file", show.host)
        assert status == 400 and body["error"]["code"] == "bad_id", bad

    # A recording whose file was removed from the server since.
    recording = await run.app[SERVICES].recordings.store(
        show.stream_id,
        path=str(tmp_path / "removed.webm"),
        container="webm",
        status="failed",
        started_at=utcnow(),
        ended_at=utcnow(),
        duration_ms=0,
        size_bytes=0,
    )
    file_url = f"/api/recordings/{recording.id}/file"
    assert (await run.call("GET", file_url))[0] == 401
    assert (await run.call("GET", file_url, show.viewer))[0] == 403
    status, body = await run.call("GET", file_url, show.host)
    assert status == 404 and body["error"]["code"] == "recording_file_missing"
    _, body = await run.call("GET", listing, show.host)
    assert [(r["id"], r["status"], r["markers"]) for r in body["recordings"]] == [
        (recording.id, "failed", [])
    ]


async def test_the_timeline_marks_only_real_changes(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    streams = run.app[SERVICES].streams
    host = run.app[SERVICES].tokens.verify(show.host)
    first, second = show.product_ids
    await factory.go_live(run, show.stream_id)
    await factory.go_live(run, show.stream_id)  # a host reconnecting: not a second start
    await streams.pin(host, show.stream_id, first)
    await streams.pin(host, show.stream_id, first)  # already pinned: nothing happened
    await streams.pin(host, show.stream_id, second)  # both pinned now
    await streams.set_lineup(host, show.stream_id, [first])  # drops a pinned product
    await streams.pin(host, show.stream_id, None)  # nothing pinned any more
    await streams.pin(host, show.stream_id, None)  # still nothing: no event
    await streams.end(host, show.stream_id)
    async with run.app[DATABASE].reading() as session:
        rows = await session.scalars(select(StreamEvent).order_by(StreamEvent.id))
        timeline = [(row.kind, row.product_id) for row in rows]
    assert timeline == [
        ("started", None),
        ("pinned", first),
        ("pinned", second),
        ("unpinned", second),
        ("unpinned", first),
        ("ended", None),
    ]


def test_the_recordings_directory_comes_from_the_environment() -> None:
    secret = {"SHOPCAST_SECRET": "s" * 40}
    assert from_env(secret).media.recordings_dir is None
    config = from_env({**secret, "SHOPCAST_RECORDINGS_DIR": "/srv/shopcast/recordings"})
    assert config.media.recordings_dir == "/srv/shopcast/recordings"
