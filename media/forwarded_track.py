"""A viewer's track: hands the host's encoded frames to aiortc's sender, which only packetizes.

Each viewer has its own bounded queue. A viewer that cannot keep up loses its queued video and
resumes at the next keyframe, so it never holds memory or slows the host or other viewers.
"""

from __future__ import annotations

import asyncio
from enum import Enum

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack


class Pushed(Enum):
    QUEUED = "queued"
    WAITING_FOR_KEYFRAME = "waiting"  # skipped: this viewer needs a keyframe to start or resume
    OVERFLOWED = "overflowed"  # the queue was full: dropped it, now waiting for a keyframe


class ForwardedTrack(MediaStreamTrack):
    def __init__(self, kind: str, capacity: int) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue(capacity)
        self._needs_keyframe = kind == "video"
        self.dropped = 0
        self.forwarded = 0

    @property
    def needs_keyframe(self) -> bool:
        return self._needs_keyframe

    def wait_for_keyframe(self) -> None:
        """A new host took over: its frames decode only from its first keyframe on."""
        if self.kind == "video":
            self._needs_keyframe = True

    def push(self, packet: av.Packet, keyframe: bool) -> Pushed:
        if self._needs_keyframe:
            if not keyframe:
                self.dropped += 1
                return Pushed.WAITING_FOR_KEYFRAME
            self._needs_keyframe = False
        if self._queue.full():
            self._drop_queued()
            if self.kind == "video":
                self._needs_keyframe = True
                return Pushed.OVERFLOWED
        self._queue.put_nowait(packet)
        return Pushed.QUEUED

    async def recv(self) -> av.Packet:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        self.forwarded += 1
        return packet

    def stop(self) -> None:
        if self.readyState == "live":
            self._drop_queued()
            self._queue.put_nowait(None)  # wakes the sender so it stops instead of waiting
        super().stop()

    def _drop_queued(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self.dropped += 1
