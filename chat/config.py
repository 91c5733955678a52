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
    # Likes: a burst of `like_burst` taps per person, then one every `like_refill_s`.
    like_burst: int = 20
    like_refill_s: float = 0.1
    # A busy room's events within this window leave as one frame per viewer (chat/batching.py);
    # a big room's window widens so that one room costs at most `batch_writes_per_s` socket
    # writes a second on a node, up to `batch_window_max_s`.
    batch_window_s: float = 0.05
    batch_writes_per_s: float = 50_000
    batch_window_max_s: float = 0.2
    # How often viewer counts and like totals go out (only when they changed).
    counters_period_s: float = 0.5
    # Engine.IO transports offered: several workers behind one port serve WebSocket only, since
    # a long-polling session's requests may reach another worker (server/edge/workers.py).
    transports: tuple[str, ...] = ("polling", "websocket")
    # Largest Socket.IO frame a client may send: chat lines and buy requests are small.
    max_payload_bytes: int = 16 * 1024
    # Redis pub/sub channel the nodes of one deployment share (channels ignore Redis db numbers).
    redis_channel: str = "shopcast"
    # Proxies of this deployment in front of the app that append X-Forwarded-For: a guest's
    # address (for their fingerprint) is the entry this many from the right. 0: the TCP peer.
    trusted_proxy_hops: int = 0
    # Collect the show report's audience events (viewer sessions, card views, likes per
    # second; server/core/services/show_reports.py). Off: the report has no audience figures.
    show_metrics: bool = True
