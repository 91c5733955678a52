"""One show's fan-out: the host's encoded frames, wrapped once, queued to every viewer's track."""

from __future__ import annotations

import logging
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
        self, keyframe_interval_s: float, ask_host_for_keyframe: Callable[[], None]
    ) -> None:
        self._tracks: dict[str, dict[str, ForwardedTrack]] = {"audio": {}, "video": {}}
        self.keyframes = KeyframeRequests(ask_host_for_keyframe, keyframe_interval_s)
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

    def forward(self, kind: str, codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        """Called by the host's receiver on the event loop for every assembled encoded frame."""
        self.frames_in += 1
        self.bytes_in += len(frame.data)
        viewers = self._tracks.get(kind)
        if not viewers:
            return
        # One packet object for every viewer: aiortc's pack() only reads it.
        packet = av.Packet(frame.data)
        packet.pts = frame.timestamp
        packet.time_base = Fraction(1, codec.clockRate)
        keyframe = kind == "video" and is_keyframe(codec.mimeType, frame.data)
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
