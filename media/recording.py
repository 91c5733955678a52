"""Recording a publisher session to a file: its encoded frames remuxed by PyAV, never transcoded.

H.264 goes into MP4, VP8 (or audio alone) into WebM; Opus goes with either. Frames arrive on
the event loop; muxing and file I/O run on the recorder's own thread behind a bounded queue.

Both files are written so that a crash (SIGKILL of the node, power loss) keeps what came
before it, and so that they can be read while the show is live (media/clips.py reads them):

- MP4 is fragmented (`empty_moov`: the header holds no samples; then a `moof`+`mdat` fragment
  at every keyframe, and at least every FRAGMENT_S seconds between them). Each fragment is
  flushed to the file when it is written. A crash loses the fragment being gathered (up to
  FRAGMENT_S seconds, or a GOP if shorter) and the trailer (`mfra`, a seek index players do
  not need: they seek by the fragments' own times).
- WebM is written a cluster at a time, a new cluster at every keyframe and at least every
  FRAGMENT_S seconds, each flushed when written. A crash loses the cluster being gathered and
  the end of the file: the segment's size and duration and the `Cues` (seek index) stay
  unwritten, so a player reads such a file from the start (a crashed WebM plays, but seeks
  only by scanning); `media.clips.probe` reads its real duration from its clusters.

While a recorder writes a file it holds an advisory lock on it (`flock`), which the OS lets go
when the process dies: `being_written(path)` tells a live recording from one left by a crash,
and `repair(path)` cuts an MP4 left by a crash back to its last whole fragment.
"""

from __future__ import annotations

import asyncio
import fcntl
import io
import logging
import os
import queue
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.container import OutputContainer
from av.stream import Stream
from av.video.codeccontext import VideoCodecContext

from media.bitstream import frame_problem, h264_parameter_sets, opus_head, opus_samples

