"""Polls of a show: asked by its host or staff, one vote per voter on any node (the votes'
unique constraints), counted by one conditional UPDATE per vote; the final results are stored
on the poll when it closes (by the host, or at its end on whichever node gets there first)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.core.domain.error_codes import PollCode, StreamCode
from server.core.domain.errors import Conflict, NotFound, ValidationError
from server.core.domain.polls import PollTerms, Voter, check_choice, percentages
from server.core.domain.streams import StreamStatus
from server.core.events import DomainEvents, PollChanged
from server.core.store.db import Database
from server.core.store.rows import Poll, PollChoice, PollVote, Stream, StreamProduct, utcnow

logger = logging.getLogger(__name__)


class PollService:
    def __init__(self, db: Database, events: DomainEvents | None = None) -> None:
        self._db = db
        self._events = events or DomainEvents()

    async def start(self, stream_id: int, terms: PollTerms, now: datetime) -> Poll:
        """Open a poll in a show (the caller checked who may); one open poll per show."""
        async with self._db.writing() as session:
            stream = await session.get(Stream, stream_id)
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            if stream.status == StreamStatus.ENDED:
                raise Conflict("the show has ended", code=StreamCode.STREAM_ENDED)
            for option in terms.options:
                pid = option.product_id
                if pid is not None and await session.get(StreamProduct, (stream_id, pid)) is None:
                    raise ValidationError(
                        "an option's product is not in the show's line-up",
                        code=StreamCode.NOT_IN_LINEUP,
                    )
            open_one = await session.scalar(
                select(Poll.id).where(Poll.stream_id == stream_id, Poll.closed_at.is_(None))
            )
            if open_one is not None:
                raise Conflict("a poll is open in this show", code=PollCode.POLL_RUNNING)
            ends = None if terms.duration_s is None else now + timedelta(seconds=terms.duration_s)
            poll = Poll(stream_id=stream_id, question=terms.question, opened_at=now, ends_at=ends)
            session.add(poll)
            await session.flush()
            for position, option in enumerate(terms.options):
                session.add(
                    PollChoice(
                        poll_id=poll.id,
                        position=position,
                        text=option.text,
                        product_id=option.product_id,
                        votes=0,
                    )
                )
        return await self._changed(poll.id, now)

    async def get(self, poll_id: int) -> Poll:
        async with self._db.reading() as session:
            found = await session.get(Poll, poll_id)
        if found is None:
            raise NotFound("no such poll", code=PollCode.POLL_NOT_FOUND)
        return found

    async def of_stream(self, stream_id: int) -> list[Poll]:
        query = select(Poll).where(Poll.stream_id == stream_id).order_by(Poll.id)
        async with self._db.reading() as session:
            return list(await session.scalars(query))

    async def latest(self, stream_id: int) -> Poll | None:
        query = select(Poll).where(Poll.stream_id == stream_id).order_by(Poll.id.desc()).limit(1)
        async with self._db.reading() as session:
            return await session.scalar(query)

    async def vote(self, poll_id: int, voter: Voter, choice: int, now: datetime) -> Poll:
        """One vote per voter (and per guest device): a second is `already_voted`."""
        async with self._db.writing() as session:
            # Takes the poll's row: a close that came first refuses the vote, and a close that
            # comes after counts it.
            open_id = await session.scalar(
                update(Poll)
                .where(Poll.id == poll_id, Poll.closed_at.is_(None))
                .where((Poll.ends_at.is_(None)) | (Poll.ends_at > now))
                .values(closed_at=None)
                .returning(Poll.id)
                .execution_options(synchronize_session=False)
            )
            if open_id is None:
                if await session.get(Poll, poll_id) is None:
                    raise NotFound("no such poll", code=PollCode.POLL_NOT_FOUND)
                raise Conflict("this poll is closed", code=PollCode.POLL_CLOSED)
            options = await session.scalar(
                select(PollChoice.position)
                .where(PollChoice.poll_id == poll_id)
                .order_by(PollChoice.position.desc())
                .limit(1)
            )
            check_choice(choice, (options or 0) + 1)
            try:
                async with session.begin_nested():
                    session.add(
                        PollVote(
                            poll_id=poll_id,
                            voter=voter.key,
                            device=voter.device,
                            position=choice,
                            at=now,
                        )
                    )
            except IntegrityError:
                raise Conflict("you have voted in this poll", code=PollCode.ALREADY_VOTED) from None
            await session.execute(
                update(PollChoice)
                .where(PollChoice.poll_id == poll_id, PollChoice.position == choice)
                .values(votes=PollChoice.votes + 1)
                .execution_options(synchronize_session=False)
            )
        return await self._changed(poll_id, now)

    async def close(self, poll_id: int, now: datetime) -> Poll:
        """Close a poll and store its final results; closing a closed one changes nothing."""
        async with self._db.writing() as session:
            closed = await session.scalar(
                update(Poll)
                .where(Poll.id == poll_id, Poll.closed_at.is_(None))
                .values(closed_at=now)
                .returning(Poll.id)
                .execution_options(synchronize_session=False)
            )
            if closed is None:
                if await session.get(Poll, poll_id) is None:
                    raise NotFound("no such poll", code=PollCode.POLL_NOT_FOUND)
                return await self.get(poll_id)
            counts = list(
                await session.scalars(
                    select(PollChoice.votes)
                    .where(PollChoice.poll_id == poll_id)
                    .order_by(PollChoice.position)
                )
            )
            results = {"votes": counts, "total": sum(counts), "percentages": percentages(counts)}
            await session.execute(
                update(Poll)
                .where(Poll.id == poll_id)
                .values(results=json.dumps(results))
                .execution_options(synchronize_session=False)
            )
        return await self._changed(poll_id, now)

    async def close_due(self, now: datetime) -> list[Poll]:
        """Close the polls whose time is up (each once, whichever node comes first)."""
        query = select(Poll.id).where(Poll.closed_at.is_(None), Poll.ends_at <= now)
        async with self._db.reading() as session:
            due = list(await session.scalars(query))
        return [await self.close(poll_id, now) for poll_id in due]

    async def run_closing(self, period_s: float = 1.0) -> None:
        """Close due polls every `period_s` (a background task on each node)."""
        while True:
            await asyncio.sleep(period_s)
            try:
                await self.close_due(utcnow())
            except Exception:
                logger.exception("closing due polls failed")

    async def _changed(self, poll_id: int, now: datetime) -> Poll:
        poll = await self.get(poll_id)
        await self._events.publish(PollChanged(poll, now))
        return poll


def results_of(poll: Poll) -> dict | None:
    """The final results stored at close: {votes, total, percentages}."""
    return json.loads(poll.results) if poll.results else None
