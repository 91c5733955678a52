"""Fails loudly when an aiortc upgrade moves the internals media/aiortc_hooks.py relies on."""

import queue

import aiortc
from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterFrame

from media import aiortc_hooks


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
