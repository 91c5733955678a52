"""Every use of aiortc's private internals, in one place (aiortc is pinned to 1.16.0).

aiortc has no public API for encoded frames (aiortc issue #55): its receiver assembles them and
hands them to a decoder thread, and its sender only packetizes pre-encoded `av.Packet`s, ignoring
the viewer's keyframe requests on that path. tests/media/test_aiortc_hooks.py fails loudly if an
upgrade moves any of this.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

logger = logging.getLogger(__name__)

FrameSink = Callable[[RTCRtpCodecParameters, JitterFrame], None]

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
