"""Recordings of real aiortc publishers through the media service."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import av
import pytest

from media.clips import probe
from media.exceptions import RecordingUnreadable
from media.recording import RecordingResult, being_written
from media.recordings import RecordingStarted, file_stem
from media.service import MediaConfig, MediaService
from tests import peers


async def publish(media: MediaService, key: str, codec: str, audio: bool = True):
    pc, offer = await peers.publisher_offer(codec, audio)
    session = await media.publish(key, offer)
    await peers.accept(pc, session.sdp)
    return pc, session


@pytest.mark.parametrize(("codec", "container"), [("h264", "mp4"), ("vp8", "webm")])
async def test_each_host_session_is_recorded_and_reported(tmp_path, codec, container) -> None:
    media = MediaService(MediaConfig(recordings_dir=str(tmp_path / "recordings")))
    heard: list[tuple[str, RecordingResult]] = []

    async def stored(key: str, result: RecordingResult) -> None:
        await asyncio.sleep(0)  # a coroutine listener is awaited before unpublish returns
        heard.append((key, result))

    media.add_recording_listener(stored)
    host, session = await publish(media, "42", codec)
    await asyncio.sleep(2.0)
    await media.unpublish("42", session.session_id)

    [(key, result)] = heard
    assert key == "42" and not result.failed and result.container == container
    assert result.path.parent == tmp_path / "recordings"
    assert result.path.name.startswith("42-") and result.path.suffix == f".{container}"
    assert 1200 <= result.duration_ms <= 2300
    assert result.started_at is not None and result.started_at <= result.ended_at
    with av.open(str(result.path)) as file:
        assert {s.codec_context.name for s in file.streams} == {codec, "opus"}
        pts = [frame.pts for frame in file.decode(video=0)]
    assert len(pts) >= 20 and pts == sorted(set(pts))
    await host.close()
    await media.close()


async def test_a_host_that_drops_is_recorded_too(tmp_path) -> None:
    media = MediaService(MediaConfig(recordings_dir=str(tmp_path)))
    heard: list[RecordingResult] = []
    reported = asyncio.Event()

    def stored(key: str, result: RecordingResult) -> None:
        heard.append(result)
        reported.set()

    media.add_recording_listener(stored)
    host, _ = await publish(media, "1", "vp8", audio=False)
    await asyncio.sleep(1.0)
    await host.close()  # no unpublish: the service notices the connection ending
    await asyncio.wait_for(reported.wait(), 40)
    assert heard[0].frames_written > 10 and heard[0].container == "webm"
    await media.close()


async def test_without_a_directory_nothing_is_recorded(tmp_path) -> None:
    media = MediaService(MediaConfig())
    heard: list[RecordingResult] = []
    media.add_recording_listener(lambda key, result: heard.append(result))
    host, session = await publish(media, "1", "vp8")
    await asyncio.sleep(0.5)
    await media.unpublish("1", session.session_id)
    assert heard == []
    await host.close()
    await media.close()


async def test_service_close_finishes_recordings(tmp_path) -> None:
    media = MediaService(MediaConfig(recordings_dir=str(tmp_path)))
    heard: list[RecordingResult] = []
    media.add_recording_listener(lambda key, result: heard.append(result))
    host, _ = await publish(media, "1", "h264")
    await asyncio.sleep(1.0)
    await media.close()
    assert len(heard) == 1 and heard[0].path.exists() and not heard[0].failed
    await host.close()


async def test_a_recording_is_heard_of_at_its_first_frame_and_grows_while_live(tmp_path) -> None:
    media = MediaService(MediaConfig(recordings_dir=str(tmp_path)))
    heard: list[object] = []
    first_frame = asyncio.Event()

    async def started(key: str, start: RecordingStarted) -> None:
        await asyncio.sleep(0)  # a coroutine: run as a task, awaited before the end is told
        heard.append((key, start))
        first_frame.set()

    media.add_recording_start_listener(started)
    media.add_recording_listener(lambda key, result: heard.append((key, result)))
    host, session = await publish(media, "7", "h264")
    await asyncio.wait_for(first_frame.wait(), 20)
    [(key, start)] = heard
    assert key == "7" and start.container == "mp4" and start.path.parent == tmp_path
    assert being_written(start.path)  # told once the file is there
    # The file grows a fragment (<= 2 s) at a time while the host is live, and plays.
    for _ in range(300):
        if probe_ms(start.path) >= 2500:
            break
        await asyncio.sleep(0.1)
    assert probe_ms(start.path) >= 2500
    with av.open(str(start.path)) as file:
        assert sum(1 for _ in file.decode(video=0)) >= 50
    await media.unpublish("7", session.session_id)

    assert [type(event) for _, event in heard] == [RecordingStarted, RecordingResult]
    result = heard[1][1]
    assert isinstance(result, RecordingResult)
    assert result.path == start.path and result.started_at == start.started_at
    assert not being_written(result.path)
    await host.close()
    await media.close()


def probe_ms(path) -> int:
    try:
        return probe(path).duration_ms
    except RecordingUnreadable:
        return 0


def test_file_names_carry_the_stream_key_and_utc_time() -> None:
    when = datetime(2026, 11, 23, 9, 30, 5, tzinfo=UTC)
    assert file_stem("12", "AbC-d_e1234567", when) == "12-20261123T093005Z-AbCde123"
    assert file_stem("../x y", "s", when) == "___x_y-20261123T093005Z-s"
