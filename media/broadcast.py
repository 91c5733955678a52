"""One show's fan-out: the host's encoded frames, wrapped once, queued to every viewer's track."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from fractions import Fraction

import av
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.forwarded_track import ForwardedTrack, Pushed
from media.keyframes import KeyframeRequests, is_keyframe

logger = logging.getLogger(__name__)


class Broadcast:
    def __init__(
        self,
        keyframe_interval_s: float,
        ask_host_for_keyframe: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tracks: dict[str, dict[str, ForwardedTrack]] = {"audio": {}, "video": {}}
        self.keyframes = KeyframeRequests(ask_host_for_keyframe, keyframe_interval_s, clock)
        self._timeline = _Timeline(clock)
        self.frames_in = 0
        self.bytes_in = 0

    def add_viewer(self, session_id: str, tracks: list[ForwardedTrack]) -> None:
        for track in tracks:
            self._tracks[track.kind][session_id] = track
        if any(t.needs_keyframe for t in tracks):
            self.keyframes.request()

    def remove_viewer(self, session_id: str) -> list[ForwardedTrack]:
        return [t for tracks in self._tracks.values() if (t := tracks.pop(session_id, None))]

    @property
    def viewer_count(self) -> int:
        return len(set(self._tracks["audio"]) | set(self._tracks["video"]))

    def new_host(self) -> None:
        """A host (re)starts feeding the show: viewers still connected from an earlier host
        resume at the new host's first keyframe, on a timeline that keeps moving forward."""
        self._timeline.restart()
        for track in self._tracks["video"].values():
            track.wait_for_keyframe()
        if self._tracks["video"]:
            self.keyframes.request()

    def forward(self, kind: str, codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        """Called by the host's receiver on the event loop for every assembled encoded frame."""
        self.frames_in += 1
        self.bytes_in += len(frame.data)
        pts = self._timeline.pts(kind, codec.clockRate, frame.timestamp)
        keyframe = kind == "video" and is_keyframe(codec.mimeType, frame.data)
        if keyframe:
            self.keyframes.satisfied()
        viewers = self._tracks.get(kind)
        if not viewers:
            return
        # One packet object for every viewer: aiortc's pack() only reads it.
        packet = av.Packet(frame.data)
        packet.pts = pts
        packet.time_base = Fraction(1, codec.clockRate)
        wants_keyframe = False
        for track in viewers.values():
            outcome = track.push(packet, keyframe)
            wants_keyframe |= outcome is not Pushed.QUEUED
        if wants_keyframe:  # a viewer joined, lagged or lost a PLI: ask again (coalesced)
            self.keyframes.request()

    def close(self) -> list[ForwardedTrack]:
        self.keyframes.cancel()
        tracks = [t for kind in self._tracks.values() for t in kind.values()]
        for kind in self._tracks.values():
            kind.clear()
        return tracks


class _Timeline:
    """Per-kind presentation timestamps that survive a change of host.

    aiortc's receiver numbers each host's frames from 0. A viewer's sender keeps one RTP
    timestamp origin for its whole life, so a returning host would jump its clock backwards;
    instead each new host continues where the last one stopped, plus the time that passed.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._offset: dict[str, int] = {}
        self._last: dict[str, tuple[int, float]] = {}  # kind -> (last pts, when)
        self._restarted: set[str] = set()

    def restart(self) -> None:
        self._restarted = {"audio", "video"}

    def pts(self, kind: str, clock_rate: int, timestamp: int) -> int:
        now = self._clock()
        if kind in self._restarted:
            self._restarted.discard(kind)
            if kind in self._last:
                last_pts, then = self._last[kind]
                self._offset[kind] = last_pts + int((now - then) * clock_rate) + 1 - timestamp
        pts = self._offset.get(kind, 0) + timestamp
        self._last[kind] = (pts, now)
        return pts
