"""Which simulcast layer one viewer gets: plain rules on what its receiver reports.

Down fast: a report with heavy loss (receiver reports' fraction lost, or the share of packets
it NACKs) or a REMB below the layer's bitrate steps down at once, one layer per
`down_interval_s` while it lasts; below the lowest layer the viewer gets audio only. Up
slowly: after `up_after_s` without loss it probes one layer up; a probe that meets loss within
`probe_s` steps back and doubles the wait (up to `longest_up_after_s`), a probe that holds
resets it. Never above the layer the viewer's player is big enough to show, nor a layer the
host is not sending now.

REMB: up only when it exceeds the next layer's bitrate (`remb_headroom`); during a probe the
estimate is still catching up with the new rate, so only a REMB below the layer it came from
(or loss) fails it; otherwise a REMB clearly below the current layer (`remb_down`) steps down.
A viewer on audio only gets no video, so its last REMB is stale: the probe back to video
waits only for a clean spell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

AUDIO_ONLY = -1


@dataclass(frozen=True)
class SelectorConfig:
    heavy_loss: float = 0.08  # a report at or above this steps down
    clean_loss: float = 0.02  # a report below this counts as a clean one
    down_interval_s: float = 1.0
    up_after_s: float = 4.0
    longest_up_after_s: float = 30.0
    probe_s: float = 3.0
    remb_headroom: float = 1.15  # a REMB must exceed the next layer's bitrate by this to go up
    remb_down: float = 0.9  # a REMB below this share of the layer's bitrate steps down


@dataclass(frozen=True)
class Layers:
    """What the host sends now: each layer's bitrate (bps, lowest first) and whether it flows."""

    bitrates: Sequence[int]
    flowing: Sequence[bool]

    @property
    def highest_flowing(self) -> int:
        return max((i for i, f in enumerate(self.flowing) if f), default=AUDIO_ONLY)


class LayerSelector:
    def __init__(self, config: SelectorConfig, start: int, now: float) -> None:
        self._config = config
        self.current = start
        self._changed_at = now
        self._last_down = float("-inf")
        self._clean_since = now
        self._up_after_s = config.up_after_s
        self._probing_until = float("-inf")
        self._remb: int | None = None
        self.max_layer = start  # from the player's size: the page says how big it is
        self.ups = self.downs = 0

    def report(self, now: float, loss: float, layers: Layers, remb_bps: int | None = None) -> int:
        """A receiver report (loss: fraction 0..1 of the last interval); the layer to send."""
        if remb_bps is not None:
            self._remb = remb_bps
        if loss >= self._config.heavy_loss or self._over_remb(now, layers):
            self._clean_since = now
            if now - self._last_down >= self._config.down_interval_s:
                if now < self._probing_until:  # the probe failed: wait longer next time
                    self._up_after_s = min(self._up_after_s * 2, self._config.longest_up_after_s)
                    self._probing_until = float("-inf")
                self._step(now, self.current - 1, down=True)
        elif loss >= self._config.clean_loss:
            self._clean_since = now
        return self.choose(now, layers)

    def choose(self, now: float, layers: Layers) -> int:
        """The layer to send now: probe up when clean long enough, within what the page and
        the host allow."""
        ceiling = min(self.max_layer, layers.highest_flowing)
        if self.current > ceiling:
            self._step(now, ceiling, down=True)
        elif (
            self.current < ceiling
            and now - max(self._clean_since, self._changed_at) >= self._up_after_s
            and self._remb_allows(self.current + 1, layers)
        ):
            if self._probing_until != float("-inf") and now >= self._probing_until:
                self._up_after_s = self._config.up_after_s  # the last probe held
            self._step(now, self.current + 1, down=False)
            self._probing_until = now + self._config.probe_s
        elif self.current >= 0 and not layers.flowing[self.current]:
            below = [i for i in range(self.current) if layers.flowing[i]]
            self._step(now, below[-1] if below else ceiling, down=True)
        return self.current

    def _step(self, now: float, layer: int, down: bool) -> None:
        layer = max(AUDIO_ONLY, layer)
        if layer == self.current:
            return
        self.current = layer
        self._changed_at = now
        if down:
            self._last_down = now
            self.downs += 1
        else:
            self.ups += 1

    def _over_remb(self, now: float, layers: Layers) -> bool:
        if self._remb is None or self.current < 0 or self.current >= len(layers.bitrates):
            return False
        judged = self.current
        if now < self._probing_until:  # the estimate is still catching up with the probe
            judged -= 1
            if judged < 0:
                return False
        return self._remb < layers.bitrates[judged] * self._config.remb_down

    def _remb_allows(self, layer: int, layers: Layers) -> bool:
        if self._remb is None or layer < 0 or layer >= len(layers.bitrates):
            return True
        if self.current == AUDIO_ONLY:
            return True  # no video reaches it: its REMB is stale, the probe will tell
        return self._remb >= layers.bitrates[layer] * self._config.remb_headroom


def layer_for_size(player_height: int, heights: Sequence[int]) -> int:
    """The smallest layer at least as tall as the player (device pixels), else the tallest.
    `heights` lowest first."""
    for index, height in enumerate(heights):
        if height >= player_height:
            return index
    return len(heights) - 1
