"""Low-Latency HLS of one live H.264 show, packaged from the host's RTP packets (no transcode).

The packager takes the packets in the order the show's ingest node forwards them (the order
the media bus carries them to other nodes), assembles H.264 access units and Opus packets,
and writes CMAF fragments by hand (media/hls_fmp4.py): an init segment per SPS/PPS, segments
that begin at a keyframe, and parts of at most PART_TARGET_S (RFC 8216bis LL-HLS), kept in a
bounded window in memory.

One packager leads: the one on the node that ingests the show. It decides where segments
begin (a keyframe once the segment is SEGMENT_MIN_S long, asking the host for one when it is
late), numbers them, and maps audio onto the video's time (by arrival, once per host). Each
decision is a `SegmentStart`, handed to `announce` before the keyframe's first packet goes on
the bus; followers on other nodes take it from the bus and cut at the same packet. Everything
else (parts, sample times, bytes) follows from the packets alone, so every node that saw the
same packets serves the same bytes under the same names. A follower's window begins at the
first segment it saw whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from media.bitstream import opus_samples
from media.exceptions import MediaCode, MediaError
from media.hls_fmp4 import (
    AUDIO_TIMESCALE,
    VIDEO_TIMESCALE,
    Sample,
    annexb_to_avcc,
    fragment,
    h264_codec_string,
    init_segment,
    parameter_sets,
)
from media.hls_h264 import AccessUnit, carries_sps
from media.keyframes import starts_keyframe

PART_TARGET_S = 0.5  # EXT-X-PART-INF:PART-TARGET; no part is longer
PART_CLOSE_S = 0.3  # a part closes at the first frame this far past its start
SEGMENT_MIN_S = 1.0  # a keyframe begins a new segment once the current one is this long
SEGMENT_ASK_S = 1.8  # then the leader asks the host for a keyframe (again every ASK_AGAIN_S)
ASK_AGAIN_S = 1.0
TARGET_DURATION_S = 4  # EXT-X-TARGETDURATION, unless a host's keyframes come further apart
WINDOW_SEGMENTS = 8  # whole segments kept (and listed) behind the one being written
PARTS_LISTED = 3  # the last this many segments list their parts
MAX_STEP_S = 5.0  # a larger jump between frames is a new timeline, not a long frame
DEFAULT_FRAME = VIDEO_TIMESCALE // 30
BLOCK_S = 3 * TARGET_DURATION_S  # longest a blocking playlist request waits (RFC 8216bis 6.2.5.2)
PART_WAIT_S = 3 * PART_TARGET_S + 1.5  # longest a request for a part not yet written waits
H264 = "video/h264"


class HlsNeedsH264(MediaError):
    code = MediaCode.HLS_NEEDS_H264
    default_message = (
        "HLS needs H.264: this show's host sends VP8 (publish H.264, as the studio prefers)"
    )


class HlsNotFound(MediaError):
    code = MediaCode.HLS_NOT_FOUND
    default_message = "no such HLS segment or part (outside the window, or not written)"


class HlsBadRequest(MediaError):
    code = MediaCode.HLS_BAD_REQUEST
    default_message = "_HLS_msn and _HLS_part must be whole numbers, _HLS_part with _HLS_msn"


class HlsNotReady(MediaError):
    code = MediaCode.HLS_NOT_READY
    default_message = "the playlist did not reach the requested segment or part in time"


@dataclass(frozen=True)
class SegmentStart:
    """The leader's decision that segment `msn` begins at the video frame `video_ts`."""

    run: str  # names this packager's output: a new leader never reuses a cached name
    msn: int
    video_ts: int  # the host's RTP timestamp of the keyframe
    video_dt: int  # its decode time (90 kHz)
    audio_ts: int | None  # an audio RTP timestamp and its decode time (48 kHz): the sync
    audio_dt: int | None
    pdt_ms: int  # the leader's wall clock at the keyframe (EXT-X-PROGRAM-DATE-TIME)

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> SegmentStart | None:
        try:
            data = json.loads(raw)
            start = cls(**data)
        except (ValueError, TypeError):
            return None
        ints = (start.msn, start.video_ts, start.video_dt, start.pdt_ms)
        if not isinstance(start.run, str) or not all(isinstance(v, int) for v in ints):
            return None
        return start


