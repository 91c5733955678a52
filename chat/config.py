"""The room layer's section of the configuration tree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChatConfig:
    max_message_chars: int = 500
    # Token bucket per person: a burst of `rate_burst` messages, then one every `rate_refill_s`.
    rate_burst: int = 5
    rate_refill_s: float = 1.0
    recent_messages: int = 50
    # Largest Socket.IO frame a client may send: chat lines and buy requests are small.
    max_payload_bytes: int = 16 * 1024
    # Redis pub/sub channel the nodes of one deployment share (channels ignore Redis db numbers).
    redis_channel: str = "shopcast"
