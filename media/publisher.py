"""The host's WHIP session: receives encoded media once and taps it before any decoder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import aiortc_hooks
from media.codecs import ingest_preferences
from media.exceptions import UnsupportedCodec
from media.peer import answer, new_peer, new_session_id, watch_connection
from media.sdp import offered_kinds

Forward = Callable[[str, RTCRtpCodecParameters, JitterFrame], None]


@dataclass
class PublisherSession:
    session_id: str
    pc: RTCPeerConnection
    answer_sdp: str
    codecs: dict[str, RTCRtpCodecParameters]  # kind -> the codec the host sends
    transceivers: dict[str, RTCRtpTransceiver] = field(repr=False)

    def request_keyframe(self) -> None:
        video = self.transceivers.get("video")
        if video is not None and "video" in self.codecs:
            aiortc_hooks.request_keyframe(video.receiver)

    async def close(self) -> None:
        await self.pc.close()


async def accept_publisher(
    offer_sdp: str,
    ice_servers: tuple[str, ...],
    forward: Forward,
    on_gone: Callable[[str], None],
) -> PublisherSession:
    """Answer a host's offer; `on_gone(session_id)` runs once when its connection ends."""
    kinds = offered_kinds(offer_sdp)
    session_id = new_session_id()
    pc = new_peer(ice_servers)
    transceivers = {}
    # One transceiver per kind the offer carries: aiortc cannot answer for an unmatched one.
    for kind in dict.fromkeys(kinds):
        transceiver = pc.addTransceiver(kind, direction="recvonly")
        transceiver.setCodecPreferences(ingest_preferences(kind))
        aiortc_hooks.tap_encoded_frames(transceiver.receiver, _tagged(forward, kind))
        transceivers[kind] = transceiver
    sdp = await answer(pc, offer_sdp, lambda: aiortc_hooks.answer_as_dtls_server(pc))
    codecs = {
        kind: codecs[0]
        for kind, t in transceivers.items()
        if t.mid is not None and (codecs := aiortc_hooks.negotiated_codecs(t))
    }
    if not codecs:
        await pc.close()
        raise UnsupportedCodec("the offer has no H.264, VP8 or Opus track to publish")
    watch_connection(pc, lambda: on_gone(session_id))
    return PublisherSession(session_id, pc, sdp, codecs, transceivers)


def _tagged(forward: Forward, kind: str) -> aiortc_hooks.FrameSink:
    def sink(codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        forward(kind, codec, frame)

    return sink
