"""Every use of aiortc's private internals, in one place (aiortc is pinned to 1.16.0).

aiortc has no public API for encoded frames (aiortc issue #55): its receiver assembles them and
hands them to a decoder thread, and its sender only packetizes pre-encoded `av.Packet`s, ignoring
the viewer's keyframe requests on that path. tests/media/test_aiortc_hooks.py fails loudly if an
upgrade moves any of this.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aioice.ice
from aiortc import (
    RTCDtlsTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
)
from aiortc.clock import current_ntp_time
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import (
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    unpack_remb_fci,
)

logger = logging.getLogger(__name__)

FrameSink = Callable[[RTCRtpCodecParameters, JitterFrame], None]
# (packet, arrival on time.perf_counter's clock): every host packet, retransmissions unwrapped.
PacketSink = Callable[[RtpPacket, float], None]
Send = Callable[[bytes], None]

RECEIVER_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
RECEIVER_BITRATE_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"
# What the sender's RTCP task puts in its sender reports; the relay sends RTP itself.
SENDER_REPORT_FIELDS = (
    "_RTCRtpSender__ntp_timestamp",
    "_RTCRtpSender__rtp_timestamp",
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__octet_count",
)

# RTCRtpReceiver.__init__ creates this queue; _handle_rtp_packet puts (codec, JitterFrame) on it
# from the event loop, and the decoder thread started in receive() reads it until None.
RECEIVER_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
RECEIVER_NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"
RECEIVER_RTX_SSRCS = "_RTCRtpReceiver__rtx_ssrc"
RTCP_PSFB_APP = 15
RTCP_RTPFB_NACK = 1


class _EncodedFrameTap(queue.Queue):
    """Stands in for the receiver's decoder queue: frames go to the relay, never to a decoder.

    Only the `None` that stops the receiver reaches the real queue, so the idle decoder thread
    still ends when the receiver stops.
    """

    def __init__(self, sink: FrameSink) -> None:
        super().__init__()
        self._sink = sink

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None)
            return
        codec, frame = item
        try:
            self._sink(codec, frame)
        except Exception:  # a relay fault must not kill the host's receive path
            logger.exception("forwarding an encoded frame failed")


def tap_encoded_frames(receiver: RTCRtpReceiver, sink: FrameSink) -> None:
    """Route the receiver's assembled encoded frames to `sink`. Call before receive() starts."""
    if not isinstance(getattr(receiver, RECEIVER_DECODER_QUEUE, None), queue.Queue):
        raise RuntimeError("aiortc internals moved: RTCRtpReceiver has no decoder queue")
    setattr(receiver, RECEIVER_DECODER_QUEUE, _EncodedFrameTap(sink))


class _PacketTap:
    """Stands in for the receiver's jitter buffer: every packet that reaches it (decrypted,
    retransmissions unwrapped, payload checked) goes to the relay first, then on to the real
    jitter buffer, whose frames feed the recorder through the decoder-queue tap."""

    def __init__(self, jitter_buffer: Any, sink: PacketSink) -> None:
        self._jitter_buffer = jitter_buffer
        self._sink = sink
        self.passes: Callable[[RtpPacket], bool] | None = None  # see pass_to_jitter_buffer

    def add(self, packet: RtpPacket) -> Any:
        try:
            self._sink(packet, time.perf_counter())
        except Exception:  # a relay fault must not kill the host's receive path
            logger.exception("forwarding an RTP packet failed")
        if self.passes is not None and not self.passes(packet):
            return False, None  # JitterBuffer.add's (no PLI, no frame)
        return self._jitter_buffer.add(packet)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jitter_buffer, name)


def tap_rtp_packets(receiver: RTCRtpReceiver, sink: PacketSink) -> None:
    """Route every host RTP packet to `sink` as it arrives, before frame assembly."""
    jitter_buffer = getattr(receiver, RECEIVER_JITTER_BUFFER, None)
    if not callable(getattr(jitter_buffer, "add", None)):
        raise RuntimeError("aiortc internals moved: RTCRtpReceiver has no jitter buffer")
    setattr(receiver, RECEIVER_JITTER_BUFFER, _PacketTap(jitter_buffer, sink))


class _CappedEstimate:
    """Stands in for the receiver's bandwidth estimator: its REMB never exceeds the cap."""

    def __init__(self, estimator: Any, cap_bps: int) -> None:
        self._estimator = estimator
        self._cap_bps = cap_bps

    def add(self, **kwargs: Any) -> tuple[int, list[int]] | None:
        estimate = self._estimator.add(**kwargs)
        if estimate is None:
            return None
        bitrate, ssrcs = estimate
        return min(bitrate, self._cap_bps), ssrcs


