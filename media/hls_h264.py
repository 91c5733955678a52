"""H.264 access units from RTP payloads (RFC 6184: single NAL units, STAP-A, FU-A), as Annex-B."""

from __future__ import annotations

from media.bitstream import H264_SPS
from media.keyframes import H264_FU_A, H264_STAP_A

SEQUENCE_SPACE = 1 << 16
_ANNEX_B = b"\x00\x00\x00\x01"


class AccessUnit:
    """The NAL units of one frame (one RTP timestamp) as its packets arrive. A lost packet
    (a gap in sequence numbers, or a fragment without its start) makes it `broken`."""

    def __init__(self, timestamp: int, seq: int, keyframe: bool) -> None:
        self.timestamp = timestamp
        self.keyframe = keyframe  # the first packet starts an IDR or SPS
        self.broken = False
        self._units: list[bytearray] = []
        self._fragment: bytearray | None = None
        self._next_seq = seq

    def add(self, seq: int, payload: bytes) -> None:
        if seq != self._next_seq:
            self.broken = True
        self._next_seq = (seq + 1) % SEQUENCE_SPACE
        if self.broken or not payload:
            return
        nal_type = payload[0] & 0x1F
        if nal_type == H264_STAP_A:
            self._aggregate(payload)
        elif nal_type == H264_FU_A:
            self._fragment_of(payload)
        elif 0 < nal_type < H264_STAP_A:
            self._units.append(bytearray(payload))
        else:
            self.broken = True  # STAP-B, MTAP, FU-B: never sent in packetization mode 1

    def annex_b(self) -> bytes | None:
        """The frame as Annex-B, or None when it is broken or incomplete."""
        if self.broken or self._fragment is not None or not self._units:
            return None
        return b"".join(_ANNEX_B + bytes(unit) for unit in self._units)

    def _aggregate(self, payload: bytes) -> None:
        offset = 1
        while offset + 2 <= len(payload):
            size = int.from_bytes(payload[offset : offset + 2], "big")
            unit = payload[offset + 2 : offset + 2 + size]
            if size == 0 or len(unit) < size:
                self.broken = True
                return
            self._units.append(bytearray(unit))
            offset += 2 + size

    def _fragment_of(self, payload: bytes) -> None:
        if len(payload) < 2:
            self.broken = True
            return
        indicator, header = payload[0], payload[1]
        start, end = header & 0x80, header & 0x40
        if start:
            if self._fragment is not None:
                self.broken = True
                return
            self._fragment = bytearray(((indicator & 0xE0) | (header & 0x1F),))
        elif self._fragment is None:
            self.broken = True
            return
        self._fragment += payload[2:]
        if end:
            self._units.append(self._fragment)
            self._fragment = None


def carries_sps(payload: bytes) -> bool:
    """Whether this RTP payload (the first of a frame) carries an SPS (single or in a STAP-A):
    a segment can begin here, its init segment made from the frame itself."""
    if not payload:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type == H264_SPS:
        return True
    if nal_type == H264_STAP_A:
        offset = 1
        while offset + 2 < len(payload):
            if payload[offset + 2] & 0x1F == H264_SPS:
                return True
            offset += 2 + int.from_bytes(payload[offset : offset + 2], "big")
    return False
