"""The host's WHIP session: receives encoded media once and taps it before any decoder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from media import aiortc_hooks
from media.background import Background
from media.codecs import ingest_preferences
from media.exceptions import UnsupportedCodec
from media.peer import answer, new_peer, watch_connection
from media.sdp import host_sections, with_bandwidth

Forward = Callable[[str, RTCRtpCodecParameters, JitterFrame], None]
ForwardPacket = Callable[[str, RtpPacket, float], None]


@dataclass
class PublisherSession:
    session_id: str
    pc: RTCPeerConnection
    answer_sdp: str
    codecs: dict[str, RTCRtpCodecParameters]  # kind -> the codec the host sends
    transceivers: dict[str, RTCRtpTransceiver] = field(repr=False)
    _background: Background = field(default_factory=Background, repr=False)

    def request_keyframe(self) -> None:
        video = self.transceivers.get("video")
        if video is not None and "video" in self.codecs:
            self._background.spawn(
                aiortc_hooks.request_keyframe(video.receiver), "asking the host for a keyframe"
            )

    async def close(self) -> None:
        await self._background.stop()
        await self.pc.close()


async def accept_publisher(
    session_id: str,
    offer_sdp: str,
    ice_servers: tuple[str, ...],
    forward: Forward,
    forward_packet: ForwardPacket,
    on_gone: Callable[[], None],
    max_video_bps: int | None = None,
    connect_timeout_s: float | None = None,
) -> PublisherSession:
    """Answer a host's offer; `on_gone()` runs once when its connection ends.

    Every RTP packet goes to `forward_packet` as it arrives (for viewers); assembled frames go
    to `forward` (for the recording). The host's video is capped at `max_video_bps` both in
    the answer (b=AS/b=TIAS) and in the REMB feedback browsers size their encoder by.
    """
    sections = host_sections(offer_sdp)
    pc = new_peer(ice_servers)
    transceivers = {}
    # A tapped transceiver for every section: one aiortc made itself would decode.
    for kind in sections:
        transceiver = pc.addTransceiver(kind, direction="recvonly")
        transceiver.setCodecPreferences(ingest_preferences(kind))
        aiortc_hooks.tap_encoded_frames(transceiver.receiver, _tagged(forward, kind))
        aiortc_hooks.tap_rtp_packets(transceiver.receiver, _tagged_packets(forward_packet, kind))
        if max_video_bps is not None:
            aiortc_hooks.cap_host_bitrate(transceiver.receiver, max_video_bps)
        transceivers[kind] = transceiver
    sdp = await answer(pc, offer_sdp, lambda: aiortc_hooks.answer_as_dtls_server(pc))
    codecs = {
        kind: codecs[0]
        for kind, t in transceivers.items()
        if sections[kind] and (codecs := aiortc_hooks.negotiated_codecs(t))
    }
    if not codecs:
        await pc.close()
        raise UnsupportedCodec("the offer has no H.264, VP8 or Opus track to publish")
    if max_video_bps is not None:
        sdp = with_bandwidth(sdp, "video", max_video_bps)
    watch_connection(pc, on_gone, connect_timeout_s=connect_timeout_s)
    return PublisherSession(session_id, pc, sdp, codecs, transceivers)


def _tagged(forward: Forward, kind: str) -> aiortc_hooks.FrameSink:
    def sink(codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        forward(kind, codec, frame)

    return sink


def _tagged_packets(forward_packet: ForwardPacket, kind: str) -> aiortc_hooks.PacketSink:
    def sink(packet: RtpPacket, arrival: float) -> None:
        forward_packet(kind, packet, arrival)

    return sink