logger = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 256  # ~3 s of a host's 30 video frames and 50 Opus packets a second
KEYFRAME_ASK_INTERVAL_S = 1.0
FRAGMENT_S = 2  # the most a crash loses of a recording (plus what waits in the queue)
# libavformat options, by container. `flush_packets` hands every write to the OS at once;
# `max_interleave_delta` bounds how long packets of one track wait for the other's (10 s by
# default: a host whose audio track sends nothing would otherwise keep 10 s of video back).
_WRITING = {"flush_packets": "1", "max_interleave_delta": str(FRAGMENT_S * 1_000_000 // 2)}
CONTAINER_OPTIONS = {
    "mp4": {
        "movflags": "frag_keyframe+empty_moov+default_base_moof",
        "frag_duration": str(FRAGMENT_S * 1_000_000),  # µs
        **_WRITING,
    },
    "webm": {"cluster_time_limit": str(FRAGMENT_S * 1000), **_WRITING},  # ms
}


@dataclass(frozen=True)
class Track:
    kind: str  # "video" or "audio"
    codec: str  # PyAV's codec name
    clock_rate: int


# What a recording can carry, by the MIME type aiortc negotiated: (PyAV codec, RTP clock rate).
CODECS = {"video/h264": ("h264", 90000), "video/vp8": ("vp8", 90000), "audio/opus": ("opus", 48000)}


@dataclass(frozen=True)
class RecordingResult:
    path: Path
    container: str  # "mp4" or "webm"
    started_at: datetime | None  # UTC wall clock of the first written frame (None: none written)
    ended_at: datetime  # UTC, when the recorder was closed
    duration_ms: int
    bytes: int
    frames_written: int
    frames_dropped: int
    error: str | None = None  # why the recorder stopped before it was closed

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True, slots=True)
class _Frame:
    kind: str
    data: bytes
    pts: int  # ticks of the track's clock since the recording's first frame
    duration: int  # ticks, 0 when unknown (video)
    keyframe: bool


class Recorder:
    """Takes a session's encoded frames and writes them to `path` (`path_stem` + .mp4/.webm).

    `tracks` maps each kind the host sends to its MIME type. Video is written from its first
    keyframe on (earlier frames, audio too, are dropped); a frame arriving while the queue is
    full is dropped, and so is everything after it until the next video keyframe, which the
    recorder asks for through `want_keyframe`. A corrupt frame or a muxer error stops the
    recording: logged, and reported by `close()`, never raised to the caller.
    """

    def __init__(
        self,
        path_stem: Path,
        tracks: Mapping[str, str],
        *,
        want_keyframe: Callable[[], None] | None = None,
        max_queued_frames: int = MAX_QUEUED_FRAMES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tracks = _supported(tracks)
        video = self._tracks.get("video")
        self.container = "mp4" if video is not None and video.codec == "h264" else "webm"
        self.path = path_stem.with_name(f"{path_stem.name}.{self.container}")
        self._want_keyframe = want_keyframe
        self._clock = clock
        self._queue: queue.Queue[_Frame | None] = queue.Queue(max_queued_frames)
        self._thread: threading.Thread | None = None
        self._muxer = _Muxer(self.path, self.container, self._tracks)
        # Event-loop side: only write() and close() touch these.
        self._origin: Fraction | None = None  # session time (s) of the first written frame
        self._started_at: datetime | None = None
        self._last_pts: dict[str, int] = {}
        self._need_keyframe = video is not None
        self._asked_at: float | None = None
        self._dropped = 0
        self._refusal: str | None = None
        self._closing: asyncio.Future[RecordingResult] | None = None

    def write(
        self,
        kind: str,
        mime_type: str,
        clock_rate: int,
        data: bytes,
        timestamp: int,
        keyframe: bool,
    ) -> None:
        """Take one encoded frame (`timestamp` in ticks of `clock_rate` on the session's clock).
        Never blocks on I/O and never raises."""
        if self._closing is not None or self._refusal is not None or self._muxer.error:
            return
        try:
            self._write(kind, mime_type, clock_rate, data, timestamp, keyframe)
        except Exception:
            logger.exception("recording %s: a frame could not be taken", self.path)
            self._refusal = "a frame could not be taken"

    @property
    def started_at(self) -> datetime | None:
        """UTC wall clock of the first frame taken (None: none yet)."""
        return self._started_at

    @property
    def writing(self) -> bool:
        """The file exists and this recorder holds it (see `being_written`), until closed."""
        return self._muxer.holds_file

    async def close(self) -> RecordingResult:
        """Stop taking frames, finish the file and say what it holds (safe to call again)."""
        if self._closing is None:
            ended_at = datetime.now(UTC)
            self._closing = asyncio.ensure_future(asyncio.to_thread(self._finish, ended_at))
        return await asyncio.shield(self._closing)

    def _write(
        self, kind: str, mime_type: str, clock_rate: int, data: bytes, timestamp: int, key: bool
    ) -> None:
        track = self._tracks.get(kind)
        if track is None or CODECS.get(mime_type.lower()) != (track.codec, clock_rate):
            self._dropped += 1
            return
        if not data:
            return  # an empty payload: nothing to keep
        problem = frame_problem(track.codec, data, key)
        if problem is not None:
            logger.error("recording %s stops: corrupt %s frame (%s)", self.path, kind, problem)
            self._refusal = f"corrupt {kind} frame: {problem}"
            return
        pts = self._pts(kind, timestamp, clock_rate) if self._may_write(track, data, key) else None
        if pts is None:
            self._dropped += 1
            return
        duration = (opus_samples(data) or 0) if track.codec == "opus" else 0
        self._enqueue(_Frame(kind, data, pts, duration, key or kind == "audio"))

    def _may_write(self, track: Track, data: bytes, keyframe: bool) -> bool:
        """Video starts, and resumes after a gap, at a keyframe; until then nothing is kept."""
        if not self._need_keyframe:
            return True
        # MP4 needs the SPS and PPS of its first keyframe for the track's header (avcC).
        usable = keyframe and (
            self._origin is not None
            or track.codec != "h264"
            or h264_parameter_sets(data) is not None
        )
        if track.kind != "video" or not usable:
            if track.kind == "video":
                self._ask_for_keyframe()
            return False
        self._need_keyframe = False
        return True

    def _pts(self, kind: str, timestamp: int, clock_rate: int) -> int | None:
        """Ticks since the first written frame, kept rising per track (None: drop the frame)."""
        if self._origin is None:
            self._origin = Fraction(timestamp, clock_rate)
            self._started_at = datetime.now(UTC)
        pts = timestamp - round(self._origin * clock_rate)
        last = self._last_pts.get(kind)
        if last is not None and pts <= last:
            if kind != "video":
                return None
            # Video that steps back is kept, 1 ms on (WebM counts in ms): every frame up to the
            # next keyframe (which WebRTC hosts send only when asked) is predicted from it.
            pts = last + max(1, clock_rate // 1000)
        elif pts < 0:
            return None  # audio from before the first video keyframe
        self._last_pts[kind] = pts
        return pts

    def _enqueue(self, frame: _Frame) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"recorder {self.path.name}", daemon=True
            )
            self._thread.start()
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            self._dropped += 1
            if "video" in self._tracks:
                # Video after a gap would not decode until a keyframe: drop until one comes.
                self._need_keyframe = True
                self._ask_for_keyframe()

    def _ask_for_keyframe(self) -> None:
        now = self._clock()
        if self._want_keyframe is None or (
            self._asked_at is not None and now - self._asked_at < KEYFRAME_ASK_INTERVAL_S
        ):
            return
        self._asked_at = now
        try:
            self._want_keyframe()
        except Exception:
            logger.exception("recording %s: asking for a keyframe failed", self.path)

    def _run(self) -> None:
        """The recorder's thread: mux until close() sends None, then finish the file."""
        while (frame := self._queue.get()) is not None:
            self._muxer.write(frame)
        self._muxer.close()

    def _finish(self, ended_at: datetime) -> RecordingResult:
        if self._thread is not None:
            # The thread drains the queue, so there is room soon (unless it died).
            while self._thread.is_alive():
                try:
                    self._queue.put(None, timeout=0.5)
                    break
                except queue.Full:
                    continue
            self._thread.join()
        muxer = self._muxer
        return RecordingResult(
            path=self.path,
            container=self.container,
            started_at=self._started_at if muxer.written else None,
            ended_at=ended_at,
            duration_ms=muxer.duration_ms(),
            bytes=muxer.size,
            frames_written=muxer.written,
            frames_dropped=self._dropped + muxer.discarded,
            error=self._refusal or muxer.error,
        )


class _Muxer:
    """The PyAV side of a recorder, used on its thread only. The file is made at the first
    frame; after an error every frame is discarded."""

    def __init__(self, path: Path, container: str, tracks: Mapping[str, Track]) -> None:
        self._path = path
        self._container = container
        self._tracks = tracks
        self._output: OutputContainer | None = None
        self._lock: int | None = None  # a descriptor of the file, flock()ed while it is written
        self._streams: dict[str, Stream] = {}
        self._ends: dict[str, int] = {}  # ticks: the end of each track's last frame
        self._last_pts: dict[str, int] = {}
        self.written = 0
        self.discarded = 0
        self.size = 0
        self.error: str | None = None

    def write(self, frame: _Frame) -> None:
        if self.error is not None:
            self.discarded += 1
            return
        try:
            self._mux(frame)
        except Exception as exc:
            logger.exception("recording %s stops: muxing failed", self._path)
            self.error = f"muxing failed: {exc}"
            self.discarded += 1

    def close(self) -> None:
        if self._output is None:
            return
        try:
            self._output.close()  # writes the last fragment and the trailer (the seek index)
        except Exception as exc:
            logger.exception("recording %s: finishing the file failed", self._path)
            self.error = self.error or f"finishing the file failed: {exc}"
        if self._lock is not None:
            os.close(self._lock)  # and with it the lock
            self._lock = None
        try:
            if self.written == 0:  # the header went out, then the first frame failed
                self._path.unlink()
            else:
                self.size = os.path.getsize(self._path)
        except OSError:
            self.size = 0
        logger.info("recorded %s: %d frames, %d bytes", self._path, self.written, self.size)

    @property
    def holds_file(self) -> bool:
        return self._lock is not None

    def duration_ms(self) -> int:
        ends = [end * 1000 // self._tracks[kind].clock_rate for kind, end in self._ends.items()]
        return max(ends, default=0)

    def _mux(self, frame: _Frame) -> None:
        if self._output is None:
            self._output = self._open(frame)
        track = self._tracks[frame.kind]
        packet = av.Packet(frame.data)
        packet.stream = self._streams[frame.kind]
        packet.time_base = Fraction(1, track.clock_rate)
        packet.pts = packet.dts = frame.pts
        packet.duration = frame.duration
        packet.is_keyframe = frame.keyframe
        self._output.mux(packet)
        if self._lock is None:  # the file exists from the first packet (its header) on
            self._lock = _lock(self._path)
        self.written += 1
        # Video frames carry no duration: count the last one as long as the one before.
        step = frame.duration or frame.pts - self._last_pts.get(frame.kind, frame.pts)
        self._last_pts[frame.kind] = frame.pts
        self._ends[frame.kind] = frame.pts + step

    def _open(self, first: _Frame) -> OutputContainer:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        options = CONTAINER_OPTIONS[self._container]
        output = av.open(str(self._path), "w", format=self._container, options=options)
        try:
            for kind, track in self._tracks.items():
                keyframe = first.data if kind == first.kind else None
                self._streams[kind] = _add_stream(output, track, keyframe)
        except BaseException:
            output.close()
            raise
        logger.info("recording to %s", self._path)
        return output


def being_written(path: Path) -> bool:
    """Whether a live recorder (of any process on this machine) is writing `path`."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def repair(path: Path) -> int:
    """Cut a fragmented MP4 that a crash left behind back to its last whole fragment, so that
    it ends where a player expects a box; its size after. WebM (a player reads a torn last
    cluster up to the tear) and files not ours are left as they are."""
    size = os.path.getsize(path)
    if path.suffix != ".mp4":
        return size
    with open(path, "r+b") as file:
        whole = _whole_mp4_length(file, size)
        if whole < size:
            logger.warning("recording %s: cut the torn end after byte %d of %d", path, whole, size)
            file.truncate(whole)
    return whole


def _whole_mp4_length(file: io.BufferedRandom, size: int) -> int:
    """Bytes of the file's top-level boxes that are whole, a `moof` only with its `mdat`."""
    offset = whole = 0
    kind = b""
    while offset + 8 <= size:
        file.seek(offset)
        length, kind = struct.unpack(">I4s", file.read(8))
        if length == 1:  # a 64-bit size follows the type
            if offset + 16 > size:
                break
            (length,) = struct.unpack(">Q", file.read(8))
        if length < 8 or offset + length > size:
            break
        offset += length
        if kind != b"moof":  # a fragment's header is whole only with its media data
            whole = offset
    return whole


def _lock(path: Path) -> int:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def _supported(tracks: Mapping[str, str]) -> dict[str, Track]:
    found = {}
    for kind, mime_type in tracks.items():
        codec = CODECS.get(mime_type.lower())
        if codec is None or not mime_type.lower().startswith(f"{kind}/"):
            logger.warning("recordings cannot carry %s %s: that track is left out", kind, mime_type)
            continue
        found[kind] = Track(kind, *codec)
    return found


def _add_stream(output: OutputContainer, track: Track, keyframe: bytes | None) -> Stream:
    if track.kind == "audio":
        stream = _mux_only_stream(output, track.codec, rate=track.clock_rate)
        _codec_context(stream).extradata = opus_head()
    elif keyframe is None:
        raise ValueError("a video track must begin at its first keyframe")
    else:
        width, height = _picture_size(track.codec, keyframe)
        stream = _mux_only_stream(output, track.codec, width=width, height=height)
        if track.codec == "h264":
            _codec_context(stream).extradata = h264_parameter_sets(keyframe)
    stream.time_base = Fraction(1, track.clock_rate)
    return stream


def _mux_only_stream(output: OutputContainer, codec: str, **params: Any) -> Stream:
    """A stream PyAV muxes into without ever opening an encoder for it.

    `add_stream()` would open one at the first packet (x264 would put its own SPS/PPS in the
    header), and `add_mux_stream()` has no codec context to carry the header data MP4 needs
    (avcC, the OpusHead). A stream made from a template counts as configured already: PyAV
    leaves its codec context closed and copies it, extradata included, into the file.
    """
    scratch = av.open(io.BytesIO(), "w", format=output.format.name)
    try:
        template = scratch.add_stream(codec, **params)
        return output.add_stream_from_template(template, opaque=True)
    finally:
        scratch.close()


def _codec_context(stream: Stream) -> av.CodecContext:
    context = stream.codec_context
    if context is None:
        raise RuntimeError(f"PyAV made the {stream.type} stream without a codec context")
    return context


def _picture_size(codec: str, keyframe: bytes) -> tuple[int, int]:
    """Width and height from a keyframe's headers, read by libavcodec's parser (no decoding)."""
    parser = av.CodecContext.create(codec, "r")
    if not isinstance(parser, VideoCodecContext):
        raise ValueError(f"{codec} is not a video codec")
    parser.parse(keyframe)
    parser.parse(None)  # the H.264 parser holds a frame back until the stream ends
    return parser.width, parser.height
