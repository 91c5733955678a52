"""The recorder with real encoded frames (libx264, libvpx, libopus), read back with PyAV."""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from media.bitstream import h264_nal_units
from media.keyframes import is_keyframe
from media.recording import Recorder, RecordingResult

FPS = 30
VIDEO_STEP = 90000 // FPS  # ticks of the 90 kHz clock per frame
OPUS_STEP = 960  # 20 ms at 48 kHz
H264 = {"video": "video/H264", "audio": "audio/opus"}
VP8 = {"video": "video/VP8", "audio": "audio/opus"}


@dataclass(frozen=True)
class Encoded:
    kind: str
    mime_type: str
    clock_rate: int
    data: bytes
    timestamp: int
    keyframe: bool

    def into(self, recorder: Recorder, **change: object) -> None:
        fields = {**self.__dict__, **change}
        recorder.write(
            fields["kind"],
            fields["mime_type"],
            fields["clock_rate"],
            fields["data"],
            fields["timestamp"],
            fields["keyframe"],
        )


def video(codec: str, count: int, gop: int = 10) -> list[Encoded]:
    """`count` frames of a 160x120 picture that changes every frame, a keyframe every `gop`."""
    name, mime, options = {
        "h264": ("libx264", "video/H264", {"profile": "baseline", "x264-params": "scenecut=0"}),
        "vp8": ("libvpx", "video/VP8", {"deadline": "realtime", "lag-in-frames": "0"}),
    }[codec]
    encoder = av.CodecContext.create(name, "w")
    encoder.width, encoder.height, encoder.pix_fmt = 160, 120, "yuv420p"
    encoder.time_base, encoder.framerate = Fraction(1, 90000), FPS
    encoder.gop_size, encoder.options = gop, options
    frames = []
    for i in range(count):
        image = np.full((120, 160, 3), 60, dtype=np.uint8)
        image[:, (i * 4) % 160 :][:, :8] = 220  # a bar moving right
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i * VIDEO_STEP, encoder.time_base
        for packet in encoder.encode(frame):
            frames.append(bytes(packet))
    frames += [bytes(p) for p in encoder.encode(None)]
    assert len(frames) == count
    return [
        Encoded("video", mime, 90000, data, i * VIDEO_STEP, is_keyframe(mime, data))
        for i, data in enumerate(frames)
    ]


