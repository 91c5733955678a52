"""Recordings read while they are written, and recordings a crash cut short: real libx264 and
libopus frames through the recorder, read back with PyAV."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import av
import pytest

from media.clips import cut_clip, probe
from media.exceptions import RecordingUnreadable
from media.recording import FRAGMENT_S, Recorder, being_written, repair
from tests.media.test_recording import FPS, H264, VP8, interleaved, opus, record, video


def top_level_boxes(path: Path) -> list[tuple[bytes, int]]:
    """(type, size) of each top-level MP4 box; a torn last one is listed with its claimed size."""
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        boxes.append((kind, size))
        offset += size
    return boxes


def decoded_pts(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        return [frame.pts for frame in container.decode(video=0)]


async def until(condition, seconds: float = 20.0) -> None:
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {seconds} s")


def readable_ms(path: Path) -> int:
    try:
        return probe(path).duration_ms
    except RecordingUnreadable:
        return 0


async def test_a_recording_being_written_decodes(tmp_path) -> None:
    """While the show is live, the file holds every fragment written so far, and decodes."""
    frames = interleaved(video("h264", 6 * FPS, gop=150), opus(300))  # keyframes at 0 and 5 s
    recorder = Recorder(tmp_path / "show", H264, max_queued_frames=1000)
    first = [f for f in frames if f.timestamp / f.clock_rate < 3]
    for frame in first:
        frame.into(recorder)

    await until(lambda: readable_ms(recorder.path) >= FRAGMENT_S * 1000)
    assert being_written(recorder.path)
    live = probe(recorder.path)
    assert live.duration_ms < 3000  # the fragment being gathered (from 2 s) is not there yet
    pts = decoded_pts(recorder.path)
    assert len(pts) >= FRAGMENT_S * FPS
    assert pts == sorted(set(pts)) and pts[0] == 0
    with av.open(str(recorder.path)) as container:
        assert next(container.decode(video=0)).key_frame
    cut = cut_clip(recorder.path, 500, 1500, tmp_path / "clip.mp4")  # a clip while live
    assert cut.start_ms == 0 and cut.end_ms == 1500  # the only keyframe so far is at 0
    assert len(decoded_pts(cut.path)) == 45

    for frame in frames[len(first) :]:
        frame.into(recorder)
    result = await recorder.close()
    assert result.error is None and not being_written(result.path)
    assert len(decoded_pts(result.path)) == 6 * FPS
    assert probe(result.path).complete


async def test_fragments_come_at_least_every_two_seconds_between_keyframes(tmp_path) -> None:
    result = await record(
        tmp_path,
        H264,
        interleaved(video("h264", 10 * FPS, gop=150), opus(500)),  # a keyframe every 5 s
        max_queued_frames=2000,
    )
    kinds = [kind for kind, _ in top_level_boxes(result.path)]
    assert kinds[:2] == [b"ftyp", b"moov"] and kinds[-1] == b"mfra"
    # 10 s cut at each keyframe (0, 5 s) and after every 2 s: 0, 2, 4, 5, 7, 9.
    assert kinds.count(b"moof") == kinds.count(b"mdat") >= 10 // FRAGMENT_S + 1


async def test_webm_clusters_come_at_least_every_two_seconds(tmp_path) -> None:
    result = await record(
        tmp_path,
        VP8,
        interleaved(video("vp8", 10 * FPS, gop=150), opus(500)),  # a keyframe every 5 s
        max_queued_frames=2000,
    )
    with av.open(str(result.path)) as played:
        assert sum(1 for _ in played.decode(video=0)) == 10 * FPS
    clusters = result.path.read_bytes().count(bytes.fromhex("1f43b675"))  # Cluster's EBML id
    assert clusters >= 10 // FRAGMENT_S + 1


@pytest.mark.parametrize("kept", [0.5, 0.75, 0.9])
async def test_a_torn_recording_is_cut_back_to_its_last_whole_fragment(tmp_path, kept) -> None:
    result = await record(
        tmp_path, H264, interleaved(video("h264", 6 * FPS), opus(300)), max_queued_frames=1000
    )
    data = result.path.read_bytes()
    torn = tmp_path / "torn.mp4"
    torn.write_bytes(data[: int(len(data) * kept)])  # what a SIGKILL mid-fragment leaves

    size = repair(torn)
    assert size == torn.stat().st_size < int(len(data) * kept)
    boxes = top_level_boxes(torn)
    assert sum(box_size for _, box_size in boxes) == size  # every box whole
    assert boxes[-1][0] == b"mdat"
    found = probe(torn)
    assert found.complete and 0 < found.duration_ms < 6000
    pts = decoded_pts(torn)
    assert pts == sorted(set(pts)) and len(pts) >= found.duration_ms * FPS // 1000 - 1
    assert repair(torn) == size  # a whole file is left as it is


async def test_only_a_live_recorder_holds_its_file(tmp_path) -> None:
    recorder = Recorder(tmp_path / "show", H264)
    assert not being_written(recorder.path)  # no file yet
    for frame in interleaved(video("h264", 10), opus(10)):
        frame.into(recorder)
    await until(recorder.path.exists)
    await until(lambda: being_written(recorder.path))
    await recorder.close()
    assert recorder.path.exists() and not being_written(recorder.path)


async def test_a_torn_webm_recording_plays_up_to_the_tear(tmp_path) -> None:
    """VP8 stays WebM: a crash leaves no Cues, sizes or duration, yet the clusters before the
    tear decode, and `probe` reads how long they are. `repair` leaves WebM as it is."""
    result = await record(
        tmp_path, VP8, interleaved(video("vp8", 6 * FPS), opus(300)), max_queued_frames=1000
    )
    data = result.path.read_bytes()
    torn = tmp_path / "torn.webm"
    torn.write_bytes(data[: len(data) * 2 // 3])
    assert repair(torn) == len(data) * 2 // 3 == torn.stat().st_size
    found = probe(torn)
    assert 1000 < found.duration_ms < 6000
    pts = decoded_pts(torn)
    assert pts[0] == 0 and pts == sorted(set(pts))
    assert len(pts) >= found.duration_ms * FPS // 1000 - 1  # every frame before the tear


@pytest.mark.parametrize(("codec", "tracks"), [("h264", H264), ("vp8", VP8)])
async def test_video_reaches_the_file_while_the_audio_track_sends_nothing(
    tmp_path, codec, tracks
) -> None:
    """Packets of one track wait for the other's only so long (libavformat's interleaving
    would keep 10 s back): a host with a silent audio track is still on disk while live."""
    recorder = Recorder(tmp_path / "show", tracks, max_queued_frames=1000)
    for frame in video(codec, 8 * FPS, gop=FPS):  # 8 s of video, no audio at all
        frame.into(recorder)
    await until(lambda: readable_ms(recorder.path) >= 8000 - 3 * FRAGMENT_S * 1000)
    assert being_written(recorder.path)
    await recorder.close()
