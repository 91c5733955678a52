"""A show recorded end to end: a real aiortc host over WHIP, pins over Socket.IO, the file and
its markers through the API, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import fcntl
import time
from pathlib import Path

import av
import pytest
from sqlalchemy import select

from media.clips import probe
from media.service import MediaConfig
from server.core.store.rows import Recording, StreamEvent, utcnow
from server.edge.config import from_env
from server.edge.http.context import DATABASE, SERVICES
from tests import factory, peers
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.media.test_recording import H264, interleaved, opus, record, video
from tests.test_end_to_end import whip


@pytest.mark.parametrize("ending", ["end", "whip_delete"])
async def test_a_show_is_recorded_with_its_pins(backend, start, tmp_path: Path, ending) -> None:
    recordings = tmp_path / "recordings"
    run = await start(config_for(backend, media=MediaConfig(recordings_dir=str(recordings))))
    show = await factory.show(run)
    host_pc, offer = await peers.publisher_offer()
    published = time.monotonic()
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
    live_ms = (time.monotonic() - published) * 1000

    status, body = await run.call("GET", f"/api/streams/{show.stream_id}/recordings", show.host)
    assert status == 200, body
    [recording] = body["recordings"]
    assert recording["status"] == "complete" and recording["container"] == "mp4"
    assert recording["content_type"] == "video/mp4" and "path" not in recording
    assert 1000 <= recording["duration_ms"] <= live_ms  # no longer than the host was live
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


async def listed(run, show, token: str | None = None) -> list[dict]:
    status, body = await run.call(
        "GET", f"/api/streams/{show.stream_id}/recordings", token or show.host
    )
    assert status == 200, body
    return body["recordings"]


async def until_listed(run, show, ready, seconds: float = 30.0) -> list[dict]:
    """The listing once `ready(recordings)` holds."""
    for _ in range(int(seconds * 5)):
        found = await listed(run, show)
        if ready(found):
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"recordings never ready: {found}")


async def test_a_live_show_lists_its_recording_while_it_grows(backend, start, tmp_path) -> None:
    recordings = tmp_path / "recordings"
    run = await start(config_for(backend, media=MediaConfig(recordings_dir=str(recordings))))
    show = await factory.show(run)
    host_pc, offer = await peers.publisher_offer("h264")
    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host_pc, answer)

    # Listed from its first frame, while live: status recording, growing.
    [live] = await until_listed(run, show, lambda rs: rs and rs[0]["duration_ms"] >= 2000)
    assert live["status"] == "recording" and live["container"] == "mp4"
    assert live["bytes"] > 0 and live["markers"][0]["kind"] == "started"
    [later] = await until_listed(run, show, lambda rs: rs[0]["duration_ms"] > live["duration_ms"])
    assert later["id"] == live["id"] and later["bytes"] > live["bytes"]

    # The file plays while it is written: its whole fragments decode from a keyframe.
    async with run.http.get(
        run.url + live["file_url"], headers={"Authorization": f"Bearer {show.host}"}
    ) as resp:
        assert resp.status == 200 and resp.content_type == "video/mp4"
        (tmp_path / "live.mp4").write_bytes(await resp.read())
    with av.open(str(tmp_path / "live.mp4")) as played:
        pictures = list(played.decode(video=0))
    assert pictures[0].key_frame and len(pictures) >= 2 * 25

    service = run.app[SERVICES].recordings
    [info] = await service.for_stream(show.stream_id)
    assert info.id == live["id"] and info.live and not info.complete and info.playable
    assert info.ended_at is None and info.content_type == "video/mp4"
    assert Path(info.path).parent == recordings and info.duration_ms >= later["duration_ms"]

    status, _ = await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host)
    assert status == 200
    [done] = await listed(run, show)  # the same recording, finished: not a second one
    assert done["id"] == live["id"] and done["status"] == "complete"
    assert done["duration_ms"] >= later["duration_ms"]
    [info] = await service.for_stream(show.stream_id)
    assert info.complete and not info.live and info.ended_at is not None
    assert info == await service.info(info.id)
    await host_pc.close()


async def test_start_up_recovers_recordings_a_dead_node_left(
    sqlite_backend, start, tmp_path
) -> None:
    """A node that died leaves its recordings `recording`; when it starts again, each becomes
    `interrupted` with what its file holds. Those another live recorder holds, and those of
    other machines, are left alone. (The real crash: test_recording_crash.py.)"""
    config = config_for(sqlite_backend)
    run = await start(config)
    show = await factory.show(run)
    service = run.app[SERVICES].recordings
    torn = tmp_path / "torn.mp4"
    result = await record(
        tmp_path, H264, interleaved(video("h264", 120), opus(200)), max_queued_frames=1000
    )
    data = result.path.read_bytes()
    torn.write_bytes(data[: len(data) * 3 // 4])  # what a SIGKILL mid-fragment leaves
    held = tmp_path / "held.mp4"
    held.write_bytes(data)
    elsewhere = tmp_path / "elsewhere.mp4"  # shared storage: readable, its writer's lock not
    elsewhere.write_bytes(torn.read_bytes())

    async def left(path: Path) -> int:
        row = await service.begin(
            show.stream_id, path=str(path), container="mp4", started_at=utcnow()
        )
        return row.id

    crashed, lost, other_machine, still_written = (
        await left(torn),
        await left(tmp_path / "gone.mp4"),
        await left(elsewhere),
        await left(held),
    )
    async with run.app[DATABASE].writing() as session:
        (await session.get(Recording, other_machine)).node = "another-host"
    with held.open("rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # a live recorder of another node here
        again = await start(config)  # this node, started again
        infos = {i.id: i for i in await again.app[SERVICES].recordings.for_stream(show.stream_id)}

    assert infos[crashed].status == "interrupted" and infos[crashed].ended_at is not None
    assert 0 < infos[crashed].duration_ms < 4000 and infos[crashed].playable
    assert infos[crashed].duration_ms == probe(torn).duration_ms
    assert infos[crashed].bytes == torn.stat().st_size < len(data) * 3 // 4  # cut back
    with av.open(str(torn)) as played:
        assert sum(1 for _ in played.decode(video=0)) >= 30
    assert infos[lost].status == "interrupted" and not infos[lost].playable
    assert infos[other_machine].status == "recording"
    assert infos[still_written].status == "recording"
    assert held.read_bytes() == data and len(elsewhere.read_bytes()) == len(data) * 3 // 4

    [recording] = [r for r in await listed(again, show) if r["id"] == crashed]
    assert recording["status"] == "interrupted"
    assert recording["duration_ms"] == infos[crashed].duration_ms


def test_the_recordings_directory_comes_from_the_environment() -> None:
    secret = {"SHOPCAST_SECRET": "s" * 40}
    assert from_env(secret).media.recordings_dir is None
    config = from_env({**secret, "SHOPCAST_RECORDINGS_DIR": "/srv/shopcast/recordings"})
    assert config.media.recordings_dir == "/srv/shopcast/recordings"
