"""Keyframes: spotting them in encoded frames, and asking the host for one without flooding it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

H264_IDR = 5
H264_SPS = 7
H264_STAP_A = 24
H264_FU_A = 28


def is_keyframe(mime_type: str, data: bytes) -> bool:
    """True when a decoder can start at this encoded frame (Annex-B H.264 or raw VP8)."""
    kind = mime_type.lower()
    if kind == "video/vp8":
        # VP8 frame tag: bit 0 of the first byte is 0 on a key frame (RFC 6386, 9.1).
        return bool(data) and not data[0] & 0x01
    if kind == "video/h264":
        return any(nal in (H264_IDR, H264_SPS) for nal in _h264_nal_types(data))
    return True  # audio: every frame decodes on its own


def starts_keyframe(mime_type: str, payload: bytes) -> bool:
    """True when this RTP payload carries the start of a frame a decoder can start at.

    H.264 (RFC 6184): a single NAL, an aggregate (STAP-A) or the first fragment (FU-A) of an
    IDR or SPS. VP8 (RFC 7741): the first packet of partition 0 whose frame tag says key frame.
    Audio: every packet. A short or malformed payload is simply not a keyframe.
    """
    kind = mime_type.lower()
    if kind == "video/h264":
        return _h264_packet_starts_keyframe(payload)
    if kind == "video/vp8":
        return _vp8_packet_starts_keyframe(payload)
    return True


def _h264_packet_starts_keyframe(payload: bytes) -> bool:
    if not payload:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in (H264_IDR, H264_SPS):
        return True
    if nal_type == H264_STAP_A:
        offset = 1
        while offset + 2 < len(payload):
            size = int.from_bytes(payload[offset : offset + 2], "big")
            if payload[offset + 2] & 0x1F in (H264_IDR, H264_SPS):
                return True
            offset += 2 + size
        return False
    if nal_type == H264_FU_A and len(payload) > 1:
        header = payload[1]
        return bool(header & 0x80) and header & 0x1F in (H264_IDR, H264_SPS)
    return False


def _vp8_packet_starts_keyframe(payload: bytes) -> bool:
    if not payload:
        return False
    first = payload[0]
    # S (start of partition) set and partition index 0: the frame's first packet.
    if not first & 0x10 or first & 0x07:
        return False
    offset = 1
    if first & 0x80:  # X: extension byte follows, then the fields it announces
        if len(payload) < 2:
            return False
        extension = payload[1]
        offset = 2
        if extension & 0x80:  # I: picture id, one byte or (M bit) two
            if len(payload) <= offset:
                return False
            offset += 2 if payload[offset] & 0x80 else 1
        if extension & 0x40:  # L: TL0PICIDX
            offset += 1
        if extension & 0x30:  # T or K: one byte for both
            offset += 1
    # VP8 frame tag: bit 0 of the first byte is 0 on a key frame (RFC 6386, 9.1).
    return len(payload) > offset and not payload[offset] & 0x01


def _h264_nal_types(data: bytes) -> list[int]:
    types = []
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        types.append(data[start + 3] & 0x1F)
        start = data.find(b"\x00\x00\x01", start + 3)
    return types


class KeyframeRequests:
    """Coalesces keyframe requests: at most one per `interval_s`; one asked for during the
    quiet period is sent when it ends (deferred, never dropped), however many asked."""

    def __init__(
        self,
        send: Callable[[], None],
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        call_later: Callable[[float, Callable[[], None]], Any] | None = None,
    ) -> None:
        self._send = send
        self._interval_s = interval_s
        self._clock = clock
        self._call_later = call_later
        self._last_sent: float | None = None
        self._deferred: Any = None
        self.sent = 0
        self.coalesced = 0

    def request(self) -> None:
        if self._deferred is not None:
            self.coalesced += 1
            return
        now = self._clock()
        wait = 0.0 if self._last_sent is None else self._last_sent + self._interval_s - now
        if wait <= 0:
            self._fire()
            return
        self.coalesced += 1
        self._deferred = self._schedule(wait)

    def satisfied(self) -> None:
        """A keyframe arrived: everyone who asked before now has one, so a deferred request
        would only cost the host a needless keyframe (and delay the next joiner)."""
        self.cancel()

    def cancel(self) -> None:
        if self._deferred is not None and hasattr(self._deferred, "cancel"):
            self._deferred.cancel()
        self._deferred = None

    def _schedule(self, delay: float) -> Any:
        call_later = self._call_later or asyncio.get_running_loop().call_later
        return call_later(delay, self._fire_deferred)

    def _fire_deferred(self) -> None:
        self._deferred = None
        self._fire()

    def _fire(self) -> None:
        self._last_sent = self._clock()
        self.sent += 1
        self._send()
