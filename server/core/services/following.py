"""Following hosts and "remind me": the follows and reminders themselves, follower counts and a
host's public page (server/core/domain/following.py has the rules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from server.core.domain import following as rules
from server.core.domain.accounts import require_account
from server.core.domain.error_codes import FollowCode
from server.core.domain.errors import NotFound
from server.core.domain.roles import Principal
from server.core.domain.streams import StreamStatus
from server.core.store.db import Database
from server.core.store.rows import Follow, ShowReminder, Stream, User, as_utc, utcnow

MAX_FOLLOWS_LISTED = 1000  # the follows a socket's rooms are made of (chat/following_room.py)
HOST_PAGE_SHOWS = 20

# (user id, host id, now following?): the room moves the user's open pages in or out of the
# host's followers' room.
FollowListener = Callable[[int, int, bool], Awaitable[None]]


@dataclass(frozen=True)
class HostPage:
    host: User
    followers: int
    following: bool  # the asker follows them
    upcoming: list[Stream]
    live: list[Stream]
    past: list[Stream]


class FollowingService:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._listeners: list[FollowListener] = []

    def on_follow_change(self, listener: FollowListener) -> None:
        self._listeners.append(listener)

    async def follow(self, principal: Principal, host_id: int) -> int:
        """Follow a host (again: nothing changes); answers their follower count."""
        user_id = require_account(principal, "follow hosts")
        host = await self._host(host_id)
        rules.check_may_follow(user_id, host.id, host.role)
        try:
            async with self._db.writing() as session:
                if await session.get(Follow, (user_id, host_id)) is None:
                    session.add(Follow(user_id=user_id, host_id=host_id))
        except IntegrityError:
            pass  # followed at the same moment from another tab: followed all the same
        await self._tell(user_id, host_id, True)
        return await self.follower_count(host_id)

    async def unfollow(self, principal: Principal, host_id: int) -> int:
        user_id = require_account(principal, "follow hosts")
        await self._host(host_id)
        async with self._db.writing() as session:
            await session.execute(
                delete(Follow).where(Follow.user_id == user_id, Follow.host_id == host_id)
            )
        await self._tell(user_id, host_id, False)
        return await self.follower_count(host_id)

    async def follower_count(self, host_id: int) -> int:
        async with self._db.reading() as session:
            count = await session.scalar(
                select(func.count()).select_from(Follow).where(Follow.host_id == host_id)
            )
        return int(count or 0)

    async def follows(self, user_id: int) -> list[int]:
        """The hosts an account follows (at most MAX_FOLLOWS_LISTED, the latest first)."""
        async with self._db.reading() as session:
            hosts = await session.scalars(
                select(Follow.host_id)
                .where(Follow.user_id == user_id)
                .order_by(Follow.created_at.desc())
                .limit(MAX_FOLLOWS_LISTED)
            )
            return list(hosts)

    async def remind(self, principal: Principal, stream_id: int) -> None:
        """Remind me: an email at the show's scheduled time (asking twice changes nothing)."""
        user_id = require_account(principal, "be reminded")
        async with self._db.writing() as session:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream")
            scheduled = as_utc(stream.scheduled_at) if stream.scheduled_at else None
            rules.check_may_remind(stream.status, scheduled, utcnow())
            if await session.get(ShowReminder, (user_id, stream_id)) is None:
                session.add(ShowReminder(user_id=user_id, stream_id=stream_id))

    async def forget_reminder(self, principal: Principal, stream_id: int) -> None:
        user_id = require_account(principal, "be reminded")
        async with self._db.writing() as session:
            await session.execute(
                delete(ShowReminder).where(
                    ShowReminder.user_id == user_id, ShowReminder.stream_id == stream_id
                )
            )

    async def reminders(self, user_id: int) -> list[int]:
        """The shows an account asked to be reminded of."""
        async with self._db.reading() as session:
            found = await session.scalars(
                select(ShowReminder.stream_id).where(ShowReminder.user_id == user_id)
            )
            return list(found)

    async def host_page(self, host_id: int, asker: Principal | None) -> HostPage:
        host = await self._host(host_id)
        rules.check_may_follow(0, host.id, host.role)  # a host's page is only a host's
        async with self._db.reading() as session:
            shows = list(
                await session.scalars(
                    select(Stream)
                    .where(Stream.host_id == host_id)
                    .order_by(Stream.id.desc())
                    .limit(HOST_PAGE_SHOWS * 3)
                )
            )
            following = False
            if asker is not None and asker.user_id is not None:
                following = await session.get(Follow, (asker.user_id, host_id)) is not None

        def having(status: str) -> list[Stream]:
            return [s for s in shows if s.status == status][:HOST_PAGE_SHOWS]

        upcoming = sorted(
            having(StreamStatus.SCHEDULED), key=lambda s: (s.scheduled_at is None, s.id)
        )
        return HostPage(
            host,
            await self.follower_count(host_id),
            following,
            upcoming,
            having(StreamStatus.LIVE),
            having(StreamStatus.ENDED),
        )

    async def _host(self, host_id: int) -> User:
        async with self._db.reading() as session:
            host = await session.get(User, host_id)
        if host is None or host.disabled:
            raise NotFound("no such host", code=FollowCode.NOT_A_HOST)
        return host

    async def _tell(self, user_id: int, host_id: int, following: bool) -> None:
        for listener in self._listeners:
            await listener(user_id, host_id, following)
