"""A simulcast show's layers as the relay sees them, and each viewer's choice among them.

`LayerState` keeps, per layer of the host, its current GOP (for joining viewers), its
bitrate and whether it flows (a browser stops its top layers when its uplink is short).
`Selection` runs every viewer's LayerSelector twice a second on what its receiver reported
(receiver reports, NACKs, REMB) and the page's player size, and sets the viewer's target
layer; the fan-out switches it at that layer's next keyframe (media.broadcast).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from media.egress import Egress
from media.gop_cache import GopCache
from media.layer_selector import (
    AUDIO_ONLY,
    Layers,
    LayerSelector,
    SelectorConfig,
    layer_for_size,
)
from media.metrics import LayerMetrics
from media.packets import ShowPacket
from media.simulcast import LAYER_SCALE

logger = logging.getLogger(__name__)

FLOWING_S = 1.0  # a layer with no packet for this long is not offered
SEEN = 1024  # a power of 2
ASSUMED_FULL_HEIGHT = 720  # the full layer's height until a VP8 keyframe tells it
VP8_START = b"\x9d\x01\x2a"


@dataclass
class _Layer:
    rid: str
    gop: GopCache
    octets: int = 0  # since the last measure
    bitrate: int = 0  # bps, smoothed
    last_arrival: float = float("-inf")
    height: int = 0  # from its keyframes (VP8), 0 while unknown
    # The sequence numbers seen lately: a browser probes its bandwidth by sending packets
    # again (as RTX), which viewers must not get twice.
    seen: list[int] = field(default_factory=lambda: [-1] * SEEN)


class LayerState:
    def __init__(self, gop_packets: int, gop_age_s: float) -> None:
        self._gop_packets = gop_packets
        self._gop_age_s = gop_age_s
        self._layers: list[_Layer] = []
        self._measured_at = time.perf_counter()

    @property
    def count(self) -> int:
        """How many layers the host sends (0: one, without simulcast)."""
        return len(self._layers)

    @property
    def rids(self) -> tuple[str, ...]:
        return tuple(layer.rid for layer in self._layers)

    def new_host(self, rids: tuple[str, ...]) -> None:
        gop = (self._gop_packets, self._gop_age_s)
        self._layers = [_Layer(rid, GopCache(*gop)) for rid in rids] if len(rids) > 1 else []

    def first_time(self, index: int, seq: int) -> bool:
        """Whether `seq` of layer `index` is new (not a copy sent again to probe bandwidth)."""
        seen = self._layers[index].seen
        if seen[seq & (SEEN - 1)] == seq:
            return False
        seen[seq & (SEEN - 1)] = seq
        return True

    def add(self, index: int, packet: ShowPacket, mime_type: str) -> None:
        layer = self._layers[index]
        layer.gop.add(packet)
        layer.octets += packet.size
        layer.last_arrival = packet.arrival
        if packet.keyframe and mime_type.lower() == "video/vp8":
            layer.height = _vp8_height(packet.payload) or layer.height

    def fresh_gop(self, index: int, now: float) -> list[ShowPacket]:
        if not 0 <= index < len(self._layers):
            return []
        return self._layers[index].gop.fresh(now)

    def measure(self, now: float) -> Layers:
        """Each layer's bitrate since the last measure (smoothed) and whether it flows."""
        elapsed = max(now - self._measured_at, 1e-3)
        self._measured_at = now
        for layer in self._layers:
            rate = int(layer.octets * 8 / elapsed)
            layer.bitrate = rate if not layer.bitrate else (layer.bitrate * 3 + rate) // 4
            layer.octets = 0
        return Layers(
            [layer.bitrate for layer in self._layers],
            [now - layer.last_arrival < FLOWING_S for layer in self._layers],
        )

    def heights(self) -> list[int]:
        full = next((x.height for x in reversed(self._layers) if x.height), 0)
        full = full or ASSUMED_FULL_HEIGHT
        return [x.height or int(full * LAYER_SCALE.get(x.rid, 1.0)) for x in self._layers]


@dataclass
class _Choice:
    video: Egress
    audio: Egress | None
    selector: LayerSelector
    player_height: int | None = None
    packets: int = 0
    nacked: int = 0
    octets: int = 0
    estimate_bps: int = 0


@dataclass
class ViewState:
    """What a viewer's page is told: its layer, and whether its link holds only audio."""

    layer: str | None
    audio_only: bool
    layers: tuple[str, ...]


