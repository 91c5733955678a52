"""The room's poll events: the host or staff ask and close; anyone in the room votes once
(accounts by account, guests by guest token and device fingerprint) (docs/protocol.md "Polls").

Counts and percentages reach the room as `poll_updated`, coalesced per batch window with the
poll's key, like stock updates: a storm of votes costs each viewer one line per window.
"""

from __future__ import annotations

from typing import Any

from chat import events
from chat.acks import Ack, acked, ok
from chat.moderation_events import ModerationEvents
from chat.permissions import Action
from chat.rules import RateLimiter
from server.contract.polls import NewPoll, PollRef, Vote, poll_view
from server.core.domain.error_codes import PollCode, RoomCode
from server.core.domain.errors import AuthRequired, Conflict, NotFound
from server.core.domain.polls import voter
from server.core.events import DomainEvent, DomainEvents, PollChanged
from server.core.store.rows import Poll, Stream, utcnow

VOTE_BURST = 5


class PollsRoom(ModerationEvents):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._vote_limiter = RateLimiter(burst=VOTE_BURST, refill_s=1.0)

    def listen_to(self, port: DomainEvents) -> None:
        super().listen_to(port)  # type: ignore[misc]
        port.subscribe(self._hear_poll)

    async def _hear_poll(self, event: DomainEvent) -> None:
        if isinstance(event, PollChanged):
            poll = event.poll
            view = {"poll": poll_view(poll, event.at)}
            await self._to_room(poll.stream_id, events.POLL_UPDATED, view, f"poll:{poll.id}")

    @acked
    async def on_start_poll(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        await self._may(stream, principal, Action.PIN)  # the host and the stream's staff
        terms = NewPoll.parse(data).terms()
        now = utcnow()
        poll = await self._services.polls.start(stream.id, terms, now)
        return ok(poll=poll_view(poll, now))

    @acked
    async def on_close_poll(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        poll_id = PollRef.parse(data).poll_id
        await self._may(stream, principal, Action.PIN)
        poll = await self._poll_in(stream, poll_id)
        now = utcnow()
        return ok(poll=poll_view(await self._services.polls.close(poll.id, now), now))

    @acked
    async def on_vote(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        sent = Vote.parse(data)
        self._vote_limiter.check(principal.subject)
        poll = await self._poll_in(stream, sent.poll_id)
        fingerprint = self._member(sid).fingerprint
        if principal.is_guest and fingerprint is None:
            raise AuthRequired("continue as a guest or sign in to vote")
        who = voter(principal.subject, principal.is_guest, fingerprint)
        now = utcnow()
        voted = await self._services.polls.vote(poll.id, who, sent.choice, now)
        return ok(poll=poll_view(voted, now), choice=sent.choice)

    @acked
    async def on_poll_state(self, sid: str, data: Any) -> Ack:
        """The show's open or last poll (null when none), e.g. after joining."""
        member = self._member(sid)
        if member.stream_id is None:
            raise Conflict("join a stream first", code=RoomCode.NOT_JOINED)
        poll = await self._services.polls.latest(member.stream_id)
        return ok(poll=poll_view(poll, utcnow()) if poll else None)

    async def _poll_in(self, stream: Stream, poll_id: int) -> Poll:
        poll = await self._services.polls.get(poll_id)
        if poll.stream_id != stream.id:
            raise NotFound("no such poll in this show", code=PollCode.POLL_NOT_FOUND)
        return poll
