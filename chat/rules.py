"""Chat rules in plain Python: what a valid message is and how fast one may send.

No Socket.IO here: the namespace calls these and turns ChatRefused into an ack error.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from server.core.domain.error_codes import GeneralCode, RoomCode
from server.core.domain.errors import DomainError, RateLimited, ValidationError


class ChatRefused(DomainError):
    pass


def clean_message(text: object, *, max_chars: int) -> str:
    """Normalise a chat line; refuse empty, oversized or non-text ones."""
    if not isinstance(text, str):
        raise ValidationError("text must be a string", code=GeneralCode.BAD_PAYLOAD)
    # Control characters (other than none) break rendering and logs; newlines fold to spaces.
    cleaned = "".join(
        " " if unicodedata.category(c) == "Cc" else c for c in unicodedata.normalize("NFC", text)
    ).strip()
    if not cleaned:
        raise ValidationError("message is empty", code=RoomCode.EMPTY)
    if len(cleaned) > max_chars:
        raise ValidationError(
            f"message is longer than {max_chars} characters", code=RoomCode.TOO_LONG
        )
    return cleaned


@dataclass
class TokenBucket:
    """`burst` sends at once, then one more every `refill_s` seconds."""

    burst: int
    refill_s: float
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _at: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._at = self.clock()

    def take(self) -> float:
        """Spend a token; return 0, or the seconds to wait when none is left (nothing spent)."""
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) / self.refill_s)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) * self.refill_s


@dataclass
class RateLimiter:
    """One bucket per sender key; idle buckets are forgotten so memory follows active senders."""

    burst: int
    refill_s: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def check(self, key: str) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_idle()
            bucket = self._buckets[key] = TokenBucket(self.burst, self.refill_s, self.clock)
        wait = bucket.take()
        if wait:
            raise RateLimited(f"slow down: try again in {wait:.1f} s")

    def _forget_idle(self) -> None:
        full_after = self.burst * self.refill_s
        now = self.clock()
        self._buckets = {k: b for k, b in self._buckets.items() if now - b._at < full_after}
