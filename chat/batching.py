"""Room fan-out in frames: a busy room's events of one short window go out as one `batch`.

The first event in a quiet room goes out at once (no added latency when little happens). While
the room is busy, the events that come within `window_s` of the last frame wait and leave
together as `batch` [[event, data], ...] in their order, so a burst of chat costs one frame
per viewer per window instead of one per message per viewer.

The window widens with the room: a frame costs one write per socket in it, so a room of `n`
sockets gets a window of at least `n / writes_per_s` (up to `max_window_s`). 1,000 viewers keep
the 50 ms window; 5,000 get 100 ms; 10,000, 200 ms: the node's writes per second for one room
stay bounded however many watch, for a little more latency in the biggest rooms.

An event that states a current value (a product's stock, a deal's units left) may name what it
`replaces`: a newer one takes the place of a waiting one with the same key, so a flash sale's
hundreds of purchases a second cost each viewer one stock line per window, not one per sale.
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
        self,
        emit: Emit,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        size: Callable[[str], int] = lambda room: 0,
        writes_per_s: float = 50_000,
        max_window_s: float = 0.2,
    ) -> None:
        self._emit = emit
        self._min_window_s = window_s
        self._max_window_s = max(window_s, max_window_s)
        self._size = size
        self._writes_per_s = writes_per_s
        self._clock = clock
        self._pending: dict[str, list[list[Any]]] = {}
        self._keyed: dict[str, dict[str, int]] = {}  # room -> replace key -> index in pending
        self._last_frame: dict[str, float] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._flushing: set[asyncio.Task[None]] = set()
        self._sending: set[str] = set()  # rooms with a frame being sent right now
        self.frames = 0
        self.events = 0

    def window_s(self, room: str) -> float:
        """This room's window now: wider as the room grows (see the module's docstring)."""
        wide = self._size(room) / self._writes_per_s
        return min(self._max_window_s, max(self._min_window_s, wide))

    async def send(self, room: str, event: str, data: Any, replaces: str | None = None) -> None:
        self.events += 1
        now = self._clock()
        last = self._last_frame.get(room)
        quiet = last is None or now - last >= self.window_s(room)
        # A room is busy while a frame of it is still being sent, too: under load an emit can
        # take longer than the window, and events must then gather instead of each going alone.
        if quiet and room not in self._pending and room not in self._sending:
            await self._send_frame(room, [[event, data]])
            return
        pending = self._pending.setdefault(room, [])
        keyed = self._keyed.setdefault(room, {})
        if replaces is not None and replaces in keyed:
            pending[keyed[replaces]] = [event, data]  # the newer value, in the older's place
            return
        if replaces is not None:
            keyed[replaces] = len(pending)
        pending.append([event, data])
        self._schedule(room, now)

    async def flush(self) -> None:
        """Send everything waiting now (at shutdown, and in tests)."""
        for room in list(self._pending):
            timer = self._timers.pop(room, None)
            if timer is not None:
                timer.cancel()
            await self._flush(room)
        while self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)

    def _schedule(self, room: str, now: float) -> None:
        if room in self._timers or room in self._sending:
            return  # a timer is set, or the frame in flight schedules the next when it is done
        last = self._last_frame.get(room, now)
        delay = max(0.0, last + self.window_s(room) - now)
        self._timers[room] = asyncio.get_running_loop().call_later(delay, self._due, room)

    def _due(self, room: str) -> None:
        self._timers.pop(room, None)
        task = asyncio.ensure_future(self._flush(room))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush(self, room: str) -> None:
        self._keyed.pop(room, None)
        waiting = self._pending.pop(room, None)
        if waiting:
            await self._send_frame(room, waiting)

    async def _send_frame(self, room: str, items: list[list[Any]]) -> None:
        self._last_frame[room] = self._clock()
        self._sending.add(room)
        self.frames += 1
        try:
            if len(items) == 1:
                await self._emit(items[0][0], items[0][1], room)
            else:
                await self._emit(BATCH, items, room)
        except Exception:  # a failed frame must not stop later ones
            logger.exception("sending a frame of %d events to %s failed", len(items), room)
        finally:
            self._sending.discard(room)
            if room in self._pending:
                self._schedule(room, self._clock())

    def forget(self, room: str) -> None:
        """The room emptied: drop its bookkeeping (anything pending still goes out)."""
        if room not in self._pending:
            self._last_frame.pop(room, None)
