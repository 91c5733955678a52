"""Clips cut from real recordings (made by the recorder from libx264/libvpx/libopus frames),
read back and decoded with PyAV."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from pathlib import Path

import av
import pytest

from media.clips import ClipCut, cut_clip, duration_ms, probe
from media.exceptions import (
    ClipOutsideRecording,
    InvalidClipRange,
    MediaCode,
    MediaError,
    RecordingUnreadable,
)
from media.recording import Recorder
from tests.media.test_recording import H264, VP8, interleaved, opus, record, video

GOP = 10
FPS = 30
GOP_MS = GOP * 1000 // FPS  # a keyframe every 333 ms


@pytest.fixture(scope="module")
def frames_h264():
    return interleaved(video("h264", 3 * FPS, gop=GOP), opus(150))


async def recorded(tmp_path: Path, frames, tracks=H264) -> Path:
    result = await record(tmp_path, tracks, frames)
    assert result.error is None
    return result.path


def decoded(path: Path) -> tuple[list[av.VideoFrame], int]:
    """The clip's video frames, decoded, and how many audio frames it has."""
    with av.open(str(path)) as container:
        pictures = list(container.decode(video=0))
    with av.open(str(path)) as container:
        sounds = sum(1 for _ in container.decode(audio=0)) if container.streams.audio else 0
    return pictures, sounds


async def test_a_clip_starts_at_the_keyframe_before_its_start_and_decodes(
    tmp_path, frames_h264
) -> None:
    source = await recorded(tmp_path, frames_h264)
    cut = cut_clip(source, 1500, 2500, tmp_path / "clip.mp4")

    assert isinstance(cut, ClipCut)
    assert cut.container == "mp4"
    assert cut.start_ms == 1333  # frame 40, the keyframe at or before 1.5 s
    assert 2500 - GOP_MS <= cut.end_ms <= 2500
    assert cut.bytes == (tmp_path / "clip.mp4").stat().st_size > 0
    pictures, sounds = decoded(cut.path)
    assert pictures[0].key_frame
    assert pictures[0].pts == 0  # rebased to 0
    # 1.333 s to 2.5 s at 30 frames a second: frames 40 to 74.
    assert len(pictures) == 35
    seconds = float(pictures[-1].pts * pictures[-1].time_base)
    assert (2500 - 1500 - GOP_MS) / 1000 <= seconds + 1 / FPS <= (2500 - 1333) / 1000 + 0.001
    assert sounds > 0  # the audio comes along
    with av.open(str(cut.path)) as container:
        assert container.format.name.startswith("mov,mp4")
        first_audio = next(p for p in container.demux(audio=0) if p.size)
        assert first_audio.pts is not None and first_audio.pts * first_audio.time_base >= 0


async def test_a_clip_from_a_keyframe_and_one_to_the_end(tmp_path, frames_h264) -> None:
    source = await recorded(tmp_path, frames_h264)
    found = probe(source)
    assert found.duration_ms >= 2966
    assert found.keyframes_ms[:4] == (0, 333, 666, 1000)

    exact = cut_clip(source, 1000, 1400, tmp_path / "exact.mp4")
    assert exact.start_ms == 1000
    pictures, _ = decoded(exact.path)
    assert pictures[0].key_frame and len(pictures) == 12  # frames 30 to 41

    whole = cut_clip(source, 0, found.duration_ms, tmp_path / "whole.mp4")
    assert whole.start_ms == 0
    pictures, _ = decoded(whole.path)
    assert len(pictures) == 3 * FPS


async def test_a_vp8_recording_gives_a_webm_clip(tmp_path) -> None:
    frames = interleaved(video("vp8", 2 * FPS, gop=GOP), opus(100))
    source = await recorded(tmp_path, frames, VP8)
    cut = cut_clip(source, 700, 1500, tmp_path / "clip.webm")
    assert cut.container == "webm"
    assert cut.start_ms in (666, 667)  # WebM counts in whole ms
    pictures, _ = decoded(cut.path)
    assert pictures[0].key_frame
    assert pictures[0].pts == 0
    assert len(pictures) == 25  # frames 20 to 44


