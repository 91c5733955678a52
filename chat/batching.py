"""Room fan-out in frames: a busy room's events of one short window go out as one `batch`.

The first event in a quiet room goes out at once (no added latency when little happens). While
the room is busy, the events that come within `window_s` of the last frame wait and leave
together as `batch` [[event, data], ...] in their order, so a burst of chat costs one frame
per viewer per window instead of one per message per viewer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

BATCH = "batch"
Emit = Callable[[str, Any, str], Awaitable[None]]  # event, data, room


class RoomBatcher:
    def __init__(
        self, emit: Emit, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._emit = emit
        self._window_s = window_s
        self._clock = clock
        self._pending: dict[str, list[list[Any]]] = {}
        self._last_frame: dict[str, float] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._flushing: set[asyncio.Task[None]] = set()
        self.frames = 0
        self.events = 0

    async def send(self, room: str, event: str, data: Any) -> None:
        self.events += 1
        now = self._clock()
        last = self._last_frame.get(room)
        if room not in self._pending and (last is None or now - last >= self._window_s):
            self._last_frame[room] = now
            self.frames += 1
            await self._emit(event, data, room)
            return
        self._pending.setdefault(room, []).append([event, data])
        if room not in self._timers:
            delay = max(0.0, (last or now) + self._window_s - now)
            self._timers[room] = asyncio.get_running_loop().call_later(delay, self._due, room)

    async def flush(self) -> None:
        """Send everything waiting now (at shutdown, and in tests)."""
        for room in list(self._pending):
            timer = self._timers.pop(room, None)
            if timer is not None:
                timer.cancel()
            await self._flush(room)
        while self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)

    def _due(self, room: str) -> None:
        self._timers.pop(room, None)
        task = asyncio.ensure_future(self._flush(room))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush(self, room: str) -> None:
        waiting = self._pending.pop(room, None)
        if not waiting:
            return
        self._last_frame[room] = self._clock()
        self.frames += 1
        try:
            if len(waiting) == 1:
                await self._emit(waiting[0][0], waiting[0][1], room)
            else:
                await self._emit(BATCH, waiting, room)
        except Exception:  # a failed frame must not stop later ones
            logger.exception("sending a frame of %d events to %s failed", len(waiting), room)

    def forget(self, room: str) -> None:
        """The room emptied: drop its bookkeeping (anything pending still goes out)."""
        if room not in self._pending:
            self._last_frame.pop(room, None)