@dataclass
class Part:
    data: bytes
    duration_s: float
    independent: bool


@dataclass
class _Segment:
    start: SegmentStart
    init: str | None = None  # its init segment's name (None: its first frame was lost)
    parts: list[Part] = field(default_factory=list)
    end_dt: int = 0  # the end of its last video sample
    complete: bool = False
    data: bytes | None = None

    @property
    def duration_s(self) -> float:
        return sum(p.duration_s for p in self.parts)


@dataclass
class _Frame:
    unit: AccessUnit
    dt: int


def _signed(delta: int) -> int:
    """A difference of two 32-bit RTP timestamps, taken the short way round."""
    delta %= 1 << 32
    return delta - (1 << 32) if delta >= 1 << 31 else delta


class Packager:
    """One show's LL-HLS on this node. Called on the event loop: `packet()` for each host
    packet in bus order, `segment_start()` for each leader decision (followers), and
    `new_host()` when another host session begins."""

    def __init__(
        self,
        has_audio: bool,
        *,
        announce: Callable[[SegmentStart], None] | None = None,
        want_keyframe: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.leader = announce is not None
        self.run = secrets.token_hex(4) if self.leader else ""
        self._has_audio = has_audio
        self._announce = announce
        self._want_keyframe = want_keyframe
        self._clock = clock
        self._wall_clock = wall_clock
        self._segments: deque[_Segment] = deque()
        self._inits: dict[str, bytes] = {}
        self._codecs: dict[str, str] = {}  # init name -> CODECS attribute
        self._anchor: SegmentStart | None = None
        self._pending: dict[int, SegmentStart] = {}  # followers: by video_ts
        self._frame: _Frame | None = None
        self._video: list[Sample] = []
        self._audio: list[Sample] = []
        self._part_start = 0
        self._need_keyframe = True  # after a loss: frames wait for the next keyframe
        self._reset = True  # the leader re-anchors at its next segment (a new host)
        self._last_audio: tuple[int, float] | None = None
        self._asked_at: float | None = None
        self._longest_s = 0.0
        self._changed: asyncio.Event | None = None
        self.closed = False

    # -- input --------------------------------------------------------------------------------

    def packet(self, kind: str, seq: int, timestamp: int, marker: bool, payload: bytes) -> None:
        if self.closed:
            return
        if kind == "audio":
            self._audio_packet(timestamp, payload)
            return
        frame = self._frame
        if frame is not None and frame.unit.timestamp == timestamp:
            frame.unit.add(seq, payload)
            return
        self._frame_starts(seq, timestamp, payload)
        if self._frame is not None:
            self._frame.unit.add(seq, payload)

    def segment_start(self, start: SegmentStart) -> None:
        """A follower hears where the leader cut (before the keyframe's first packet)."""
        if self.leader or self.closed:
            return
        if self.run != start.run:  # a new leader: what we hold is another show's numbering
            self._drop_everything()
            self.run = start.run
        self._pending[start.video_ts] = start
        while len(self._pending) > 4:
            del self._pending[next(iter(self._pending))]

    def new_host(self) -> None:
        """Another host session: what was gathered is cut off, the next keyframe re-anchors."""
        self._close_part()
        self._close_segment()
        self._frame = None
        self._need_keyframe = True
        self._reset = True
        self._last_audio = None
        self._pending.clear()

    def close(self) -> None:
        self.closed = True
        self._notify()

    # -- output -------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return bool(self._listed())

    def init(self, name: str) -> bytes:
        found = self._inits.get(name)
        if found is None:
            raise HlsNotFound()
        return found

    def segment(self, msn: int) -> bytes:
        found = self._find(msn)
        if found is None or not found.complete:
            raise HlsNotFound()
        if found.data is None:
            found.data = b"".join(p.data for p in found.parts)
        return found.data

    async def part(self, msn: int, index: int) -> bytes:
        """A part, waiting (bounded) for one the playlist hints at or will soon."""
        deadline = self._clock() + PART_WAIT_S
        while True:
            found = self._find(msn)
            if found is not None and index < len(found.parts):
                return found.parts[index].data
            if not self._soon(msn, index) or not await self._wait(deadline):
                raise HlsNotFound()

    async def playlist(self, msn: int | None = None, part: int | None = None) -> str:
        """The media playlist; with `msn` (and `part`), once it holds them (blocking reload)."""
        if msn is not None:
            current = self._segments[-1].start.msn if self._segments else None
            if current is not None and msn > current + 2:
                raise HlsBadRequest("_HLS_msn is more than two segments past the last one")
            deadline = self._clock() + BLOCK_S
            while not self._holds(msn, part):
                if not await self._wait(deadline):
                    raise HlsNotReady()
        if not self.ready:
            raise HlsNotReady("the show's HLS has no part yet")
        return self._playlist_text()

    def codecs(self) -> str | None:
        last = self._listed()[-1].init if self.ready else None
        return self._codecs.get(last) if last else None

    # -- video --------------------------------------------------------------------------------

    def _frame_starts(self, seq: int, timestamp: int, payload: bytes) -> None:
        """The first packet of a new frame: the last one is whole, so it can be placed."""
        previous = self._frame
        dt = self._video_dt(timestamp)
        if previous is not None and dt is not None:
            step = dt - previous.dt
            self._frame_done(previous, step if 0 < step <= MAX_STEP_S * VIDEO_TIMESCALE else None)
        keyframe = starts_keyframe(H264, payload)
        start = self._cut_here(timestamp, keyframe and carries_sps(payload))
        if start is not None:
            self._close_part()
            self._close_segment()
            self._anchor = start
            self._segments.append(_Segment(start))
            self._part_start = start.video_dt
            self._need_keyframe = False
            dt = start.video_dt
            while len(self._segments) > WINDOW_SEGMENTS + 1:
                self._segments.popleft()
        elif dt is None:
            self._frame = None
            return
        self._frame = _Frame(AccessUnit(timestamp, seq, keyframe), dt)
        if self.leader:
            self._maybe_ask(dt)

    def _frame_done(self, frame: _Frame, step: int | None) -> None:
        """A whole frame, placed now that the next one's start gives its duration; the part
        closes here (between frames) once it is PART_CLOSE_S long."""
        data = frame.unit.annex_b()
        segment = self._segments[-1] if self._segments else None
        if segment is None or segment.complete:
            return
        if data is None:
            self._need_keyframe = True  # later frames refer to what was lost
            return
        if self._need_keyframe and not frame.unit.keyframe:
            return
        if not segment.parts and not self._video and segment.init is None:
            segment.init = self._init_for(data) or self._previous_init()
        self._need_keyframe = False
        duration = step or DEFAULT_FRAME
        self._flush_frame(frame, data, duration)
        end = frame.dt + duration
        if end - self._part_start >= PART_CLOSE_S * VIDEO_TIMESCALE:
            self._close_part(end)

    def _previous_init(self) -> str | None:
        earlier = [s.init for s in self._segments if s.init is not None]
        return earlier[-1] if earlier else None

    def _flush_frame(self, frame: _Frame, data: bytes, duration: int) -> None:
        if not self._segments or self._segments[-1].complete:
            return
        sample = Sample(annexb_to_avcc(data), frame.dt, duration, frame.unit.keyframe)
        self._video.append(sample)
        self._segments[-1].end_dt = frame.dt + duration

    def _video_dt(self, timestamp: int) -> int | None:
        anchor = self._anchor
        if anchor is None:
            return None
        dt = anchor.video_dt + _signed(timestamp - anchor.video_ts)
        return dt if dt >= anchor.video_dt - MAX_STEP_S * VIDEO_TIMESCALE else None

    def _cut_here(self, timestamp: int, can_begin: bool) -> SegmentStart | None:
        if not self.leader:
            start = self._pending.pop(timestamp, None)
            return start if start is not None and start.run == self.run else None
        if not can_begin:
            return None
        current = self._segments[-1] if self._segments else None
        dt = self._video_dt(timestamp)
        if not self._reset and current is not None and dt is not None:
            if dt - current.start.video_dt < SEGMENT_MIN_S * VIDEO_TIMESCALE:
                return None
        start = self._decide(timestamp, None if self._reset else dt, current)
        assert self._announce is not None
        self._announce(start)
        return start

    def _decide(self, timestamp: int, dt: int | None, current: _Segment | None) -> SegmentStart:
        """The leader's next segment: numbers go on, times too (re-anchored after a host)."""
        msn = current.start.msn + 1 if current is not None else 0
        if dt is None:  # a new timeline: on after the last one, with a little room
            dt = (current.end_dt + DEFAULT_FRAME) if current is not None else 0
            audio_ts, audio_dt = self._audio_sync(dt)
            pdt_ms = round(self._wall_clock() * 1000)
        else:
            anchor = self._anchor
            assert anchor is not None
            audio_ts, audio_dt = anchor.audio_ts, anchor.audio_dt
            if audio_ts is None:
                audio_ts, audio_dt = self._audio_sync(dt)
            pdt_ms = anchor.pdt_ms + (dt - anchor.video_dt) * 1000 // VIDEO_TIMESCALE
        self._reset = False
        self._asked_at = None
        return SegmentStart(self.run, msn, timestamp, dt, audio_ts, audio_dt, pdt_ms)

    def _audio_sync(self, video_dt: int) -> tuple[int | None, int | None]:
        """The audio timestamp heard at this moment (the last packet's, plus the time since)."""
        if self._last_audio is None:
            return None, None
        timestamp, arrived = self._last_audio
        now_ts = (timestamp + round((self._clock() - arrived) * AUDIO_TIMESCALE)) % (1 << 32)
        return now_ts, video_dt * AUDIO_TIMESCALE // VIDEO_TIMESCALE

    def _maybe_ask(self, dt: int) -> None:
        current = self._segments[-1] if self._segments else None
        long_enough = current is None or (
            dt - current.start.video_dt >= SEGMENT_ASK_S * VIDEO_TIMESCALE
        )
        now = self._clock()
        if long_enough and (self._asked_at is None or now - self._asked_at >= ASK_AGAIN_S):
            self._asked_at = now
            self._want_keyframe()

    def _init_for(self, keyframe: bytes) -> str | None:
        sets = parameter_sets(keyframe)
        if sets is None:
            return None
        sps, pps = sets
        width, height = _picture_size(keyframe)
        data = init_segment(sps, pps, width, height, self._has_audio)
        name = "init-" + hashlib.sha256(data).hexdigest()[:12]
        if name not in self._inits:
            self._inits[name] = data
            self._codecs[name] = h264_codec_string(sps) + (",opus" if self._has_audio else "")
            while len(self._inits) > 4:
                oldest = next(iter(self._inits))
                del self._inits[oldest]
        return name

    # -- audio --------------------------------------------------------------------------------

    def _audio_packet(self, timestamp: int, payload: bytes) -> None:
        if self.leader:
            self._last_audio = (timestamp, self._clock())
        anchor = self._anchor
        samples = opus_samples(payload)
        if not self._has_audio or anchor is None or anchor.audio_ts is None or samples is None:
            return
        if anchor.audio_dt is None or not self._segments or self._segments[-1].complete:
            return
        if self._need_keyframe and not self._video:
            return  # the segment's video has not begun: nothing to lip-sync with yet
        dt = anchor.audio_dt + _signed(timestamp - anchor.audio_ts)
        if self._audio and dt <= self._audio[-1].decode_time:
            return  # a repeat, or out of order
        self._audio.append(Sample(payload, dt, samples))

    # -- parts and segments -------------------------------------------------------------------

    def _close_part(self, end_dt: int | None = None) -> None:
        if not self._segments or not self._video:
            self._audio.clear()
            return
        segment = self._segments[-1]
        video, audio = self._video, _timed(self._audio)
        self._video, self._audio = [], []
        end = end_dt if end_dt is not None else video[-1].decode_time + video[-1].duration
        sequence = segment.start.msn * 1000 + len(segment.parts) + 1
        duration_s = (end - self._part_start) / VIDEO_TIMESCALE
        independent = video[0].keyframe
        segment.parts.append(Part(fragment(sequence, video, audio), duration_s, independent))
        self._part_start = end
        self._notify()

    def _close_segment(self) -> None:
        if self._segments and not self._segments[-1].complete:
            segment = self._segments[-1]
            segment.complete = True
            if not segment.parts or segment.init is None:
                self._segments.pop()  # nothing playable: never listed
            else:
                self._longest_s = max(self._longest_s, segment.duration_s)
            self._notify()

    def _drop_everything(self) -> None:
        self._segments.clear()
        self._video, self._audio, self._frame, self._anchor = [], [], None, None
        self._pending.clear()
        self._need_keyframe = True

    # -- waiting and listing ------------------------------------------------------------------

    def _find(self, msn: int) -> _Segment | None:
        for segment in self._segments:
            if segment.start.msn == msn:
                return segment if segment.init is not None else None
        return None

    def _holds(self, msn: int, part: int | None) -> bool:
        if self.closed:
            return True
        last = self._segments[-1] if self._segments else None
        if last is None or last.start.msn < msn:
            return False
        found = self._find(msn)
        if found is None or found.complete or last.start.msn > msn:
            return True
        return part is not None and part < len(found.parts)

    def _soon(self, msn: int, index: int) -> bool:
        """Whether a part not written yet is one the playlist hints at, or close behind."""
        if not self._segments or self.closed:
            return False
        last = self._segments[-1]
        if msn == last.start.msn and not last.complete:
            return index <= len(last.parts) + 1
        return msn == last.start.msn + 1 and index <= 1

    async def _wait(self, deadline: float) -> bool:
        """Wait for the next part, or until `deadline` (False then)."""
        left = deadline - self._clock()
        if left <= 0 or self.closed:
            return False
        if self._changed is None:
            self._changed = asyncio.Event()
        try:
            await asyncio.wait_for(self._changed.wait(), left)
        except TimeoutError:
            return False
        return True

    def _notify(self) -> None:
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    def _listed(self) -> list[_Segment]:
        return [s for s in self._segments if s.parts and s.init is not None]

    def _playlist_text(self) -> str:
        listed = self._listed()
        target = max(TARGET_DURATION_S, math.ceil(self._longest_s))
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:9",
            f"#EXT-X-TARGETDURATION:{target}",
            f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={3 * PART_TARGET_S:.3f}",
            f"#EXT-X-PART-INF:PART-TARGET={PART_TARGET_S:.3f}",
            f"#EXT-X-MEDIA-SEQUENCE:{listed[0].start.msn}",
        ]
        init = None
        for number, segment in enumerate(listed):
            if segment.init != init:
                if init is not None:
                    lines.append("#EXT-X-DISCONTINUITY")
                init = segment.init
                lines.append(f'#EXT-X-MAP:URI="{self.run}/{init}.mp4"')
            pdt = datetime.fromtimestamp(segment.start.pdt_ms / 1000, UTC)
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{pdt.isoformat(timespec='milliseconds')}")
            msn = segment.start.msn
            if number >= len(listed) - PARTS_LISTED:
                for index, part in enumerate(segment.parts):
                    independent = ",INDEPENDENT=YES" if part.independent else ""
                    lines.append(
                        f"#EXT-X-PART:DURATION={part.duration_s:.5f},"
                        f'URI="{self.run}/{msn}.{index}.m4s"{independent}'
                    )
            if segment.complete:
                lines += [f"#EXTINF:{segment.duration_s:.5f},", f"{self.run}/{msn}.m4s"]
        last = listed[-1]
        if self.closed:
            lines.append("#EXT-X-ENDLIST")
        elif last.complete:
            lines.append(
                f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{self.run}/{last.start.msn + 1}.0.m4s"'
            )
        else:
            hint = f"{self.run}/{last.start.msn}.{len(last.parts)}.m4s"
            lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{hint}"')
        return "\n".join(lines) + "\n"


def _timed(samples: list[Sample]) -> list[Sample]:
    """Audio samples each lasting until the next begins (the last: its own length)."""
    out = []
    for i, sample in enumerate(samples):
        if i + 1 < len(samples):
            step = samples[i + 1].decode_time - sample.decode_time
            if 0 < step <= MAX_STEP_S * AUDIO_TIMESCALE:
                sample = Sample(sample.data, sample.decode_time, step)
        out.append(sample)
    return out


def _picture_size(keyframe: bytes) -> tuple[int, int]:
    from media.recording import _picture_size as size  # libavcodec's parser, no decoding

    return size("h264", keyframe)