@pytest.mark.parametrize(
    ("start_ms", "end_ms", "error", "code"),
    [
        (-1, 1000, InvalidClipRange, MediaCode.CLIP_RANGE_INVALID),
        (2000, 1000, InvalidClipRange, MediaCode.CLIP_RANGE_INVALID),
        (1000, 1000, InvalidClipRange, MediaCode.CLIP_RANGE_INVALID),
        (1000, 60_000, ClipOutsideRecording, MediaCode.CLIP_OUT_OF_RECORDING),
        (10_000, 20_000, ClipOutsideRecording, MediaCode.CLIP_OUT_OF_RECORDING),
    ],
)
async def test_bad_ranges_are_refused_and_write_nothing(
    tmp_path, frames_h264, start_ms, end_ms, error, code
) -> None:
    source = await recorded(tmp_path, frames_h264)
    target = tmp_path / "clip.mp4"
    with pytest.raises(error) as raised:
        cut_clip(source, start_ms, end_ms, target)
    assert isinstance(raised.value, MediaError)
    assert raised.value.code == code
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


@pytest.mark.parametrize("content", [None, b"", b"not a recording at all" * 100])
def test_a_file_that_is_not_a_recording_is_unreadable(tmp_path, content) -> None:
    source = tmp_path / "show.mp4"
    if content is not None:
        source.write_bytes(content)
    with pytest.raises(RecordingUnreadable) as raised:
        cut_clip(source, 0, 1000, tmp_path / "clip.mp4")
    assert raised.value.code == MediaCode.RECORDING_UNREADABLE
    assert not (tmp_path / "clip.mp4").exists()
    with pytest.raises(RecordingUnreadable):
        probe(source)


async def test_a_recording_cut_short_still_gives_clips(tmp_path, frames_h264) -> None:
    """A recording whose end is missing (the crash of a node) is read up to its last whole
    fragment."""
    source = await recorded(tmp_path, frames_h264)
    data = source.read_bytes()
    short = tmp_path / "short.mp4"
    short.write_bytes(data[: len(data) * 2 // 3])
    found = probe(short)
    assert 1000 <= found.duration_ms < 2966
    assert not found.complete  # it ends inside a fragment
    assert duration_ms(short) == found.duration_ms
    cut = cut_clip(short, 500, 900, tmp_path / "clip.mp4")
    pictures, _ = decoded(cut.path)
    assert pictures[0].key_frame
    assert Fraction(cut.start_ms) == 333


@pytest.mark.parametrize("kept", [1.0, 0.6, 0.85])
async def test_the_duration_read_from_the_tail_is_the_whole_scans(tmp_path, kept) -> None:
    """`duration_ms` (from the file's tail) says what `probe` (every packet) says, for a whole
    recording and for ones whose end is missing (a live file, a crash)."""
    frames = interleaved(video("h264", 20 * FPS, gop=45), opus(1000))
    result = await record(tmp_path, H264, frames, max_queued_frames=3000)
    data = result.path.read_bytes()
    short = tmp_path / "short.mp4"
    short.write_bytes(data[: int(len(data) * kept)])
    expected = probe(short).duration_ms
    assert expected > 10_000  # longer than the tail it reads
    assert duration_ms(short) == expected


async def test_the_duration_of_a_webm_recording(tmp_path) -> None:
    source = await recorded(tmp_path, interleaved(video("vp8", 2 * FPS), opus(100)), VP8)
    assert duration_ms(source) == probe(source).duration_ms >= 1966
    with pytest.raises(RecordingUnreadable):
        duration_ms(tmp_path / "missing.webm")


async def test_a_webm_recording_cut_short_still_gives_clips(tmp_path) -> None:
    """What a crash leaves of a WebM (its file as it was while live: no duration, no Cues)
    is read from its start."""
    recorder = Recorder(tmp_path / "show", VP8, max_queued_frames=1000)
    for frame in interleaved(video("vp8", 3 * FPS, gop=GOP), opus(150)):
        frame.into(recorder)
    for _ in range(400):
        if recorder.path.exists() and probe_ms(recorder.path) >= 2000:
            break
        await asyncio.sleep(0.05)
    short = tmp_path / "short.webm"
    short.write_bytes(recorder.path.read_bytes())  # mid-show, as a SIGKILL would leave it
    await recorder.close()
    with av.open(str(short)) as container:
        assert container.duration is None
    found = probe(short)
    assert 2000 <= found.duration_ms < 3000 and duration_ms(short) == found.duration_ms
    cut = cut_clip(short, 1100, 1400, tmp_path / "clip.webm")
    assert cut.start_ms == 1000 and cut.container == "webm"
    pictures, _ = decoded(cut.path)
    assert pictures[0].key_frame and pictures[0].pts == 0 and len(pictures) == 12
    with pytest.raises(ClipOutsideRecording):
        cut_clip(short, 1000, found.duration_ms + 1, tmp_path / "late.webm")


def probe_ms(path: Path) -> int:
    try:
        return probe(path).duration_ms
    except RecordingUnreadable:
        return 0
