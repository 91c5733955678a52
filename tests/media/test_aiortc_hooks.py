"""Fails loudly when an aiortc or aioice upgrade moves the internals media/aiortc_hooks.py relies
on (both pinned exactly in pyproject.toml)."""

import asyncio
import importlib.metadata
import inspect
import queue

import aioice.ice
import aiortc
import pytest
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtpPacket,
)

from media import aiortc_hooks
from media.keyframes import is_keyframe
from tests import peers


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__ == "1.16.0", "re-check media/aiortc_hooks.py before upgrading"


def test_aioice_is_the_pinned_version() -> None:
    assert importlib.metadata.version("aioice") == "0.13.0", (
        "re-check media/aiortc_hooks.py (srtp_path, consent_timing) before upgrading aioice"
    )


async def test_receiver_decoder_queue_can_be_tapped() -> None:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    assert isinstance(getattr(receiver, aiortc_hooks.RECEIVER_DECODER_QUEUE), queue.Queue)
    seen = []
    aiortc_hooks.tap_encoded_frames(receiver, lambda codec, frame: seen.append((codec, frame)))
    tap = getattr(receiver, aiortc_hooks.RECEIVER_DECODER_QUEUE)
    frame = JitterFrame(data=b"\x00\x00\x01\x65", timestamp=9000)
    tap.put(("codec", frame))  # the call _handle_rtp_packet makes
    tap.put(None)  # the call that stops the decoder thread must still reach it
    assert seen == [("codec", frame)] and tap.get_nowait() is None
    await pc.close()


async def test_receiver_and_sender_private_methods_exist() -> None:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video", direction="sendrecv")
    assert callable(transceiver.receiver._send_rtcp_pli)
    assert callable(transceiver.sender._send_keyframe)
    assert isinstance(transceiver._codecs, list)
    calls = []
    aiortc_hooks.on_keyframe_request(transceiver.sender, lambda: calls.append(1))
    transceiver.sender._send_keyframe()
    assert calls == [1]
    await pc.close()


async def test_dtls_role_can_be_set_before_the_answer() -> None:
    offerer, answerer = RTCPeerConnection(), RTCPeerConnection()
    offerer.addTransceiver("video", direction="sendonly")
    await offerer.setLocalDescription(await offerer.createOffer())
    assert "a=setup:actpass" in offerer.localDescription.sdp
    await answerer.setRemoteDescription(offerer.localDescription)
    aiortc_hooks.answer_as_dtls_server(answerer)
    await answerer.setLocalDescription(await answerer.createAnswer())
    assert "a=setup:passive" in answerer.localDescription.sdp
    for pc in (offerer, answerer):
        await pc.close()


def test_jitter_frame_shape() -> None:
    frame = JitterFrame(data=b"x", timestamp=1)
    assert (frame.data, frame.timestamp) == (b"x", 1)


@pytest.mark.parametrize(
    ("codec", "keyframe_start"), [("vp8", None), ("h264", b"\x00\x00\x00\x01")]
)
async def test_real_rtp_reaches_the_tap_as_codec_and_jitter_frame(codec, keyframe_start) -> None:
    """The put((codec, JitterFrame)) contract, driven by aiortc's own receive path."""
    host, offer = await peers.publisher_offer(codec, audio=False)
    relay = RTCPeerConnection()
    transceiver = relay.addTransceiver("video", direction="recvonly")
    frames: asyncio.Queue = asyncio.Queue()
    aiortc_hooks.tap_encoded_frames(transceiver.receiver, lambda c, f: frames.put_nowait((c, f)))
    await relay.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    await relay.setLocalDescription(await relay.createAnswer())
    await peers.accept(host, relay.localDescription.sdp)
    async with asyncio.timeout(10):
        got = [await frames.get() for _ in range(3)]
    for c, frame in got:
        assert isinstance(c, RTCRtpCodecParameters) and c.mimeType.lower() == f"video/{codec}"
        assert isinstance(frame, JitterFrame) and isinstance(frame.data, bytes)
    first = got[0][1]
    assert first.timestamp == 0  # aiortc numbers a stream's frames from 0
    assert is_keyframe(got[0][0].mimeType, first.data)
    if keyframe_start:
        assert first.data.startswith(keyframe_start)  # Annex-B, as H264Encoder.pack expects
    assert transceiver.receiver.track._queue.qsize() == 0  # nothing was decoded
    await aiortc_hooks.request_keyframe(transceiver.receiver)  # a real PLI goes out
    for pc in (host, relay):
        await pc.close()


async def test_a_viewers_pli_reaches_the_hook() -> None:
    pc = RTCPeerConnection()
    sender = pc.addTransceiver("video", direction="sendonly").sender
    calls = []
    aiortc_hooks.on_keyframe_request(sender, lambda: calls.append(1))
    for fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
        await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=sender._ssrc))
    assert calls == [1, 1]
    await pc.close()


async def test_the_receivers_packets_can_be_tapped_before_its_jitter_buffer() -> None:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    seen = []
    aiortc_hooks.tap_rtp_packets(receiver, lambda packet, arrival: seen.append(packet))
    tap = getattr(receiver, aiortc_hooks.RECEIVER_JITTER_BUFFER)
    packet = RtpPacket(payload_type=96, sequence_number=7, timestamp=3000, payload=b"\x10\x00")
    packet._data = b"\x00"  # what depayload() leaves for the jitter buffer
    assert tap.add(packet) == (False, None)  # the real jitter buffer still answers
    assert seen == [packet]
    await pc.close()


