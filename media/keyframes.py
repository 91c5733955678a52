"""Keyframes: spotting them in encoded frames, and asking the host for one without flooding it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

H264_IDR = 5
H264_SPS = 7


def is_keyframe(mime_type: str, data: bytes) -> bool:
    """True when a decoder can start at this encoded frame (Annex-B H.264 or raw VP8)."""
    kind = mime_type.lower()
    if kind == "video/vp8":
        # VP8 frame tag: bit 0 of the first byte is 0 on a key frame (RFC 6386, 9.1).
        return bool(data) and not data[0] & 0x01
    if kind == "video/h264":
        return any(nal in (H264_IDR, H264_SPS) for nal in _h264_nal_types(data))
    return True  # audio: every frame decodes on its own


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
