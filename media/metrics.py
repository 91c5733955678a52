"""Per-show counters for /metrics: plain numbers the forwarding path bumps, nothing else, and
the collector that turns them into Prometheus series when /metrics is scraped."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

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


# Viewers' estimated bandwidth (REMB, else what reached them), in bits per second.
BANDWIDTH_BUCKETS_BPS = (1.5e5, 3e5, 5e5, 1e6, 2e6, 4e6, 8e6)


@dataclass
class LayerMetrics:
    """A simulcast show's viewers by layer, their switches and bandwidth estimates."""

    viewers: dict[str, int] = field(default_factory=dict)  # rid -> viewers on it
    audio_only: int = 0
    switches_up: int = 0
    switches_down: int = 0
    bandwidth: Histogram = field(default_factory=lambda: Histogram(BANDWIDTH_BUCKETS_BPS))


@dataclass
class ShowMetrics:
    viewers: int = 0
    packets_in: int = 0
    bytes_in: int = 0
    keyframe_requests_to_host: int = 0
    out: EgressCounters = field(default_factory=EgressCounters)
    latency: Histogram = field(default_factory=Histogram)
    layers: LayerMetrics = field(default_factory=LayerMetrics)


# name, type, help, value of one show's series (the names /metrics has always had)
SHOW_SERIES: tuple[tuple[str, str, str, Callable[[ShowMetrics], float]], ...] = (
    ("shopcast_stream_viewers", "gauge", "Viewers connected to the stream's media",
     lambda m: m.viewers),
    ("shopcast_stream_packets_in_total", "counter", "RTP packets received from the host",
     lambda m: m.packets_in),
    ("shopcast_stream_bytes_in_total", "counter", "RTP payload bytes received from the host",
     lambda m: m.bytes_in),
    ("shopcast_stream_packets_out_total", "counter", "RTP packets sent to viewers",
     lambda m: m.out.packets),
    ("shopcast_stream_bytes_out_total", "counter", "RTP payload bytes sent to viewers",
     lambda m: m.out.octets),
    ("shopcast_stream_packets_dropped_total", "counter",
     "Packets not sent to a viewer waiting for a keyframe (joining or lagging)",
     lambda m: m.out.dropped),
    ("shopcast_stream_viewer_lag_total", "counter",
     "Times a viewer's socket backed up and it was dropped to the next keyframe",
     lambda m: m.out.lagged),
    ("shopcast_stream_retransmitted_packets_total", "counter",
     "Packets re-sent to viewers on their NACKs", lambda m: m.out.retransmitted),
    ("shopcast_stream_viewer_keyframe_requests_total", "counter",
     "PLI/FIR received from viewers", lambda m: m.out.keyframe_requests),
    ("shopcast_stream_host_keyframe_requests_total", "counter",
     "Keyframe requests sent to the host (after coalescing)",
     lambda m: m.keyframe_requests_to_host),
)  # fmt: skip
LATENCY = "shopcast_stream_forwarding_latency_seconds"
LAYER_VIEWERS = "shopcast_stream_layer_viewers"
LAYER_SWITCHES = "shopcast_stream_layer_switches_total"
BANDWIDTH = "shopcast_stream_viewer_bandwidth_bps"


class MediaCollector(Collector):
    """The shows' counters as Prometheus series, read when scraped: the forwarding path keeps
    bumping plain numbers. A show has series while this process serves it; once it ends it is
    gone from the next scrape (and starts from zero if it comes back: a counter reset)."""

    def __init__(self, shows: Callable[[], Mapping[str, ShowMetrics]]) -> None:
        self._shows = shows  # MediaService.metrics

    def collect(self) -> Iterator[Metric]:
        shows = self._shows()
        yield GaugeMetricFamily("shopcast_media_shows", "Shows this process serves", len(shows))
        for name, kind, text, value in SHOW_SERIES:
            family = _FAMILIES[kind](name, text, labels=["stream"])
            for key, metrics in shows.items():
                family.add_metric([key], value(metrics))
            yield family
        latency = HistogramMetricFamily(
            LATENCY,
            "Host packet in to the last viewer's copy handed to the kernel",
            labels=["stream"],
        )
        for key, metrics in shows.items():
            buckets = [(_le(bound), seen) for bound, seen in metrics.latency.cumulative()]
            latency.add_metric([key], buckets, metrics.latency.total)
        yield latency
        yield from _layer_series(shows)


def _layer_series(shows: Mapping[str, ShowMetrics]) -> Iterator[Metric]:
    """Simulcast shows only: viewers per layer ("audio": audio only), switches, bandwidth."""
    layered = {key: m.layers for key, m in shows.items() if m.layers.viewers}
    viewers = GaugeMetricFamily(
        LAYER_VIEWERS, "Viewers receiving each simulcast layer", labels=["stream", "layer"]
    )
    switches = CounterMetricFamily(
        LAYER_SWITCHES, "Viewers' simulcast layer switches", labels=["stream", "direction"]
    )
    bandwidth = HistogramMetricFamily(
        BANDWIDTH, "Viewers' estimated bandwidth (REMB, else delivered)", labels=["stream"]
    )
    for key, layers in layered.items():
        for rid, count in layers.viewers.items():
            viewers.add_metric([key, rid], count)
        viewers.add_metric([key, "audio"], layers.audio_only)
        switches.add_metric([key, "up"], layers.switches_up)
        switches.add_metric([key, "down"], layers.switches_down)
        buckets = [(_le(bound), seen) for bound, seen in layers.bandwidth.cumulative()]
        bandwidth.add_metric([key], buckets, layers.bandwidth.total)
    yield viewers
    yield switches
    yield bandwidth


_FAMILIES = {"gauge": GaugeMetricFamily, "counter": CounterMetricFamily}


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