@dataclass
class Selection:
    config: SelectorConfig
    every_s: float
    ask_for_keyframe: Callable[[], None]
    clock: Callable[[], float] = time.perf_counter
    _choices: dict[str, _Choice] = field(default_factory=dict)
    _timer: Any = None
    _layers: LayerState | None = None
    _gone_ups: int = 0
    _gone_downs: int = 0

    def new_host(self, layers: LayerState, video: Mapping[str, Egress]) -> None:
        self._layers = layers
        if not layers.count:
            for choice in self._choices.values():
                choice.video.layer = choice.video.target = 0
            self._forget_all()
            return
        for session_id, egress in video.items():
            if session_id not in self._choices:
                self._add(session_id, egress, None, layers)
        self._start()

    def add(self, session_id: str, egresses: list[Egress], layers: LayerState) -> None:
        self._layers = layers
        video = next((e for e in egresses if e.kind == "video"), None)
        audio = next((e for e in egresses if e.kind == "audio"), None)
        if video is not None and layers.count:
            self._add(session_id, video, audio, layers)
            self._start()

    def remove(self, session_id: str) -> None:
        choice = self._choices.pop(session_id, None)
        if choice is not None:
            self._gone_ups += choice.selector.ups
            self._gone_downs += choice.selector.downs

    def view(self, session_id: str, player_height: int | None) -> ViewState | None:
        """The page's player size (device pixels; None: no limit) and what the viewer gets."""
        choice = self._choices.get(session_id)
        layers = self._layers
        if choice is None or layers is None or not layers.count:
            return None
        choice.player_height = player_height
        self._apply_size(choice, layers)
        return self._state(choice, layers)

    def state(self, session_id: str) -> ViewState | None:
        choice = self._choices.get(session_id)
        if choice is None or self._layers is None or not self._layers.count:
            return None
        return self._state(choice, self._layers)

    def tick(self) -> None:
        """Choose every viewer's layer again from what its receiver said since the last tick."""
        layers = self._layers
        if layers is None or not layers.count:
            return
        now = self.clock()
        measured = layers.measure(now)
        for choice in self._choices.values():
            self._apply_size(choice, layers)
            loss, remb = self._feedback(choice)
            target = choice.selector.report(now, loss, measured, remb)
            self._retarget(choice, target)

    def metrics(self, layers: LayerState, video: Mapping[str, Egress]) -> LayerMetrics:
        out = LayerMetrics(switches_up=self._gone_ups, switches_down=self._gone_downs)
        if not layers.count:
            return out
        out.viewers = dict.fromkeys(layers.rids, 0)
        for choice in self._choices.values():
            layer = choice.video.layer
            if layer == AUDIO_ONLY:
                out.audio_only += 1
            elif 0 <= layer < layers.count:
                out.viewers[layers.rids[layer]] += 1
            out.switches_up += choice.selector.ups
            out.switches_down += choice.selector.downs
            if choice.estimate_bps:
                out.bandwidth.observe(choice.estimate_bps)
        return out

    def close(self) -> None:
        self._forget_all()

    # -- inside ----------------------------------------------------------------------------

    def _add(
        self, session_id: str, video: Egress, audio: Egress | None, layers: LayerState
    ) -> None:
        start = min(1, layers.count - 1)  # the middle layer: probe up from there
        selector = LayerSelector(self.config, start, self.clock())
        selector.max_layer = layers.count - 1
        video.layer = video.target = start
        video.live = False
        self._choices[session_id] = _Choice(video, audio, selector)

    def _apply_size(self, choice: _Choice, layers: LayerState) -> None:
        top = layers.count - 1
        if choice.player_height:
            top = layer_for_size(choice.player_height, layers.heights())
        choice.selector.max_layer = top

    def _feedback(self, choice: _Choice) -> tuple[float, int | None]:
        video = choice.video
        reports = [e.feedback.loss for e in (video, choice.audio) if e is not None]
        loss = max((x for x in reports if x is not None), default=0.0)
        sent = video.packets - choice.packets
        nacked = video.feedback.nacked - choice.nacked
        if sent > 0:
            loss = max(loss, min(1.0, nacked / sent))
        octets = video.octets - choice.octets
        remb = video.feedback.remb_bps
        delivered = int(octets * 8 / self.every_s * (1 - loss))
        choice.estimate_bps = remb if remb is not None else delivered
        choice.packets, choice.nacked, choice.octets = (
            video.packets,
            video.feedback.nacked,
            video.octets,
        )
        for egress in (video, choice.audio):
            if egress is not None:
                egress.feedback.loss = None  # each report counts once
        video.feedback.remb_bps = None
        return loss, remb

    def _retarget(self, choice: _Choice, target: int) -> None:
        video = choice.video
        if target == video.target:
            return
        video.target = target
        if target == AUDIO_ONLY:
            video.layer = AUDIO_ONLY  # stop the video now; audio goes on
        else:
            self.ask_for_keyframe()  # the switch waits for the target layer's keyframe

    def _state(self, choice: _Choice, layers: LayerState) -> ViewState:
        layer = choice.video.target
        rid = layers.rids[layer] if 0 <= layer < layers.count else None
        return ViewState(rid, layer == AUDIO_ONLY, layers.rids)

    def _start(self) -> None:
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous test): tick() is called by hand

        def run() -> None:
            try:
                self.tick()
            except Exception:
                logger.exception("choosing the viewers' simulcast layers failed")
            self._timer = loop.call_later(self.every_s, run)

        self._timer = loop.call_later(self.every_s, run)

    def _forget_all(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for session_id in list(self._choices):
            self.remove(session_id)


def _vp8_height(payload: bytes) -> int:
    """A VP8 keyframe's height from its first RTP packet (RFC 6386 9.1), 0 if not there."""
    start = payload.find(VP8_START, 0, 16)
    if start < 0 or len(payload) < start + 7:
        return 0
    return int.from_bytes(payload[start + 5 : start + 7], "little") & 0x3FFF
