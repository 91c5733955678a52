"""The live room's fan-out counters as Prometheus series, read when /metrics is scraped: the
fan-out path keeps bumping plain numbers (chat/batching.py, chat/fanout.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

# name, help, key of the room's fan-out counts (chat/room_base.py `fanout_counts`)
ROOM_SERIES = (
    ("shopcast_chat_events_total", "Room events sent (chat, pins, stock, counters)", "events"),
    ("shopcast_chat_frames_total", "Room frames sent (a batch frame carries several events)",
     "frames"),
    ("shopcast_chat_socket_writes_direct_total",
     "Frame copies written straight to a socket (chat/fanout.py)", "direct"),
    ("shopcast_chat_socket_writes_queued_total",
     "Frame copies that took Engine.IO's queue (polling, slow readers)", "queued"),
)  # fmt: skip


class RoomCollector(Collector):
    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts  # StreamNamespace.fanout_counts

    def collect(self) -> Iterator[Metric]:
        counts = self._counts()
        for name, text, key in ROOM_SERIES:
            yield CounterMetricFamily(name, text, counts[key])
