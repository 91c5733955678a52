"""Per-show counters for /metrics: plain numbers the forwarding path bumps, nothing else."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

# Forwarding latency (host packet in -> last viewer's copy handed to the kernel), in seconds.
LATENCY_BUCKETS_S = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)


@dataclass
class Histogram:
    buckets: tuple[float, ...] = LATENCY_BUCKETS_S
    counts: list[int] = field(default_factory=list)  # per bucket, the last one is +Inf
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations at or below it), ending with +Inf."""
        bounds = [*self.buckets, float("inf")]
        running, result = 0, []
        for bound, count in zip(bounds, self.counts, strict=True):
            running += count
            result.append((bound, running))
        return result


@dataclass
class EgressCounters:
    packets: int = 0
    octets: int = 0
    dropped: int = 0  # not sent: the viewer waited for a keyframe after joining or lagging
    lagged: int = 0  # times the viewer's socket backed up and it was dropped to a keyframe
    retransmitted: int = 0  # packets re-sent on the viewer's NACK
    keyframe_requests: int = 0  # PLI/FIR from the viewer

    def add(self, other: EgressCounters) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ShowMetrics:
    viewers: int = 0
    packets_in: int = 0
    bytes_in: int = 0
    keyframe_requests_to_host: int = 0
    out: EgressCounters = field(default_factory=EgressCounters)
    latency: Histogram = field(default_factory=Histogram)
