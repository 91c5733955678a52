"""What this process knows of which gate keys are sold out, so a stampede's losers are refused
from memory instead of costing a Redis round trip each.

Redis stays the one place that decides who gets units; the board only refuses, and only what
Redis already refused everyone: a key whose available count reached zero. It learns that two
ways (server/core/stock/redis_lua.py): every script that moves a key out of stock or back into
it bumps the key's `epoch` and publishes `<key> out|back <epoch>`, and a `sync` reads a key's
state, epoch and holders at once. A buyer whose reservation id is among the key's holders (a
retry of a winner, who must get their first order) is never refused here.

Every doubt lets the request through to Redis: a key never synced, a state older than `ttl`
(a flushed Redis re-seeds its keys, and their epochs start again), a sync that read an older
epoch than a message already announced, and a lost subscription (`reset`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

TTL_S = 5.0  # longest a sold-out state is trusted before it is read again


@dataclass(frozen=True)
class KeyState:
    out: bool
    epoch: int
    holders: frozenset[str]  # reservation ids that hold (or held) units of the key
    read_at: float


class SoldOutBoard:
    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = TTL_S) -> None:
        self._clock = clock
        self._ttl = ttl
        self._states: dict[str, KeyState] = {}
        self._heard: dict[str, int] = {}  # the highest epoch announced per key
        self.refused = 0

    def refuses(self, key: str, reservation_id: str) -> bool:
        """True when `key` is known sold out and this reservation is none of its holders."""
        state = self._fresh(key)
        if state is None or not state.out or reservation_id in state.holders:
            return False
        self.refused += 1
        return True

    def needs_sync(self, key: str) -> bool:
        return self._fresh(key) is None

    def synced(self, key: str, out: bool, epoch: int, holders: Iterable[str]) -> None:
        """A read of the key's state. One older than an announcement already heard is dropped:
        the announcement is newer (or Redis lost the key, and the next read starts afresh)."""
        heard = self._heard.get(key, 0)
        if epoch < heard:
            self._heard[key] = epoch
            self._states.pop(key, None)
            return
        self._states[key] = KeyState(out, epoch, frozenset(holders), self._clock())

    def heard(self, key: str, out: bool, epoch: int) -> None:
        """An announcement. Back in stock applies at once; out of stock waits for the next sync,
        which reads the holders with the state."""
        if key in self._heard and epoch <= self._heard[key]:
            return
        self._heard[key] = epoch
        state = self._states.get(key)
        if out:
            self._states.pop(key, None)
        elif state is None or state.epoch < epoch:
            self._states[key] = KeyState(False, epoch, frozenset(), self._clock())

    def reset(self) -> None:
        """The announcements stopped (the subscription was lost): trust nothing read so far."""
        self._states.clear()
        self._heard.clear()

    def _fresh(self, key: str) -> KeyState | None:
        state = self._states.get(key)
        if state is None or self._clock() - state.read_at >= self._ttl:
            return None
        return state
