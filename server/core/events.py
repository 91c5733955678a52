"""Domain events: what the services tell whoever listens, once a change is committed.

The services are the only source: order placing and the order lifecycle, deals, streams and
pins publish here after their transaction commits, never before and never when it fails. The
live room (chat/) subscribes in the composition root and turns each event into its wire
events; webhooks, analytics or the media side may subscribe the same way. A listener's fault
is logged and never reaches the request that made the change: the change has happened.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from server.core.domain.auctions import AuctionState
from server.core.store.rows import Auction, FlashDeal, Giveaway, Order, Poll

logger = logging.getLogger(__name__)


class DealChange(StrEnum):
    STARTED = "started"
    ENDED = "ended"


class Publisher(StrEnum):
    """Whether the show's host is sending media (the room shows "host reconnecting")."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class PurchasePlaced:
    """A new order (not a retry's): the units left of each product it bought from and the
    deals it bought at (their `sold` counts it)."""

    order: Order
    buyer: str  # the buyer's subject, "u:<id>"
    stock: Mapping[int, int] = field(default_factory=dict)  # product id -> units left
    deals: tuple[FlashDeal, ...] = ()


@dataclass(frozen=True)
class OrderChanged:
    """An order's status moved (paid, cancelled, refunded...). `stock`: the units on the
    shelf of its products when the move put stock back (cancelled, refunded), else empty."""

    order: Order
    stock: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DealChanged:
    deal: FlashDeal
    change: DealChange
    at: datetime


@dataclass(frozen=True)
class StreamStatusChanged:
    stream_id: int
    status: str  # server.core.domain.streams.StreamStatus
    publisher: Publisher


@dataclass(frozen=True)
class ProductPinned:
    stream_id: int
    product_id: int
    pins: tuple[int, ...]  # every pinned product after it, oldest pin first


@dataclass(frozen=True)
class ProductUnpinned:
    stream_id: int
    product_id: int


@dataclass(frozen=True)
class ReplayChanged:
    """A show's replay setting changed, or staff took its replay down (or put it back)."""

    stream_id: int
    replay: str  # server.core.domain.replays.ReplaySetting
    taken_down: bool


class AuctionChange(StrEnum):
    STARTED = "started"
    BID = "bid"  # a bid moved the price, the lead or the end
    ENDED = "ended"  # the result is in (sold, reserve not met, no bids)
    OFFERED = "offered"  # the winner did not pay: offered to the next bidder, or unsold


@dataclass(frozen=True)
class AuctionChanged:
    """An auction's state as its book decided it (`leader_name` unmasked: the room masks it)."""

    auction: Auction
    state: AuctionState
    leader_name: str | None
    change: AuctionChange


@dataclass(frozen=True)
class GiveawayChanged:
    """A giveaway started, counted a new entry (`entrants` is the row's count), or was drawn."""

    giveaway: Giveaway
    at: datetime


@dataclass(frozen=True)
class PollChanged:
    """A poll opened, got a vote (its options carry their counts), or closed."""

    poll: Poll
    at: datetime


DomainEvent = (
    PurchasePlaced
    | OrderChanged
    | DealChanged
    | StreamStatusChanged
    | ProductPinned
    | ProductUnpinned
    | ReplayChanged
    | AuctionChanged
    | GiveawayChanged
    | PollChanged
)
Listener = Callable[[DomainEvent], Awaitable[None]]


class DomainEvents:
    """The port: listeners hear every event, in the order published, one after another."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def publish(self, event: DomainEvent) -> None:
        """Tell every listener; call it only after the change's transaction committed."""
        for listener in self._listeners:
            try:
                await listener(event)
            except Exception:
                logger.exception("a listener failed on %s", type(event).__name__)
