"""What every part of the live room shares: its sockets, its rooms and how it reaches them.

chat/namespace.py is the room's namespace; chat/moderation_events.py its moderation events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import socketio

from chat import events
from chat.acks import error
from chat.batching import RoomBatcher
from chat.config import ChatConfig
from chat.fanout import FanoutManager
from chat.fingerprint import fingerprint_key
from chat.moderation import Person
from chat.moderation_bus import ModerationBus, Signal
from chat.moderation_store import ModerationStore, StreamRef
from chat.people import People
from chat.room_counters import RoomCounters
from chat.rules import RateLimiter
from chat.show_metrics import RoomMetrics
from server.core.domain.error_codes import RoomCode
from server.core.domain.errors import AuthRequired, Conflict
from server.core.domain.roles import Principal
from server.core.services import Services
from server.core.store.rows import Stream


@dataclass
class Member:
    """What this node knows about one socket."""

    principal: Principal | None
    fingerprint: str | None = None  # guests only (chat/fingerprint.py)
    stream_id: int | None = None
    staff: bool = False  # in the stream's staff room

    def is_one_of(self, keys: tuple[str, ...]) -> bool:
        """Is this socket the person known by any of these sanction keys?"""
        if self.principal is None:
            return False
        return not set(keys).isdisjoint(Person(self.principal, self.fingerprint).keys)


class RoomBase(socketio.AsyncNamespace):
    """The state of the room on this node and the helpers every handler uses."""

    def __init__(
        self,
        services: Services,
        config: ChatConfig,
        store: ModerationStore,
        bus: ModerationBus,
        counters: RoomCounters,
        secret: str,
    ) -> None:
        super().__init__("/")
        self._services = services
        self._config = config
        self._store = store
        self._bus = bus
        bus.attach(self._on_signal)
        self._counters = counters
        self._people = People(services.accounts, store)
        self._fingerprint_key = fingerprint_key(secret)
        self._members: dict[str, Member] = {}
        self._rooms: dict[int, set[str]] = defaultdict(set)
        self._chat_limiter = RateLimiter(config.rate_burst, config.rate_refill_s)
        self._buy_limiter = RateLimiter(burst=5, refill_s=1.0)
        self._like_limiter = RateLimiter(config.like_burst, config.like_refill_s)
        self._likes: dict[int, int] = defaultdict(int)  # per stream, added since the last tick
        self._show_metrics = RoomMetrics(services.show_reports, config.show_metrics)
        self._batcher = RoomBatcher(
            lambda event, data, room: self.emit(event, data, room=room),
            config.batch_window_s,
            size=self._room_size,
            writes_per_s=config.batch_writes_per_s,
            max_window_s=config.batch_window_max_s,
        )

    async def _on_signal(self, signal: Signal) -> None:
        """A moderation signal from any node (chat/moderation_bus.py); the moderation events
        act on it."""

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        """Route to `on_<event>`; an event this room does not know gets an error ack, not `[]`."""
        if not isinstance(event, str) or not hasattr(self, f"on_{event}"):
            return error(RoomCode.UNKNOWN_EVENT, f"no such event: {str(event)[:40]!r}")
        return await super().trigger_event(event, *args)

    def fanout_counts(self) -> dict[str, int]:
        """Room events and frames sent by this node, and how their copies reached sockets."""
        manager = self.server.manager if self.server is not None else None
        direct = manager.frames_direct if isinstance(manager, FanoutManager) else 0
        queued = manager.frames_queued if isinstance(manager, FanoutManager) else 0
        batcher = self._batcher
        return {
            "events": batcher.events,
            "frames": batcher.frames,
            "direct": direct,
            "queued": queued,
        }

    async def viewers(self, stream_id: int) -> int:
        """A show's room members on every node, as last counted (the staff console)."""
        local = len(self._rooms.get(stream_id, ()))
        return (await self._counters.totals(stream_id, local)).viewers

    def local_rooms(self) -> dict[int, int]:
        """This node's members per show (the staff console's health view without Redis)."""
        return {stream_id: len(sids) for stream_id, sids in self._rooms.items() if sids}

    def _room_size(self, room: str) -> int:
        """Sockets of this node in a Socket.IO room."""
        if self.server is None:
            return 0
        return len(self.server.manager.rooms.get(self.namespace, {}).get(room, ()))

    async def _to_room(
        self, stream_id: int, event: str, data: Any, replaces: str | None = None
    ) -> None:
        """`replaces`: a key of the value this event states (chat/batching.py)."""
        await self._batcher.send(events.stream_room(stream_id), event, data, replaces)

    async def _to_staff(self, stream_id: int, event: str, data: Any) -> None:
        await self._batcher.send(events.staff_room(stream_id), event, data)

    async def _leave(self, sid: str) -> None:
        member = self._member(sid)
        if member.stream_id is not None:
            self._rooms[member.stream_id].discard(sid)
            self._show_metrics.left(member.stream_id, sid, member.principal)
            await self.leave_room(sid, events.stream_room(member.stream_id))
            if member.staff:
                await self.leave_room(sid, events.staff_room(member.stream_id))
                member.staff = False
            member.stream_id = None

    def _member(self, sid: str) -> Member:
        return self._members.setdefault(sid, Member(None))

    def _joined_as(self, sid: str) -> tuple[int, Principal]:
        member = self._member(sid)
        if member.stream_id is None:
            raise Conflict("join a stream first", code=RoomCode.NOT_JOINED)
        if member.principal is None:
            raise AuthRequired("sign in or continue as a guest first")
        return member.stream_id, member.principal

    async def _stream_of(self, sid: str) -> tuple[Stream, Principal]:
        stream_id, principal = self._joined_as(sid)
        return await self._services.streams.get(stream_id), principal

    def _signed_in(self, sid: str) -> Principal:
        principal = self._member(sid).principal
        if principal is None:
            raise AuthRequired("sign in first")
        return principal


def stream_ref(stream: Stream) -> StreamRef:
    return StreamRef(stream.id, stream.host_id, stream.language)


def iso_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat()
