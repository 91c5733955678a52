"""The room's giveaway events: the host or staff start one and may end its window early;
signed-in viewers enter by a tap, or by writing the keyword in chat (`enter_by_keyword`, called
from the chat send path); every node draws the giveaways that are due, and the first to claim
one draws it (docs/protocol.md "Giveaways").

What the service changes reaches the room as `giveaway_updated`, coalesced per batch window
with the giveaway's key, like stock updates (chat/domain_events.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from chat import events
from chat.acks import Ack, acked, ok
from chat.moderation import Person, PlatformModeration, SanctionKind, StreamModeration, admission
from chat.moderation_events import ModerationEvents
from chat.permissions import Action
from chat.room_base import stream_ref
from chat.rules import RateLimiter
from server.contract.giveaways import EnterGiveaway, GiveawayRef, NewGiveaway, giveaway_view
from server.core.domain.error_codes import GiveawayCode, RoomCode
from server.core.domain.errors import Conflict, DomainError, NotFound
from server.core.domain.giveaways import Eligibility, EntryWay, counts, says_keyword
from server.core.domain.roles import Principal, Role
from server.core.events import DomainEvent, DomainEvents, GiveawayChanged
from server.core.store.rows import Giveaway, Stream, as_utc, utcnow

logger = logging.getLogger(__name__)

ENTRY_BURST = 5  # a person's entry taps at once, then one a second
KEYWORD_CACHE_S = 1.0  # how old this node's idea of a show's keyword giveaway may be
DRAW_PERIOD_S = 0.5


class GiveawaysRoom(ModerationEvents):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._entry_limiter = RateLimiter(burst=ENTRY_BURST, refill_s=1.0)
        self._keyword_giveaways: dict[int, tuple[float, Giveaway | None]] = {}

    def listen_to(self, port: DomainEvents) -> None:
        super().listen_to(port)  # type: ignore[misc]
        port.subscribe(self._hear_giveaway)

    async def _hear_giveaway(self, event: DomainEvent) -> None:
        if isinstance(event, GiveawayChanged):
            giveaway = event.giveaway
            view = {"giveaway": giveaway_view(giveaway, event.at)}
            key = f"giveaway:{giveaway.id}"
            await self._to_room(giveaway.stream_id, events.GIVEAWAY_UPDATED, view, key)

    @acked
    async def on_start_giveaway(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        await self._may(stream, principal, Action.PIN)  # the host and the stream's staff
        terms = NewGiveaway.parse(data).terms()
        now = utcnow()
        giveaway = await self._services.giveaways.start(stream.id, terms, now)
        self._keyword_giveaways.pop(stream.id, None)
        return ok(giveaway=giveaway_view(giveaway, now))

    @acked
    async def on_end_giveaway(self, sid: str, data: Any) -> Ack:
        """Close the entry window now and draw."""
        stream, principal = await self._stream_of(sid)
        giveaway_id = GiveawayRef.parse(data).giveaway_id
        await self._may(stream, principal, Action.PIN)
        giveaway = await self._giveaway_in(stream, giveaway_id)
        service = self._services.giveaways
        await service.close_now(giveaway.id, utcnow())
        await self._draw(stream, giveaway.id)
        return ok(giveaway=giveaway_view(await service.get(giveaway.id), utcnow()))

    @acked
    async def on_enter_giveaway(self, sid: str, data: Any) -> Ack:
        """A tap: `{entered: true}` for a banned or shadow-banned person too (not counted)."""
        stream, principal = await self._stream_of(sid)
        wanted = EnterGiveaway.of(data)
        self._entry_limiter.check(principal.subject)
        service = self._services.giveaways
        giveaway = (
            await self._giveaway_in(stream, wanted)
            if wanted is not None
            else await service.latest(stream.id)
        )
        if giveaway is None:
            raise NotFound("no giveaway in this show", code=GiveawayCode.GIVEAWAY_NOT_FOUND)
        entered = await self._enter(sid, stream, principal, giveaway, EntryWay.TAP)
        view = giveaway_view(entered.giveaway, utcnow())
        if not await self._counted(sid, stream, principal):
            view["entrants"] = view["entrants"] + 1  # what they would see had it counted
        return ok(entered=True, created=entered.created, giveaway=view)

    @acked
    async def on_giveaway_state(self, sid: str, data: Any) -> Ack:
        """The show's running or last giveaway (null when none), e.g. after joining."""
        stream, _ = await self._stream_of_anyone(sid)
        giveaway = await self._services.giveaways.latest(stream.id)
        return ok(giveaway=giveaway_view(giveaway, utcnow()) if giveaway else None)

    async def enter_by_keyword(
        self, sid: str, stream: Stream, principal: Principal, text: str
    ) -> None:
        """The chat send path's hook: a line with a running keyword giveaway's keyword enters
        its sender. Whatever the entry answers, the chat line goes on as usual."""
        giveaway = await self._keyword_giveaway(stream.id)
        if giveaway is None or giveaway.keyword is None or principal.is_guest:
            return
        if not says_keyword(giveaway.keyword, text):
            return
        try:
            await self._enter(sid, stream, principal, giveaway, EntryWay.KEYWORD)
        except DomainError:
            return  # closed meanwhile: the line is just a chat line

    async def run_giveaway_draws(self, period_s: float = DRAW_PERIOD_S) -> None:
        """Draw the giveaways whose window is over (each once, on whichever node claims it)."""
        while True:
            await asyncio.sleep(period_s)
            try:
                for giveaway in await self._services.giveaways.due(utcnow()):
                    stream = await self._services.streams.get(giveaway.stream_id)
                    await self._draw(stream, giveaway.id)
            except Exception:
                logger.exception("drawing due giveaways failed")

    async def _enter(
        self, sid: str, stream: Stream, principal: Principal, giveaway: Giveaway, way: EntryWay
    ) -> Any:
        counted = await self._counted(sid, stream, principal)
        return await self._services.giveaways.enter(giveaway.id, principal, way, counted, utcnow())

    async def _counted(self, sid: str, stream: Stream, principal: Principal) -> bool:
        room, platform = await self._store.read(stream_ref(stream))
        person = Person(principal, self._member(sid).fingerprint)
        return not _sanctioned(person, room, platform, time.time())

    async def _draw(self, stream: Stream, giveaway_id: int) -> None:
        """Entrants banned or shadow-banned since they entered are left out of the draw."""
        service = self._services.giveaways
        room, platform = await self._store.read(stream_ref(stream))
        now = time.time()
        excluded = {
            subject
            for subject in await service.entrants(giveaway_id)
            if _sanctioned(Person(Principal(subject, "", Role.VIEWER)), room, platform, now)
        }
        await service.draw(giveaway_id, utcnow(), excluded)
        self._keyword_giveaways.pop(stream.id, None)

    async def _giveaway_in(self, stream: Stream, giveaway_id: int) -> Giveaway:
        giveaway = await self._services.giveaways.get(giveaway_id)
        if giveaway.stream_id != stream.id:
            raise NotFound("no such giveaway in this show", code=GiveawayCode.GIVEAWAY_NOT_FOUND)
        return giveaway

    async def _keyword_giveaway(self, stream_id: int) -> Giveaway | None:
        """This show's open keyword giveaway, as this node read it at most a second ago: a chat
        line costs no query in a show without one."""
        mono = time.monotonic()
        cached = self._keyword_giveaways.get(stream_id)
        if cached is None or mono - cached[0] > KEYWORD_CACHE_S:
            latest = await self._services.giveaways.latest(stream_id)
            keyword = latest is not None and latest.eligibility == Eligibility.KEYWORD
            cached = (mono, latest if keyword else None)
            self._keyword_giveaways[stream_id] = cached
        giveaway = cached[1]
        if (
            giveaway is None
            or giveaway.drawn_at is not None
            or as_utc(giveaway.ends_at) <= utcnow()
        ):
            return None
        return giveaway

    async def _stream_of_anyone(self, sid: str) -> tuple[Stream, Principal | None]:
        """The joined stream of a socket, signed in or not."""
        member = self._member(sid)
        if member.stream_id is None:
            raise Conflict("join a stream first", code=RoomCode.NOT_JOINED)
        return await self._services.streams.get(member.stream_id), member.principal


def _sanctioned(
    person: Person, room: StreamModeration, platform: PlatformModeration, now: float
) -> bool:
    """Banned (from the show or the platform) or shadow-banned: entries that do not count."""
    banned = admission(person, now, room, platform) is not None
    shadowed = room.sanctions.find(SanctionKind.SHADOW_BAN, person, now) is not None
    return not counts(banned=banned, shadow_banned=shadowed)