def cap_host_bitrate(receiver: RTCRtpReceiver, cap_bps: int) -> None:
    """Clamp the REMB the receiver sends the host (browsers size their encoder by it)."""
    estimator = getattr(receiver, RECEIVER_BITRATE_ESTIMATOR, None)
    if estimator is None:
        return  # audio: aiortc estimates nothing
    setattr(receiver, RECEIVER_BITRATE_ESTIMATOR, _CappedEstimate(estimator, cap_bps))


def use_ssrcs(sender: RTCRtpSender, ssrc: int, rtx_ssrc: int) -> None:
    """Give the sender the show's SSRCs (call before the answer, which announces them)."""
    sender._ssrc = ssrc
    sender._rtx_ssrc = rtx_ssrc


def on_retransmission_request(
    sender: RTCRtpSender, callback: Callable[[int], Coroutine[Any, Any, None]]
) -> None:
    """Carry a viewer's NACKed sequence numbers to `callback`: the relay keeps the history,
    aiortc's sender never sees the packets."""
    if not callable(getattr(sender, "_retransmit", None)):
        raise RuntimeError("aiortc internals moved: RTCRtpSender._retransmit is gone")
    sender._retransmit = callback  # type: ignore[method-assign, assignment]


def report_sent(sender: RTCRtpSender, rtp_timestamp: int, packets: int, octets: int) -> None:
    """Feed the sender's RTCP sender reports (lip sync and RTT need the NTP/RTP pair)."""
    values = (current_ntp_time(), rtp_timestamp, packets, octets)
    for name, value in zip(SENDER_REPORT_FIELDS, values, strict=True):
        setattr(sender, name, value)


_sending: set[asyncio.Future[None]] = set()  # the loop keeps only weak references to tasks


@dataclass(frozen=True)
class SrtpPath:
    send: Send  # protect and send one RTP or RTCP packet, synchronously
    queued: Callable[[], int]  # bytes waiting in user space: grows only when the kernel refuses


def srtp_path(transport: RTCDtlsTransport) -> SrtpPath | None:
    """The viewer's DTLS-SRTP session and selected ICE pair as plain calls, or None while the
    handshake is not done. Skipping aiortc's four awaits per packet is most of what makes
    forwarding cheap; a TURN-relayed pair keeps aioice's own async path."""
    if transport.state != "connected" or transport._tx_srtp is None:
        return None
    pair = transport.transport._connection._nominated.get(1)
    if pair is None:
        return None
    protect = transport._tx_srtp.protect
    protocol, address = pair.protocol, pair.remote_addr
    if type(protocol) is aioice.ice.StunProtocol:
        sendto = protocol.transport.sendto

        def send(data: bytes) -> None:
            sendto(protect(data), address)

        datagrams: Any = protocol.transport  # a selector datagram transport has the method
        return SrtpPath(send, datagrams.get_write_buffer_size)

    def send_via_aioice(data: bytes) -> None:
        task = asyncio.ensure_future(protocol.send_data(protect(data), address))
        _sending.add(task)
        task.add_done_callback(_sending.discard)

    return SrtpPath(send_via_aioice, lambda: 0)


def consent_timing(interval_s: float, failures: int) -> None:
    """How often aioice checks that a peer still wants our packets (RFC 7675), and after how
    many unanswered checks it closes the connection. Process-wide: aioice has no per-connection
    setting."""
    if not hasattr(aioice.ice, "CONSENT_INTERVAL") or not hasattr(aioice.ice, "CONSENT_FAILURES"):
        raise RuntimeError("aioice internals moved: no consent timing constants")
    aioice.ice.CONSENT_INTERVAL = interval_s  # type: ignore[assignment]
    aioice.ice.CONSENT_FAILURES = failures  # type: ignore[attr-defined]


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI to the host for each source the receiver heard in the last 10 s (none yet:
    nothing to do, the first frames of a stream are a keyframe anyway)."""
    for source in receiver.getSynchronizationSources():
        # Private: the public API has no way to ask a remote sender for a keyframe.
        await receiver._send_rtcp_pli(source.source)


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Carry a viewer's PLI/FIR to `callback`: on the pack() path aiortc would only set a flag."""
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise RuntimeError("aiortc internals moved: RTCRtpSender._send_keyframe is gone")
    sender._send_keyframe = callback  # type: ignore[method-assign]


def answer_as_dtls_server(pc: RTCPeerConnection) -> None:
    """Answer `a=setup:passive` to an `actpass` offer (call between setRemote and createAnswer).

    aiortc would answer `active` and, as DTLS client, offer only ECDSA suites: publishers with
    RSA certificates (OBS, GStreamer webrtcbin) then fail with "no shared cipher". As server it
    accepts them. A role the offer already fixed (`auto` only is changed) is left alone.
    """
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport
        if transport is not None and transport._role == "auto":
            transport._set_role("server")


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    """The codecs set by setRemoteDescription, most preferred first (the one the peer sends)."""
    return list(transceiver._codecs)


# -- simulcast ---------------------------------------------------------------------------------


