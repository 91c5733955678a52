"""What the room tells the show report (server/core/services/show_reports.py): each socket's
join and leave of a show's room, the product cards its page showed, the likes it counted.

Nothing here waits on the database: the events go into the service's buffer, which the
counters tick writes in one insert (`flush`). Off (`SHOPCAST_SHOW_METRICS=off`), nothing is
collected and the report has only what the database keeps anyway (chat, pins, orders).
"""

from __future__ import annotations

import time

from chat.rules import RateLimiter
from server.core.domain.roles import Principal
from server.core.services.show_reports import ShowReports

# How often the buffer is written: one transaction per node this often, whatever the room's
# size (the room's counters tick calls `flush` more often).
FLUSH_EVERY_S = 2.0
# Card views one socket may report: a burst, then one a second (a page shows a few cards).
SEEN_BURST = 20
SEEN_REFILL_S = 1.0


def viewer_key(sid: str, principal: Principal | None) -> str:
    """The person behind a socket: their subject, or the socket itself without a token."""
    return principal.subject if principal is not None else f"s:{sid}"


class RoomMetrics:
    def __init__(self, reports: ShowReports, enabled: bool = True) -> None:
        self._reports = reports
        self.enabled = enabled
        self._seen_limiter = RateLimiter(SEEN_BURST, SEEN_REFILL_S)
        self._flushed_at = 0.0

    def joined(self, stream_id: int, sid: str, principal: Principal | None) -> None:
        if self.enabled:
            self._reports.metrics.joined(stream_id, sid, viewer_key(sid, principal))

    def left(self, stream_id: int | None, sid: str, principal: Principal | None) -> None:
        if self.enabled and stream_id is not None:
            self._reports.metrics.left(stream_id, sid, viewer_key(sid, principal))

    def seen(self, stream_id: int, product_id: int, sid: str, principal: Principal | None) -> bool:
        """Count a card view (False: collection is off). A socket that reports more than a
        page could show is `rate_limited`."""
        if not self.enabled:
            return False
        self._seen_limiter.check(sid)
        self._reports.metrics.seen(stream_id, product_id, viewer_key(sid, principal))
        return True

    def liked(self, stream_id: int, taps: int) -> None:
        if self.enabled:
            self._reports.metrics.liked(stream_id, taps)

    async def flush(self, force: bool = False) -> None:
        """Write what waits, at most once every FLUSH_EVERY_S (each event keeps its own time:
        a later write changes no figure); `force`: now."""
        now = time.monotonic()
        if not force and now - self._flushed_at < FLUSH_EVERY_S:
            return
        self._flushed_at = now
        if self.enabled or self._reports.metrics.pending:
            await self._reports.flush()
