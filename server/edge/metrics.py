"""The app's Prometheus registry: every collector /metrics reads, and the event-loop lag probe.

One registry per app (never prometheus_client's global one: tests build many apps in one
process). The media and room collectors read their plain counters when scraped, so forwarding
a packet or fanning out a message touches no prometheus_client object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics import Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from chat.metrics import RoomCollector
from chat.namespace import StreamNamespace
from media.metrics import MediaCollector
from media.service import MediaService

LOOP_LAG_PERIOD_S = 0.25  # the probe sleeps this long; how much later it wakes is the lag
LOOP_LAG_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class LoopLag:
    """How late the event loop wakes a task whose sleep is due: the time that callbacks,
    packets and requests ahead of it held the loop (a blocking call shows up here)."""

    def __init__(self, registry: CollectorRegistry, period_s: float = LOOP_LAG_PERIOD_S) -> None:
        self._period_s = period_s
        self._lag = Histogram(
            "shopcast_event_loop_lag_seconds",
            f"How late the event loop woke a {period_s} s sleep",
            buckets=LOOP_LAG_BUCKETS_S,
            registry=registry,
        )

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self._period_s
            await asyncio.sleep(self._period_s)
            self._lag.observe(max(0.0, loop.time() - due))


class PoolCollector(Collector):
    """The database pool's connections, read from SQLAlchemy's pool when scraped."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        pool = self._engine.pool
        if not isinstance(pool, QueuePool):  # NullPool, StaticPool: no pool to count
            return
        yield GaugeMetricFamily(
            "shopcast_db_pool_size",
            "The pool's pool_size: connections it keeps open once opened",
            pool.size(),
        )
        yield GaugeMetricFamily(
            "shopcast_db_pool_checked_out", "Pool connections in use", pool.checkedout()
        )
        yield GaugeMetricFamily(
            "shopcast_db_pool_checked_in", "Pool connections open and idle", pool.checkedin()
        )
        yield GaugeMetricFamily(
            "shopcast_db_pool_overflow",
            "Connections open beyond pool_size (up to max_overflow)",
            max(0, pool.overflow()),  # SQLAlchemy counts it from -pool_size
        )


@dataclass(frozen=True)
class Snapshot(Collector):
    """Metric families already read, to be written out away from the event loop."""

    families: list[Metric]

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    loop_lag: LoopLag


def build_metrics(media: MediaService, room: StreamNamespace, engine: AsyncEngine) -> Metrics:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(MediaCollector(media.metrics))
    registry.register(RoomCollector(room.fanout_counts))
    registry.register(PoolCollector(engine))
    return Metrics(registry, LoopLag(registry))