def accept_header_extensions(transceiver: RTCRtpTransceiver, offered: dict[str, int]) -> None:
    """Negotiate header extensions aiortc does not know (the simulcast rids), with the ids the
    offer gave them (call between setRemote and createAnswer). aiortc then writes them in the
    answer and its transport parses them into `packet.extensions`."""
    current = getattr(transceiver, "_headerExtensions", None)
    if not isinstance(current, list):
        raise RuntimeError("aiortc internals moved: RTCRtpTransceiver has no _headerExtensions")
    known = {ext.uri for ext in current}
    for uri, ident in offered.items():
        if uri not in known:
            current.append(RTCRtpHeaderExtensionParameters(id=ident, uri=uri))


class _NackPerSsrc:
    """Stands in for the receiver's NACK generator: one per SSRC, so the layers' separate
    sequence spaces do not read as losses of each other. aiortc reads `.missing` right after
    an `add` that reported a loss: it gets that SSRC's."""

    def __init__(self) -> None:
        self._generators: dict[int, NackGenerator] = {}
        self.missing: set[int] = set()

    def add(self, packet: RtpPacket) -> bool:
        generator = self._generators.get(packet.ssrc)
        if generator is None:
            generator = self._generators[packet.ssrc] = NackGenerator()
        missed = generator.add(packet)
        self.missing = generator.missing
        return missed


class SimulcastSsrcs:
    """Which layer (rid) each SSRC of a simulcast host carries, learned from the rid header
    extensions of its packets (browsers announce no SSRCs with rids)."""

    def __init__(self) -> None:
        self.rid_of: dict[int, str] = {}
        self.ssrc_of: dict[str, int] = {}


def split_simulcast(receiver: RTCRtpReceiver, ssrcs: SimulcastSsrcs) -> None:
    """Make one aiortc receiver take a simulcast host's layers: learn each SSRC's rid (and each
    retransmission SSRC's, so aiortc unwraps them), and keep a NACK generator per SSRC.
    Call before receive() starts."""
    handle = getattr(receiver, "_handle_rtp_packet", None)
    rtx_ssrcs = getattr(receiver, RECEIVER_RTX_SSRCS, None)
    if not callable(handle) or not isinstance(rtx_ssrcs, dict):
        raise RuntimeError("aiortc internals moved: RTCRtpReceiver's RTP path is not as pinned")
    if getattr(receiver, RECEIVER_NACK_GENERATOR, None) is None:
        raise RuntimeError("aiortc internals moved: RTCRtpReceiver has no NACK generator")
    setattr(receiver, RECEIVER_NACK_GENERATOR, _NackPerSsrc())

    async def handle_rtp(packet: RtpPacket, arrival_time_ms: int) -> None:
        extensions = packet.extensions
        rid = extensions.rtp_stream_id
        if rid is not None and packet.ssrc not in ssrcs.rid_of:
            ssrcs.rid_of[packet.ssrc] = rid
            ssrcs.ssrc_of[rid] = packet.ssrc
        repaired = extensions.repaired_rtp_stream_id
        if repaired is not None and packet.ssrc not in rtx_ssrcs and repaired in ssrcs.ssrc_of:
            rtx_ssrcs[packet.ssrc] = ssrcs.ssrc_of[repaired]
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle_rtp  # type: ignore[method-assign]


def pass_to_jitter_buffer(receiver: RTCRtpReceiver, passes: Callable[[RtpPacket], bool]) -> None:
    """Only packets `passes` accepts reach the jitter buffer (and so the recording): one layer
    of a simulcast host. Call after tap_rtp_packets."""
    tap = getattr(receiver, RECEIVER_JITTER_BUFFER, None)
    if not isinstance(tap, _PacketTap):
        raise RuntimeError("tap the receiver's packets before filtering its jitter buffer")
    tap.passes = passes


@dataclass
class Feedback:
    """What one viewer's receiver told us since the last read."""

    loss: float | None = None  # the latest receiver report's fraction lost (0..1)
    remb_bps: int | None = None
    nacked: int = 0  # packets asked for again


def on_receiver_feedback(sender: RTCRtpSender, feedback: Feedback) -> None:
    """Note each receiver report, REMB and NACK the viewer sends about `sender`'s stream in
    `feedback`, then let aiortc handle the packet as before."""
    handle = getattr(sender, "_handle_rtcp_packet", None)
    if not callable(handle):
        raise RuntimeError("aiortc internals moved: RTCRtpSender._handle_rtcp_packet is gone")

    async def observe(packet: Any) -> None:
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for report in packet.reports:
                if report.ssrc == sender._ssrc:
                    feedback.loss = report.fraction_lost / 256
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            feedback.nacked += len(packet.lost)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                feedback.remb_bps = unpack_remb_fci(packet.fci)[0]
            except ValueError:
                pass
        await handle(packet)

    sender._handle_rtcp_packet = observe  # type: ignore[method-assign]
