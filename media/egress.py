"""One viewer's outgoing RTP stream of one kind: renumber, protect, send. Nothing else per packet.

The viewer hears the host's sequence numbers shifted by an offset, so gaps and reordering the
host's packets had reach it unchanged (it NACKs them), while the packets it skipped on joining
or lagging leave no gap. The offset is set each time it (re)starts at a keyframe.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from aiortc import RTCDtlsTransport, RTCRtpSender

from media import aiortc_hooks
from media.metrics import EgressCounters
from media.packets import SEQUENCE_SPACE, TIMESTAMP_SPACE, ShowPacket, rtx_packet

logger = logging.getLogger(__name__)

PathOf = Callable[[RTCDtlsTransport], "aiortc_hooks.SrtpPath | None"]

HISTORY = 512  # packets kept for NACKs: about 0.5 s of 1 Mbps video (a power of 2)
HISTORY_MASK = HISTORY - 1
REPORT_EVERY_FRAMES = 8  # sender-report data and backlog are checked once per this many frames


class Egress:
    def __init__(
        self,
        kind: str,
        sender: RTCRtpSender,
        payload_type: int,
        rtx_payload_type: int | None,
        rtx_ssrc: int,
        max_queued_bytes: int,
        on_keyframe_request: Callable[[], None],
        path_of: PathOf = aiortc_hooks.srtp_path,
    ) -> None:
        self.kind = kind
        self._path_of = path_of
        self._sender = sender
        self._payload_type = payload_type
        self._rtx_payload_type = rtx_payload_type
        self._rtx_ssrc = rtx_ssrc
        self._max_queued_bytes = max_queued_bytes
        self._path: aiortc_hooks.SrtpPath | None = None
        self._send: aiortc_hooks.Send | None = None
        self.live = False  # sending; when False it waits for a keyframe (video) or any packet
        self._offset = 0  # viewer seq = host seq + offset
        self._start = 0  # host seq it last (re)started at: older packets are not sent
        self._highest = random.randrange(SEQUENCE_SPACE // 2)  # the viewer's seq space
        self._rtx_seq = random.randrange(SEQUENCE_SPACE // 2)
        self._history: list[ShowPacket | None] = [None] * HISTORY
        self._history_seq = [-1] * HISTORY
        self._frames = 0
        self.packets = self.octets = self.dropped = self.lagged = self.retransmitted = 0
        self.keyframe_requests = 0
        self.failures = 0
        # Simulcast: the layer this viewer gets (-1: audio only) and the one it should get,
        # switched to at that layer's next keyframe; its timestamps moved by `_shift`.
        self.layer = self.target = 0
        self._shift = 0
        self._last_timestamp: int | None = None
        self.feedback = aiortc_hooks.Feedback()
        aiortc_hooks.on_receiver_feedback(sender, self.feedback)
        aiortc_hooks.on_retransmission_request(sender, self.retransmit)
        if kind == "video":
            aiortc_hooks.on_keyframe_request(sender, self._keyframe_requested(on_keyframe_request))

    @property
    def connected(self) -> bool:
        return self._send is not None

    def connect(self) -> bool:
        """Pick up the SRTP session once DTLS is done; False while it is not."""
        if self._send is None:
            self._path = self._path_of(self._sender.transport)
            self._send = self._path.send if self._path else None
        return self._send is not None

    def fail(self) -> None:
        """Sending raised: log it once, then pick the session up again from scratch."""
        if not self.failures:
            logger.exception("sending to a viewer failed; it will resume at a keyframe")
        self.failures += 1
        self.live = False
        self._path = self._send = None

    def start(self, packet: ShowPacket) -> None:
        """(Re)start at `packet`, numbered right after the last packet this viewer got."""
        self._offset = (self._highest + 1 - packet.seq) % SEQUENCE_SPACE
        self._start = packet.seq
        self.live = True

    def send(self, packet: ShowPacket) -> None:
        # The hot path, run once per packet per viewer: plain arithmetic on 16-bit sequence
        # numbers (0xFFFF, 0x8000) and attribute access only.
        if (packet.seq - self._start) & 0xFFFF >= 0x8000:
            return  # from before this viewer's start: a late retransmission it cannot use
        seq = (packet.seq + self._offset) & 0xFFFF
        slot = seq & HISTORY_MASK
        self._history[slot] = packet
        self._history_seq[slot] = seq
        if (seq - self._highest) & 0xFFFF < 0x8000:
            self._highest = seq
        self._last_timestamp = packet.timestamp
        if self._shift:
            self._send(packet.serialize_shifted(self._payload_type, seq, self._shift))  # type: ignore[misc]
        else:
            self._send(packet.serialize(self._payload_type, seq))  # type: ignore[misc]
        self.packets += 1
        self.octets += packet.size
        if packet.marker:
            self._frames += 1
            if self._frames % REPORT_EVERY_FRAMES == 0:
                self._end_of_frames(packet)

    def switch(self, packet: ShowPacket, layer: int) -> None:
        """Move to `layer` at its keyframe `packet`: numbered on, and later on the viewer's
        timeline than anything it got (an unfinished frame of the old layer may share the
        keyframe's capture time, and must not be taken for part of it)."""
        shift = 0
        if self._last_timestamp is not None:
            last = (self._last_timestamp + self._shift) % TIMESTAMP_SPACE
            ahead = (packet.timestamp - last) % TIMESTAMP_SPACE
            if ahead == 0 or ahead >= TIMESTAMP_SPACE // 2:
                shift = (last + 1 - packet.timestamp) % TIMESTAMP_SPACE
        self._shift = shift
        self.layer = self.target = layer
        self.start(packet)

    async def retransmit(self, seq: int) -> None:
        """A viewer NACKed `seq`: re-send it (as RTX when negotiated) if still in the history."""
        slot = seq % HISTORY
        packet = self._history[slot]
        if packet is None or self._history_seq[slot] != seq or self._send is None:
            return
        if self._rtx_payload_type is None:
            data = packet.serialize_shifted(self._payload_type, seq, self._shift)
        else:
            data = rtx_packet(
                packet, self._rtx_payload_type, self._rtx_seq, self._rtx_ssrc, seq, self._shift
            )
            self._rtx_seq = (self._rtx_seq + 1) % SEQUENCE_SPACE
        self._send(data)
        self.retransmitted += 1

    def counters(self) -> EgressCounters:
        return EgressCounters(
            self.packets,
            self.octets,
            self.dropped,
            self.lagged,
            self.retransmitted,
            self.keyframe_requests,
        )

    def _end_of_frames(self, packet: ShowPacket) -> None:
        timestamp = (packet.timestamp + self._shift) % TIMESTAMP_SPACE
        aiortc_hooks.report_sent(self._sender, timestamp, self.packets, self.octets)
        if self._path is not None and self._path.queued() > self._max_queued_bytes:
            # The kernel refuses more: stop feeding this viewer until the next keyframe rather
            # than queue its video without bound or late.
            self.live = False
            self.lagged += 1

    def _keyframe_requested(self, forward: Callable[[], None]) -> Callable[[], None]:
        def requested() -> None:
            self.keyframe_requests += 1
            forward()

        return requested
