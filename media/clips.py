"""Reading recordings back: how long a file really is (`probe`), and clips cut from it without
re-encoding (`cut_clip`). Both only demux; nothing is decoded.

Both read files the recorder is still writing (a fragmented MP4 grows a fragment at a time)
and files a crash cut short: they stop at the last packet that can be read.

Both are synchronous and may take a while on a long show: call them in a thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer
from av.packet import Packet
from av.stream import Stream

from media.exceptions import ClipOutsideRecording, InvalidClipRange, RecordingUnreadable

logger = logging.getLogger(__name__)

# A clip goes into MP4 when MP4 carries all its codecs, else into WebM (VP8 recordings).
MP4_CODECS = frozenset({"h264", "aac", "opus"})
# MP4 clips carry their index in front, so a player starts before the whole file arrives.
MP4_CLIP_OPTIONS = {"movflags": "+faststart"}
TAIL_US = 10_000_000  # `duration_ms` reads from this far (µs) before the claimed end


@dataclass(frozen=True)
class Probe:
    """What a recording's file holds, read from its packets (not from its header, which a
    file still being written, or cut short by a crash, does not have)."""

    container: str  # "mp4" or "webm"
    duration_ms: int  # the end of the last readable packet of any track
    keyframes_ms: tuple[int, ...]  # where the video can start (every packet, for audio alone)
    complete: bool  # every packet could be read (False: the file ends inside a packet/fragment)


@dataclass(frozen=True)
class ClipCut:
    """A clip written by `cut_clip`. Offsets are those of the source recording: the clip
    starts at the keyframe at or before the asked start and holds what came before the asked
    end; in the clip's file they count from 0."""

    path: Path
    container: str  # "mp4" or "webm"
    start_ms: int  # the source keyframe the clip starts at (<= the asked start)
    end_ms: int  # the end of the last packet kept (<= the asked end)
    bytes: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def probe(path: Path) -> Probe:
    """Scan `path`'s packets: its real duration and its keyframes. Raises RecordingUnreadable
    when the file is missing or holds nothing that can be read."""
    scan = _scan(path)
    keyframes = tuple(_ms(k) for k in scan.keyframes)
    return Probe(scan.container, _ms(scan.end), keyframes, scan.complete)


def duration_ms(path: Path) -> int:
    """How much of `path` plays: the end of its last readable packet, as `probe` says, but
    read from its tail when the container knows roughly where that is (an MP4, fragmented or
    not: libavformat indexes the fragments when it opens the file), so that asking about a
    live show's growing file does not read the whole show again. Raises RecordingUnreadable."""
    with _open(path) as source:
        _anchor(source)
        end = _readable_end(source, path)
    return probe(path).duration_ms if end is None else _ms(end)


def _readable_end(source: InputContainer, path: Path) -> Fraction | None:
    """The end (s) of the last readable packet, read from the tail; None: not indexed."""
    if source.duration is None or source.duration <= 0:
        return None
    try:
        source.seek(max(0, source.duration - TAIL_US), backward=True)
    except av.FFmpegError:
        logger.info("%s cannot be sought: read from its start", path)
        return None
    ends = [_span(p)[1] for p in _packets(source, path) if p is not None]
    return max(ends) if ends else None


@dataclass(frozen=True)
class _Scan:
    container: str
    end: Fraction  # seconds
    keyframes: list[Fraction]  # seconds, exact: a clip's timestamps are rebased on one
    complete: bool


def _scan(path: Path) -> _Scan:
    with _open(path) as source:
        anchor = _anchor(source)
        keyframes: list[Fraction] = []
        end = Fraction(0)
        complete = True
        for packet in _packets(source, path):
            if packet is None:
                complete = False
                break
            start, stop = _span(packet)
            end = max(end, stop)
            if packet.stream is anchor and (packet.is_keyframe or anchor.type == "audio"):
                keyframes.append(start)
        if not keyframes:
            raise RecordingUnreadable("the recording holds no frame a player could start at")
        return _Scan(_container_of(source), end, keyframes, complete)