async def test_the_remb_sent_to_the_host_is_capped() -> None:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    aiortc_hooks.cap_host_bitrate(receiver, 300_000)
    estimator = getattr(receiver, aiortc_hooks.RECEIVER_BITRATE_ESTIMATOR)
    estimates = []
    # 1,000-byte packets 5 ms apart (1.6 Mbps) for 8 s: aiortc's estimate starts after 5 s.
    for n in range(1600):
        estimate = estimator.add(
            abs_send_time=(n * 5 * 262144 // 1000) & 0xFFFFFF,
            arrival_time_ms=n * 5,
            payload_size=1000,
            ssrc=1,
        )
        if estimate is not None:
            estimates.append(estimate[0])
    assert estimates and max(estimates) == 300_000
    await pc.close()


async def test_the_senders_ssrcs_reports_and_retransmissions_can_be_taken_over() -> None:
    pc = RTCPeerConnection()
    sender = pc.addTransceiver("video", direction="sendonly").sender
    aiortc_hooks.use_ssrcs(sender, 1234, 5678)
    await pc.setLocalDescription(await pc.createOffer())
    assert "a=ssrc:1234 " in pc.localDescription.sdp and "a=ssrc:5678 " in pc.localDescription.sdp
    aiortc_hooks.report_sent(sender, rtp_timestamp=90000, packets=10, octets=9000)
    for name in aiortc_hooks.SENDER_REPORT_FIELDS:
        assert hasattr(sender, name)
    assert sender._RTCRtpSender__rtp_timestamp == 90000
    nacked = []

    async def retransmit(seq: int) -> None:
        nacked.append(seq)

    aiortc_hooks.on_retransmission_request(sender, retransmit)
    nack = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=1234)
    nack.lost = [10, 11]
    await sender._handle_rtcp_packet(nack)
    assert nacked == [10, 11]
    assert aiortc_hooks.srtp_path(sender.transport) is None  # no DTLS yet: nothing to send on
    await pc.close()


def test_aioices_consent_checks_read_the_timing_constants_when_they_run() -> None:
    """consent_timing sets module constants: aioice must read them at run time, not bind them."""
    names = aioice.ice.Connection.query_consent.__code__.co_names
    assert {"CONSENT_INTERVAL", "CONSENT_FAILURES"} <= set(names), (
        "aioice's consent loop no longer reads CONSENT_INTERVAL/CONSENT_FAILURES: consent_timing"
    )
    before = (aioice.ice.CONSENT_INTERVAL, aioice.ice.CONSENT_FAILURES)
    try:
        aiortc_hooks.consent_timing(0.5, 2)
        assert (aioice.ice.CONSENT_INTERVAL, aioice.ice.CONSENT_FAILURES) == (0.5, 2)
    finally:
        aiortc_hooks.consent_timing(*before)


def test_aioices_turn_path_sends_with_send_data() -> None:
    """A TURN-relayed pair's protocol is not a StunProtocol: srtp_path sends with its
    `send_data(data, addr)` coroutine, which StunProtocol also defines."""
    send_data = aioice.ice.StunProtocol.send_data
    assert inspect.iscoroutinefunction(send_data)
    assert list(inspect.signature(send_data).parameters) == ["self", "data", "addr"]


async def test_a_connected_viewer_gets_a_synchronous_srtp_path() -> None:
    """srtp_path reads the DTLS transport's SRTP session (`_tx_srtp`), the ICE transport's
    aioice Connection (`_connection`), its nominated pair (`_nominated[1]`: `protocol`,
    `remote_addr`) and the StunProtocol's datagram transport; a packet sent on it arrives."""
    relay, viewer = RTCPeerConnection(), RTCPeerConnection()
    connected = asyncio.Event()

    @relay.on("connectionstatechange")
    def changed() -> None:
        if relay.connectionState == "connected":
            connected.set()

    transceiver = relay.addTransceiver("video", direction="sendonly")
    vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
    transceiver.setCodecPreferences(vp8)  # the payload below is a VP8 keyframe's start
    await relay.setLocalDescription(await relay.createOffer())
    await viewer.setRemoteDescription(relay.localDescription)
    arrived: asyncio.Queue = asyncio.Queue()
    aiortc_hooks.tap_rtp_packets(
        viewer.getTransceivers()[0].receiver, lambda packet, _: arrived.put_nowait(packet)
    )
    await viewer.setLocalDescription(await viewer.createAnswer())
    await relay.setRemoteDescription(viewer.localDescription)
    sender = transceiver.sender
    async with asyncio.timeout(10):
        await connected.wait()
    assert sender.transport.state == "connected"
    connection = sender.transport.transport._connection
    assert isinstance(connection, aioice.ice.Connection), "aiortc's RTCIceTransport._connection"
    pair = connection._nominated.get(1)
    assert isinstance(pair, aioice.ice.CandidatePair), "aioice's Connection._nominated moved"
    assert type(pair.protocol) is aioice.ice.StunProtocol and pair.remote_addr
    assert callable(pair.protocol.transport.sendto)
    path = aiortc_hooks.srtp_path(sender.transport)
    assert path is not None and isinstance(path.queued(), int)
    codec = aiortc_hooks.negotiated_codecs(transceiver)[0]
    packet = RtpPacket(
        payload_type=codec.payloadType,
        sequence_number=1,
        timestamp=3000,
        ssrc=sender._ssrc,
        payload=b"\x10\x00\x9d\x01\x2a",
    )
    path.send(packet.serialize())
    async with asyncio.timeout(5):
        got = await arrived.get()
    assert (got.ssrc, got.sequence_number, got.timestamp) == (sender._ssrc, 1, 3000)
    for pc in (relay, viewer):
        await pc.close()