def opus(count: int) -> list[Encoded]:
    """`count` 20 ms Opus packets of a tone."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48000, "stereo", "s16"
    encoder.time_base = Fraction(1, 48000)
    tone = (np.sin(np.arange(OPUS_STEP) * 2 * np.pi * 440 / 48000) * 8000).astype(np.int16)
    packets = []
    for i in range(count):
        frame = av.AudioFrame.from_ndarray(
            np.repeat(tone, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate, frame.pts, frame.time_base = 48000, i * OPUS_STEP, encoder.time_base
        packets += [bytes(p) for p in encoder.encode(frame)]
    return [
        Encoded("audio", "audio/opus", 48000, data, i * OPUS_STEP, True)
        for i, data in enumerate(packets[:count])
    ]


def interleaved(*tracks: list[Encoded]) -> list[Encoded]:
    """The frames in the order a host sends them: by time on the session clock."""
    return sorted(
        (f for track in tracks for f in track), key=lambda f: Fraction(f.timestamp, f.clock_rate)
    )


def video_packets(path: Path) -> list[av.Packet]:
    with av.open(str(path)) as container:
        return [p for p in container.demux(video=0) if p.size]


def decoded_video_pts(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        return [frame.pts for frame in container.decode(video=0)]


async def record(tmp_path: Path, tracks: dict, frames: list[Encoded], **kw) -> RecordingResult:
    recorder = Recorder(tmp_path / "show", tracks, **kw)
    for frame in frames:
        frame.into(recorder)
    return await recorder.close()


@pytest.mark.parametrize(
    ("codec", "tracks", "container", "format_name"),
    [("h264", H264, "mp4", "mp4"), ("vp8", VP8, "webm", "webm")],
)
async def test_video_and_opus_are_remuxed_into_a_file_that_plays(
    tmp_path, codec, tracks, container, format_name
) -> None:
    pictures = video(codec, 60)
    frames = interleaved(pictures, opus(100))  # 2 s of each
    result = await record(tmp_path, tracks, frames)

    assert not result.failed and result.error is None
    assert result.path == tmp_path / f"show.{container}" and result.container == container
    assert result.frames_written == 160 and result.frames_dropped == 0
    assert result.bytes == result.path.stat().st_size > 0
    assert 1950 <= result.duration_ms <= 2050
    assert result.started_at is not None and result.started_at.tzinfo is not None
    with av.open(str(result.path)) as file:
        assert format_name in file.format.name
        assert sorted(s.codec_context.name for s in file.streams) == sorted([codec, "opus"])
        assert (file.streams.video[0].width, file.streams.video[0].height) == (160, 120)
        assert file.streams.audio[0].codec_context.extradata.startswith(b"OpusHead")
        if codec == "h264":  # the host's own SPS in the header (no encoder made one up)
            sps = h264_nal_units(pictures[0].data)[0]
            assert sps in file.streams.video[0].codec_context.extradata
        assert 1.9 <= file.duration / av.time_base <= 2.1
        audio_frames = sum(1 for _ in file.decode(audio=0))
        assert audio_frames >= 99
    pts = decoded_video_pts(result.path)
    assert len(pts) == 60
    assert pts == sorted(set(pts))  # strictly increasing


async def test_audio_alone_is_recorded_to_webm(tmp_path) -> None:
    result = await record(tmp_path, {"audio": "audio/opus"}, opus(50))
    assert result.container == "webm" and result.frames_written == 50
    with av.open(str(result.path)) as file:
        assert [s.codec_context.name for s in file.streams] == ["opus"]
        assert sum(1 for _ in file.decode(audio=0)) == 50
        assert 0.95 <= file.duration / av.time_base <= 1.05


async def test_frames_before_the_first_video_keyframe_are_dropped(tmp_path) -> None:
    asked = []
    frames = video("h264", 30)  # keyframes at 0, 10, 20
    audio = opus(50)
    late = interleaved(frames[3:], audio)  # joined mid-GOP: 7 frames before a keyframe
    result = await record(tmp_path, H264, late, want_keyframe=lambda: asked.append(1))

    dropped_audio = sum(1 for a in audio if a.timestamp / 48000 < frames[10].timestamp / 90000)
    assert result.frames_dropped == 7 + dropped_audio
    assert result.frames_written == 20 + len(audio) - dropped_audio
    assert asked == [1]  # asked once, not once per dropped frame
    packets = video_packets(result.path)
    assert packets[0].is_keyframe and packets[0].pts == 0
    assert len(decoded_video_pts(result.path)) == 20


async def test_an_h264_keyframe_without_sps_and_pps_cannot_start_an_mp4(tmp_path) -> None:
    frames = video("h264", 20)
    units = h264_nal_units(frames[0].data)
    idr_only = b"".join(b"\x00\x00\x00\x01" + u for u in units if u[0] & 0x1F == 5)
    recorder = Recorder(tmp_path / "show", H264)
    frames[0].into(recorder, data=idr_only)
    for frame in frames[1:]:
        frame.into(recorder)
    result = await recorder.close()
    assert result.frames_dropped == 10 and result.frames_written == 10
    assert len(decoded_video_pts(result.path)) == 10


async def test_timestamps_that_step_back(tmp_path) -> None:
    frames = video("vp8", 10)
    audio = opus(10)
    recorder = Recorder(tmp_path / "show", VP8)
    for frame in frames[:5]:
        frame.into(recorder)
    frames[5].into(recorder, timestamp=frames[3].timestamp)  # video: kept, nudged one tick on
    for frame in frames[6:]:
        frame.into(recorder)
    for packet in audio[:5]:
        packet.into(recorder)
    audio[5].into(recorder, timestamp=audio[2].timestamp)  # audio: dropped
    audio[6].into(recorder, timestamp=audio[4].timestamp)  # the same time again: dropped
    result = await recorder.close()

    assert result.frames_written == 10 + 5 and result.frames_dropped == 2
    pts = [p.pts for p in video_packets(result.path)]
    assert len(pts) == 10 and pts == sorted(set(pts))
    assert len(decoded_video_pts(result.path)) == 10


async def test_a_full_queue_drops_frames_until_the_next_video_keyframe(tmp_path) -> None:
    asked = []
    frames = video("h264", 40)  # keyframes at 0, 10, 20, 30
    recorder = Recorder(
        tmp_path / "show",
        {"video": "video/H264"},
        max_queued_frames=3,
        want_keyframe=lambda: asked.append(1),
    )
    busy, disk, caught_up = threading.Event(), threading.Event(), threading.Event()
    written: queue.SimpleQueue[int] = queue.SimpleQueue()
    muxer_write = recorder._muxer.write

    def slow_disk(frame) -> None:
        busy.set()
        disk.wait(10)
        muxer_write(frame)
        if frame.pts == 3 * VIDEO_STEP:
            caught_up.set()
        elif frame.pts >= 20 * VIDEO_STEP:
            written.put(frame.pts)

    recorder._muxer.write = slow_disk  # type: ignore[method-assign]
    frames[0].into(recorder)
    await asyncio.to_thread(busy.wait, 10)  # the thread is stuck writing frame 0
    for frame in frames[1:12]:
        frame.into(recorder)  # 1-3 fill the queue, 4 overflows, 5-11 wait for a keyframe
    disk.set()
    await asyncio.to_thread(caught_up.wait, 10)
    for frame in frames[12:]:
        frame.into(recorder)
        if frame.timestamp >= 20 * VIDEO_STEP:  # kept: let the thread write it (no new gap)
            assert await asyncio.to_thread(written.get, True, 10) == frame.timestamp
    result = await recorder.close()

    # The keyframe at 10 came while the queue was still full: the keyframe at 20 resumes.
    assert (result.frames_written, result.frames_dropped) == (24, 16)
    assert asked == [1]  # once a second at most
    packets = video_packets(result.path)
    assert [p.pts for p in packets[:5]] == [i * VIDEO_STEP for i in (0, 1, 2, 3, 20)]
    assert packets[4].is_keyframe
    assert len(decoded_video_pts(result.path)) == 24


async def test_a_garbage_frame_stops_the_recording_but_keeps_what_was_written(tmp_path) -> None:
    frames = video("h264", 20)
    recorder = Recorder(tmp_path / "show", H264)
    for frame in frames[:10]:
        frame.into(recorder)
    frames[10].into(recorder, data=b"\xde\xad\xbe\xef" * 50)  # not Annex-B
    for frame in frames[11:]:
        frame.into(recorder)  # ignored: the recorder has stopped
    result = await recorder.close()

    assert result.failed and "corrupt video frame" in (result.error or "")
    assert result.frames_written == 10
    assert len(decoded_video_pts(result.path)) == 10


@pytest.mark.parametrize(
    ("tracks", "kind", "data"),
    [
        ({"video": "video/VP8"}, "video", b"\x00\x00\x00"),  # a key frame tag and nothing else
        ({"audio": "audio/opus"}, "audio", b"\x03"),  # Opus code 3 without its frame count
    ],
)
async def test_other_corrupt_frames_stop_the_recording(tmp_path, tracks, kind, data) -> None:
    recorder = Recorder(tmp_path / "show", tracks)
    recorder.write(kind, tracks[kind], 90000 if kind == "video" else 48000, data, 0, True)
    result = await recorder.close()
    assert result.failed and result.frames_written == 0 and not result.path.exists()


async def test_a_muxer_error_stops_the_recording(tmp_path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = await record(blocker, H264, interleaved(video("h264", 10), opus(10)))
    assert result.failed and "muxing failed" in (result.error or "")
    assert result.frames_written == 0 and result.frames_dropped == 20


async def test_frames_the_recorder_cannot_carry_are_dropped(tmp_path) -> None:
    frames = video("vp8", 5)
    recorder = Recorder(tmp_path / "show", {"video": "video/VP8", "audio": "audio/PCMU"})
    for frame in frames:
        frame.into(recorder)
    frames[0].into(recorder, mime_type="video/H264")  # not the codec the session declared
    recorder.write("audio", "audio/PCMU", 8000, b"\xff" * 160, 0, True)  # not recordable
    recorder.write("video", "video/VP8", 90000, b"", 99 * VIDEO_STEP, False)  # empty: skipped
    result = await recorder.close()
    assert (result.frames_written, result.frames_dropped) == (5, 2) and not result.failed
    with av.open(str(result.path)) as file:
        assert [s.type for s in file.streams] == ["video"]


async def test_close_twice_and_writes_after_close(tmp_path) -> None:
    frames = video("vp8", 5)
    recorder = Recorder(tmp_path / "show", {"video": "video/VP8"})
    for frame in frames[:3]:
        frame.into(recorder)
    first = await recorder.close()
    frames[3].into(recorder)
    assert await recorder.close() == first and first.frames_written == 3


async def test_a_session_without_frames_makes_no_file(tmp_path) -> None:
    result = await Recorder(tmp_path / "show", H264).close()
    assert result.frames_written == 0 and result.started_at is None
    assert not result.failed and not result.path.exists()