def cut_clip(source: Path, start_ms: int, end_ms: int, target: Path) -> ClipCut:
    """Copy the packets of `source` from the keyframe at or before `start_ms` up to `end_ms`
    (offsets in the recording, in ms) into a new file at `target`, timestamps from 0.

    H.264 recordings give an MP4 clip (index in front), VP8 ones a WebM clip (`ClipCut.container`
    says which; `target` is used as given). The file appears at `target` only when it is whole.
    Raises InvalidClipRange (negative or inverted offsets), ClipOutsideRecording (past the
    recording's end) and RecordingUnreadable (no such file, or not a recording).
    """
    if start_ms < 0 or end_ms <= start_ms:
        raise InvalidClipRange(f"a clip from {start_ms} ms to {end_ms} ms is not a range")
    partial = target.with_name(f".{target.name}.part")
    try:
        with _open(source) as reader:  # opened once: opening indexes every fragment
            container, begin, kept_end = _cut(reader, source, start_ms, end_ms, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    size = target.stat().st_size
    cut = ClipCut(target, container, _ms(begin), _ms(kept_end), size)
    logger.info(
        "clip %s: %s from %d to %d ms, %d bytes", target, source, cut.start_ms, cut.end_ms, size
    )
    return cut


def _cut(
    reader: InputContainer, source: Path, start_ms: int, end_ms: int, target: Path
) -> tuple[str, Fraction, Fraction]:
    """Check the range against the file, find the clip's keyframe, write the clip: its
    container, where it begins and ends (s)."""
    anchor = _anchor(reader)
    end = _readable_end(reader, source)
    scan = _scan(source) if end is None else None  # not indexed: every packet is read
    total_ms = _ms(scan.end if scan is not None else end or Fraction(0))
    if end_ms > total_ms:
        raise ClipOutsideRecording(f"the clip ends at {end_ms} ms; the recording is {total_ms} ms")
    start = Fraction(start_ms, 1000)
    begin = None if scan is not None else _keyframe_at_or_before(reader, source, anchor, start)
    if begin is None:  # not indexed, or the seek went past the start
        keyframes = (scan or _scan(source)).keyframes
        begin = max((k for k in keyframes if k <= start), default=keyframes[0])
    container = _container_of(reader)
    return (
        container,
        begin,
        _remux(reader, source, target, container, begin, Fraction(end_ms, 1000)),
    )


def _keyframe_at_or_before(
    reader: InputContainer, source: Path, anchor: Stream, start: Fraction
) -> Fraction | None:
    """The anchor track's last keyframe at or before `start` (s), found from a seek."""
    begin = None
    if _seek(reader, anchor, start):
        for packet in _packets(reader, source):
            if packet is None:
                break
            if packet.stream is not anchor:
                continue
            at = _span(packet)[0]
            if at > start:
                break
            if packet.is_keyframe or anchor.type == "audio":
                begin = at
    return begin


def _seek(reader: InputContainer, anchor: Stream, at: Fraction) -> bool:
    """Move to the anchor track's keyframe at or before `at` (s); False: the file is read
    from its start."""
    base = anchor.time_base
    if reader.duration is None or base is None:
        return False  # no index (a WebM cut short): a seek would read the file to find one
    try:
        reader.seek(int(at / base), backward=True, any_frame=False, stream=anchor)
    except av.FFmpegError:
        return False
    return True


def _remux(
    reader: InputContainer,
    source: Path,
    target: Path,
    container: str,
    begin: Fraction,
    end: Fraction,
) -> Fraction:
    """Write the packets of [begin, end) (seconds) to `target`; the end of the last one kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    anchor = _anchor(reader)
    if not _seek(reader, anchor, begin) and reader.duration is not None:
        reader.seek(0)  # it had moved (an unindexed file is read from its start as it is)
    options = MP4_CLIP_OPTIONS if container == "mp4" else {}
    with av.open(str(target), "w", format=container, options=options) as writer:
        streams = {
            s.index: writer.add_stream_from_template(s, opaque=True)
            for s in reader.streams
            if s.type in ("video", "audio")
        }
        kept_end = begin
        for packet in _packets(reader, source):
            if packet is None:
                break
            start, stop = _span(packet)
            if packet.stream.index not in streams or start < begin:
                continue
            if start >= end:
                if packet.stream is anchor:
                    break  # the anchor track has passed the end: the clip is whole
                continue
            _rebase(packet, begin)
            packet.stream = streams[packet.stream.index]
            writer.mux(packet)
            kept_end = max(kept_end, min(stop, end))
    return kept_end


def _open(path: Path) -> InputContainer:
    try:
        return av.open(str(path), "r")
    except (OSError, av.FFmpegError) as exc:
        raise RecordingUnreadable(f"the recording {path.name} cannot be read: {exc}") from exc


def _packets(source: InputContainer, path: Path) -> Iterator[Packet | None]:
    """The file's audio and video packets in file order, then None if it ends early (a file
    being written, or cut short by a crash: what came before still counts)."""
    wanted = [s for s in source.streams if s.type in ("video", "audio")]
    try:
        for packet in source.demux(wanted):
            if packet.is_corrupt:  # the file ends inside it (libavformat read what there was)
                logger.info("%s ends inside a packet: read up to there", path)
                yield None
                return
            if packet.size and packet.pts is not None:
                yield packet
    except av.FFmpegError as exc:
        logger.info("%s ends early (%s): read up to there", path, exc)
        yield None


def _anchor(source: InputContainer) -> Stream:
    """The track clips start on: the video (at its keyframes), or audio when there is none."""
    for kind in ("video", "audio"):
        for stream in source.streams:
            if stream.type == kind:
                return stream
    raise RecordingUnreadable("the file holds no audio or video")


def _container_of(source: InputContainer) -> str:
    codecs = {s.codec_context.name for s in source.streams if s.type in ("video", "audio")}
    return "mp4" if codecs <= MP4_CODECS else "webm"


def _span(packet: Packet) -> tuple[Fraction, Fraction]:
    """When the packet starts and ends, in seconds."""
    base = packet.time_base
    pts = packet.pts or 0
    return pts * base, (pts + (packet.duration or 0)) * base


def _ms(seconds: Fraction) -> int:
    return int(seconds * 1000)


def _rebase(packet: Packet, begin: Fraction) -> None:
    """Timestamps of the clip count from its first keyframe."""
    shift = round(begin / packet.time_base)
    if packet.pts is not None:
        packet.pts -= shift
    if packet.dts is not None:
        packet.dts -= shift
