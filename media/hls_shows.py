"""The HLS packagers of the shows this node serves: a leader where the host publishes, a
follower (fed by the media bus) where HLS is asked of a show another node ingests.

A leader lives while its show does, across its host's reconnections (numbers and times go
on); a follower from the first HLS request until the show ends (the node keeps following
the show's channel meanwhile, as it does for its WebRTC viewers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.exceptions import MediaCode, MediaError
from media.hls import H264, Packager, SegmentStart

logger = logging.getLogger(__name__)

Announce = Callable[[str, SegmentStart], None]


class WebRtcFull(MediaError):
    code = MediaCode.WEBRTC_FULL
    default_message = (
        "this show's WebRTC capacity on this node is full: watch it over HLS (/hls/<id>/)"
    )


def carries_hls(codecs: dict[str, RTCRtpCodecParameters]) -> bool:
    video = codecs.get("video")
    return video is not None and video.mimeType.lower() == H264


class HlsShows:
    def __init__(self, announce: Announce | None) -> None:
        self._announce = announce  # puts a leader's decisions on the bus (None: one node)
        self._packagers: dict[str, Packager] = {}

    def get(self, stream_key: str) -> Packager | None:
        return self._packagers.get(stream_key)

    def following(self, stream_key: str) -> bool:
        packager = self._packagers.get(stream_key)
        return packager is not None and not packager.leader

    def lead(
        self,
        stream_key: str,
        codecs: dict[str, RTCRtpCodecParameters],
        want_keyframe: Callable[[], None],
    ) -> None:
        """A host publishes here: package its show (H.264 only), or go on after a reconnect."""
        packager = self._packagers.get(stream_key)
        if packager is not None and packager.leader and carries_hls(codecs):
            packager.new_host()
            return
        self.end(stream_key)
        if carries_hls(codecs):
            announce = self._announce

            def decided(start: SegmentStart) -> None:
                if announce is not None:
                    announce(stream_key, start)

            self._packagers[stream_key] = Packager(
                "audio" in codecs, announce=decided, want_keyframe=want_keyframe
            )

    def follow(self, stream_key: str, codecs: dict[str, RTCRtpCodecParameters]) -> Packager:
        packager = self._packagers.get(stream_key)
        if packager is None:
            packager = self._packagers[stream_key] = Packager("audio" in codecs)
        return packager

    def packet(
        self, stream_key: str, kind: str, seq: int, timestamp: int, marker: bool, payload: bytes
    ) -> None:
        packager = self._packagers.get(stream_key)
        if packager is not None:
            try:
                packager.packet(kind, seq, timestamp, marker, payload)
            except Exception:  # the packager's fault must never stop the show's forwarding
                logger.exception("HLS of %s stops: a packet could not be packaged", stream_key)
                self.end(stream_key)

    def segment_start(self, stream_key: str, raw: bytes) -> None:
        packager = self._packagers.get(stream_key)
        start = SegmentStart.decode(raw)
        if packager is not None and start is not None:
            packager.segment_start(start)

    def remote_host(self, stream_key: str, codecs: dict[str, RTCRtpCodecParameters]) -> None:
        packager = self._packagers.get(stream_key)
        if packager is None:
            return
        if carries_hls(codecs):
            packager.new_host()
        else:
            self.end(stream_key)

    def end(self, stream_key: str) -> None:
        packager = self._packagers.pop(stream_key, None)
        if packager is not None:
            packager.close()
