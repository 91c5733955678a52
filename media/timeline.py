"""One clock for the tracks of a publisher session, built from aiortc's per-track timestamps."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

MAX_DRIFT_S = 5.0


class Timeline:
    """Places each track's frames on the session's clock, in the track's own clock rate.

    aiortc rebases each track's RTP timestamps to 0 at that track's first frame, so audio and
    video both start at 0 however far apart they began. Each track is placed by the arrival of
    its first frame (lip sync to within network jitter: RTCP sender reports are not used).
    A frame whose timestamp strays more than `max_drift_s` from its arrival is placed again by
    arrival: an encoder restart, or a step back that aiortc read as a 32-bit wrap (+13 hours).
    """

    def __init__(
        self, max_drift_s: float = MAX_DRIFT_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_drift_s = max_drift_s
        self._clock = clock
        self._origin: float | None = None
        self._shifts: dict[str, int] = {}

    def place(self, kind: str, timestamp: int, clock_rate: int) -> int:
        """The frame's time since the session's first frame, in ticks of `clock_rate`."""
        now = self._clock()
        if self._origin is None:
            self._origin = now
        arrived = round((now - self._origin) * clock_rate)
        shift = self._shifts.get(kind)
        if shift is None or abs(timestamp + shift - arrived) > self._max_drift_s * clock_rate:
            if shift is not None:
                logger.info("%s timestamps jumped: placed again by arrival", kind)
            shift = self._shifts[kind] = arrived - timestamp
        return timestamp + shift
