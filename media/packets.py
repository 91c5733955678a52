"""A show's RTP packets: built once per host packet, stamped per viewer with a sequence number.

Every viewer of a show hears the same SSRC and timestamps (each viewer has its own SRTP keys,
so sharing them is safe), so all that differs per viewer is the payload type it negotiated and
its sequence numbers. The bytes after the sequence number are joined once and shared.
"""

from __future__ import annotations

import struct

RTP_VERSION = 0x80  # V=2, no padding, no extension, no CSRC: the relay sends no extensions
SEQUENCE_SPACE = 1 << 16
TIMESTAMP_SPACE = 1 << 32
_SEQUENCE = struct.Struct("!H")
_TIMESTAMP_SSRC = struct.Struct("!II")
_SEQUENCE_TIMESTAMP_SSRC = struct.Struct("!HII")


class ShowPacket:
    """One host RTP packet as the show forwards it (the relay's own SSRC and timeline)."""

    __slots__ = (
        "_heads",
        "_tail",
        "arrival",
        "keyframe",
        "marker",
        "payload",
        "seq",
        "size",
        "ssrc",
        "timestamp",
    )

    def __init__(
        self,
        seq: int,
        timestamp: int,
        marker: bool,
        payload: bytes,
        ssrc: int,
        keyframe: bool,
        arrival: float,
    ) -> None:
        self.seq = seq  # the host's sequence number: gaps and reordering are kept
        self.timestamp = timestamp
        self.marker = marker
        self.payload = payload
        self.size = len(payload)
        self.keyframe = keyframe  # starts a frame a decoder can start at
        self.arrival = arrival
        self.ssrc = ssrc
        self._tail = _TIMESTAMP_SSRC.pack(timestamp, ssrc) + payload
        self._heads: dict[int, bytes] = {}

    def serialize(self, payload_type: int, seq: int) -> bytes:
        head = self._heads.get(payload_type)
        if head is None:
            head = self._heads[payload_type] = bytes(
                (RTP_VERSION, (0x80 if self.marker else 0) | payload_type)
            )
        return head + _SEQUENCE.pack(seq) + self._tail

    def serialize_shifted(self, payload_type: int, seq: int, shift: int) -> bytes:
        """The packet `shift` ticks later: a viewer whose layer switch needed its timeline
        moved on (its own bytes, not the shared tail)."""
        head = bytes((RTP_VERSION, (0x80 if self.marker else 0) | payload_type))
        stamp = (self.timestamp + shift) % TIMESTAMP_SPACE
        return head + _SEQUENCE_TIMESTAMP_SSRC.pack(seq, stamp, self.ssrc) + self.payload

    def retimed(self, timestamp: int, ssrc: int) -> ShowPacket:
        """The same packet on another timestamp (a joining viewer's catch-up burst)."""
        return ShowPacket(
            self.seq, timestamp, self.marker, self.payload, ssrc, self.keyframe, self.arrival
        )


def rtx_packet(
    packet: ShowPacket,
    payload_type: int,
    rtx_seq: int,
    rtx_ssrc: int,
    original_seq: int,
    shift: int = 0,
) -> bytes:
    """An RFC 4588 retransmission: the original sequence number leads the payload."""
    head = bytes((RTP_VERSION, (0x80 if packet.marker else 0) | payload_type))
    return (
        head
        + _SEQUENCE.pack(rtx_seq)
        + _TIMESTAMP_SSRC.pack((packet.timestamp + shift) % TIMESTAMP_SPACE, rtx_ssrc)
        + _SEQUENCE.pack(original_seq)
        + packet.payload
    )
