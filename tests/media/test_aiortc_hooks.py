"""Fails loudly when an aiortc upgrade moves the internals media/aiortc_hooks.py relies on."""

import asyncio
import queue
from fractions import Fraction

import aiortc
import av
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import CODECS
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket

from media import aiortc_hooks
from media.forwarded_track import ForwardedTrack
from media.keyframes import is_keyframe
from tests import peers


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__ == "1.16.0", "re-check media/aiortc_hooks.py before upgrading"


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


@pytest.mark.parametrize("mime", ["video/VP8", "video/H264", "audio/opus"])
async def test_the_sender_packs_a_packet_without_encoding(mime) -> None:
    kind = mime.split("/")[0]
    codec = next(c for c in CODECS[kind] if c.mimeType == mime)
    track = ForwardedTrack(kind, 2)
    pc = RTCPeerConnection()
    sender = pc.addTransceiver(track, direction="sendonly").sender
    data = b"\x00\x00\x00\x01\x65" + b"\x88" * 50 if mime == "video/H264" else b"\x10" * 50
    packet = av.Packet(data)
    packet.pts, packet.time_base = 1234, Fraction(1, codec.clockRate)
    track.push(packet, keyframe=True)
    encoded = await sender._next_encoded_frame(codec)
    assert encoded is not None and encoded.timestamp == 1234
    assert data[-50:] in b"".join(encoded.payloads)  # the bytes went out as they came in
    track.stop()
    await pc.close()
