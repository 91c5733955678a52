"""One show's fan-out: each host RTP packet is built once and sent to every viewer.

The host's packets arrive here as they come off the wire (no frame assembly, so nothing waits
for a frame to complete). Each becomes one ShowPacket on the show's own SSRC and timeline;
each viewer's Egress only renumbers, protects and sends it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from media.egress import Egress
from media.gop_cache import GopCache, squeezed
from media.keyframes import KeyframeRequests, starts_keyframe
from media.layer_selector import AUDIO_ONLY, SelectorConfig
from media.metrics import EgressCounters, ShowMetrics
from media.packets import TIMESTAMP_SPACE, ShowPacket
from media.simulcast_fanout import LayerState, Selection


@dataclass(frozen=True)
class BroadcastConfig:
    keyframe_interval_s: float = 0.5  # at most one keyframe request to the host per interval
    gop_cache_packets: int = 2000  # a longer GOP is not cached (about 2 MB)
    gop_cache_age_s: float = 1.5  # an older keyframe is not replayed: ask the host for one
    max_queued_bytes: int = 256 * 1024  # a viewer's socket backlog before it drops to keyframe
    selector: SelectorConfig = field(default_factory=SelectorConfig)  # simulcast layer choice
    select_every_s: float = 0.5  # how often each simulcast viewer's layer is chosen again


@dataclass
class _Feed:
    """One kind of media of the show: its codec, SSRCs, timeline and viewers."""

    kind: str
    mime_type: str = ""
    clock_rate: int = 90000
    ssrc: int = field(default_factory=lambda: random.getrandbits(32))
    rtx_ssrc: int = field(default_factory=lambda: random.getrandbits(32))
    egresses: dict[str, Egress] = field(default_factory=dict)
    # The show's timestamps continue across hosts: host timestamp + offset. Each simulcast
    # layer has its own (its encoder numbers its own timeline): placed by its first arrival.
    offsets: dict[int, int] = field(default_factory=dict)
    last: tuple[int, float] | None = None  # (last timestamp sent, when it arrived)

    def timestamp(self, host_timestamp: int, arrival: float, layer: int = 0) -> int:
        offset = self.offsets.get(layer)
        if offset is None:
            offset = 0
            if self.last is not None:
                # A new host (or layer) starts where the last one stopped, plus the time in
                # between.
                sent, then = self.last
                ahead = sent + int((arrival - then) * self.clock_rate) + 1
                offset = (ahead - host_timestamp) % TIMESTAMP_SPACE
            self.offsets[layer] = offset
        timestamp = (host_timestamp + offset) % TIMESTAMP_SPACE
        self.last = (timestamp, arrival)
        return timestamp


class Broadcast:
    def __init__(
        self,
        config: BroadcastConfig,
        ask_host_for_keyframe: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._feeds = {"audio": _Feed("audio"), "video": _Feed("video")}
        self.keyframes = KeyframeRequests(ask_host_for_keyframe, config.keyframe_interval_s, clock)
        self._gop = GopCache(config.gop_cache_packets, config.gop_cache_age_s)
        self._metrics = ShowMetrics()
        self._gone = EgressCounters()  # what viewers that left had sent
        # Simulcast: the host's layers (empty: one layer) and each video viewer's choice.
        self.layers = LayerState(config.gop_cache_packets, config.gop_cache_age_s)
        self.selection = Selection(config.selector, config.select_every_s, self.keyframes.request)

    def ssrcs(self, kind: str) -> tuple[int, int]:
        """The SSRCs every viewer hears for `kind` (media, retransmission)."""
        feed = self._feeds[kind]
        return feed.ssrc, feed.rtx_ssrc

    def new_host(self, codecs: dict[str, tuple[str, int]], layers: tuple[str, ...] = ()) -> None:
        """A host (re)starts feeding the show with `codecs` (kind -> mime type, clock rate)
        and simulcast `layers` (rids, lowest first; none: one layer): viewers still connected
        resume at its first keyframe, on a timeline moving forward."""
        for kind, feed in self._feeds.items():
            feed.mime_type, feed.clock_rate = codecs.get(kind, (feed.mime_type, feed.clock_rate))
            feed.offsets.clear()
            for egress in feed.egresses.values():
                egress.live = False
        self._gop.clear()
        self.layers.new_host(layers)
        self.selection.new_host(self.layers, self._feeds["video"].egresses)
        if self._feeds["video"].egresses:
            self.keyframes.request()

    def add_viewer(self, session_id: str, egresses: list[Egress]) -> None:
        for egress in egresses:
            self._feeds[egress.kind].egresses[session_id] = egress
        self.selection.add(session_id, egresses, self.layers)

    def viewer_connected(self, session_id: str) -> None:
        """The viewer's DTLS is up: give it the cached GOP now rather than at the next packet."""
        for feed in self._feeds.values():
            egress = feed.egresses.get(session_id)
            if egress is not None and not egress.connected and egress.connect():
                self._admit(feed, egress)

    def remove_viewer(self, session_id: str) -> None:
        for feed in self._feeds.values():
            egress = feed.egresses.pop(session_id, None)
            if egress is not None:
                self._gone.add(egress.counters())
        self.selection.remove(session_id)

    @property
    def viewer_count(self) -> int:
        return len(self._feeds["audio"].egresses.keys() | self._feeds["video"].egresses.keys())

    def forward_packet(
        self, kind: str, seq: int, timestamp: int, marker: bool, payload: bytes, arrival: float
    ) -> None:
        """Called on the event loop for every host packet (arrival: time.perf_counter())."""
        if kind == "video" and self.layers.count:
            return  # a simulcast host's video comes through forward_layer_packet
        feed = self._feeds[kind]
        keyframe = starts_keyframe(feed.mime_type, payload)
        packet = ShowPacket(
            seq, feed.timestamp(timestamp, arrival), marker, payload, feed.ssrc, keyframe, arrival
        )
        metrics = self._metrics
        metrics.packets_in += 1
        metrics.bytes_in += len(payload)
        if kind == "video":
            self._gop.add(packet)
            if keyframe:
                self.keyframes.satisfied()
        wants_keyframe = False
        for egress in feed.egresses.values():
            try:
                if egress.live:
                    egress.send(packet)
                    continue
                if not egress.connected:
                    if not egress.connect():
                        continue
                    self._admit(feed, egress)  # may replay the cached GOP, which has this packet
                    if egress.live:
                        continue
                if keyframe:
                    egress.start(packet)
                    egress.send(packet)
                else:
                    egress.dropped += 1
                    wants_keyframe = True
            except Exception:  # one viewer's broken session must not stop the others
                egress.fail()
        if wants_keyframe:  # a viewer joined or lagged: ask the host (coalesced)
            self.keyframes.request()
        metrics.latency.observe(time.perf_counter() - arrival)

    def forward_layer_packet(
        self, layer: int, seq: int, timestamp: int, marker: bool, payload: bytes, arrival: float
    ) -> None:
        """A simulcast host's video packet of `layer` (0: lowest): sent to the viewers on that
        layer, and to those switching to it once its keyframe starts."""
        if not payload or not self.layers.first_time(layer, seq):
            return  # padding, or a copy the host sent to probe its bandwidth
        feed = self._feeds["video"]
        keyframe = starts_keyframe(feed.mime_type, payload)
        packet = ShowPacket(
            seq,
            feed.timestamp(timestamp, arrival, layer),
            marker,
            payload,
            feed.ssrc,
            keyframe,
            arrival,
        )
        metrics = self._metrics
        metrics.packets_in += 1
        metrics.bytes_in += len(payload)
        self.layers.add(layer, packet, feed.mime_type)
        if keyframe:
            self.keyframes.satisfied()
        wants_keyframe = False
        for egress in feed.egresses.values():
            try:
                if egress.layer != layer:
                    if egress.target == layer and keyframe and egress.connected:
                        egress.switch(packet, layer)
                        egress.send(packet)
                    continue
                if egress.live:
                    egress.send(packet)
                    continue
                if not egress.connected:
                    if not egress.connect():
                        continue
                    self._admit(feed, egress)
                    if egress.live:
                        continue
                if egress.target != layer:  # not sending: nothing to keep, wait for the target
                    egress.layer = egress.target
                elif keyframe:
                    egress.switch(packet, layer)
                    egress.send(packet)
                else:
                    egress.dropped += 1
                    wants_keyframe = True
            except Exception:  # one viewer's broken session must not stop the others
                egress.fail()
        if wants_keyframe:
            self.keyframes.request()
        metrics.latency.observe(time.perf_counter() - arrival)

    def metrics(self) -> ShowMetrics:
        out = EgressCounters()
        out.add(self._gone)
        for feed in self._feeds.values():
            for egress in feed.egresses.values():
                out.add(egress.counters())
        self._metrics.viewers = self.viewer_count
        self._metrics.keyframe_requests_to_host = self.keyframes.sent
        self._metrics.out = out
        self._metrics.layers = self.selection.metrics(self.layers, self._feeds["video"].egresses)
        return self._metrics

    def close(self) -> None:
        self.keyframes.cancel()
        self.selection.close()
        self._gop.clear()
        for feed in self._feeds.values():
            feed.egresses.clear()

    def _admit(self, feed: _Feed, egress: Egress) -> None:
        """A viewer just became reachable: video starts from the cached GOP when it is young,
        else waits for the keyframe it asks for; audio starts at the next packet."""
        if feed.kind != "video" or egress.target == AUDIO_ONLY:
            return
        if self.layers.count:
            cached = self.layers.fresh_gop(egress.target, time.perf_counter())
            egress.layer = egress.target
        else:
            cached = self._gop.fresh(time.perf_counter())
        if not cached:
            self.keyframes.request()
            return
        burst = squeezed(cached, feed.ssrc)
        egress.start(burst[0])
        for packet in burst:
            egress.send(packet)
