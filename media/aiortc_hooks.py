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
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

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

    def add(self, packet: RtpPacket) -> Any:
        try:
            self._sink(packet, time.perf_counter())
        except Exception:  # a relay fault must not kill the host's receive path
            logger.exception("forwarding an RTP packet failed")
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
