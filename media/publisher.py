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
from media.simulcast import SimulcastOffer, answer_simulcast, read_offer

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
    layers: tuple[str, ...] = ()  # simulcast rids, lowest first; () when it sends one layer
    ssrcs: aiortc_hooks.SimulcastSsrcs = field(
        default_factory=aiortc_hooks.SimulcastSsrcs, repr=False
    )

    def layer_of(self, packet: RtpPacket) -> int | None:
        """The simulcast layer (0: lowest) of a video packet; None before its rid is known."""
        rid = self.ssrcs.rid_of.get(packet.ssrc)
        return self.layers.index(rid) if rid in self.layers else None

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
    simulcast = read_offer(offer_sdp) if sections.get("video") else SimulcastOffer((), {})
    ssrcs = aiortc_hooks.SimulcastSsrcs()
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
        if kind == "video" and simulcast.layered:
            _take_layers(transceiver, simulcast, ssrcs)
        transceivers[kind] = transceiver

    def before_answer() -> None:
        aiortc_hooks.answer_as_dtls_server(pc)
        if simulcast.layered:
            aiortc_hooks.accept_header_extensions(transceivers["video"], simulcast.extensions)

    sdp = await answer(pc, offer_sdp, before_answer)
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
    layers = simulcast.rids if "video" in codecs else ()
    if layers:
        sdp = answer_simulcast(sdp, simulcast)
    watch_connection(pc, on_gone, connect_timeout_s=connect_timeout_s)
    return PublisherSession(session_id, pc, sdp, codecs, transceivers, layers=layers, ssrcs=ssrcs)


def _take_layers(
    transceiver: RTCRtpTransceiver, offer: SimulcastOffer, ssrcs: aiortc_hooks.SimulcastSsrcs
) -> None:
    """One receiver takes every layer; only the top one is assembled (for the recording)."""
    top = offer.rids[-1]
    aiortc_hooks.split_simulcast(transceiver.receiver, ssrcs)
    aiortc_hooks.pass_to_jitter_buffer(
        transceiver.receiver, lambda packet: ssrcs.rid_of.get(packet.ssrc) == top
    )


def _tagged(forward: Forward, kind: str) -> aiortc_hooks.FrameSink:
    def sink(codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        forward(kind, codec, frame)

    return sink


def _tagged_packets(forward_packet: ForwardPacket, kind: str) -> aiortc_hooks.PacketSink:
    def sink(packet: RtpPacket, arrival: float) -> None:
        forward_packet(kind, packet, arrival)

    return sink
