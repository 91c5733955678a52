"""Recordings of shows, and the timeline of events they are read against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.error_codes import StreamCode
from server.core.domain.errors import Forbidden, NotFound
from server.core.domain.recordings import Event, EventKind, Marker, Span, markers
from server.core.domain.roles import Principal, can_see_recordings
from server.core.store.db import Database
from server.core.store.rows import Recording, Stream, StreamEvent, as_utc, utcnow


def add_event(
    session: AsyncSession, stream_id: int, kind: EventKind, product_id: int | None = None
) -> None:
    """Put a moment of the show's timeline into the caller's transaction: it is kept only
    if the change it marks is."""
    session.add(StreamEvent(stream_id=stream_id, kind=kind, product_id=product_id, at=utcnow()))


class RecordingService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def store(
        self,
        stream_id: int,
        *,
        path: str,
        container: str,
        status: str,
        started_at: datetime,
        ended_at: datetime,
        duration_ms: int,
        size_bytes: int,
    ) -> Recording:
        recording = Recording(
            stream_id=stream_id,
            path=path,
            container=container,
            status=status,
            started_at=started_at,
            ended_at=ended_at,
            duration_ms=duration_ms,
            bytes=size_bytes,
        )
        async with self._db.writing() as session:
            session.add(recording)
        return recording

    async def of_stream(
        self, principal: Principal, stream_id: int
    ) -> list[tuple[Recording, list[Marker]]]:
        """The show's recordings, oldest first, each with the events that fall on it."""
        async with self._db.reading() as session:
            _check_may_see(principal, await session.get(Stream, stream_id))
            recordings = list(
                await session.scalars(
                    select(Recording)
                    .where(Recording.stream_id == stream_id)
                    .order_by(Recording.started_at, Recording.id)
                )
            )
            events = list(
                await session.scalars(
                    select(StreamEvent)
                    .where(StreamEvent.stream_id == stream_id)
                    .order_by(StreamEvent.at, StreamEvent.id)
                )
            )
        spans = [Span(as_utc(r.started_at), as_utc(r.ended_at), r.duration_ms) for r in recordings]
        timeline = [Event(e.kind, as_utc(e.at), e.product_id) for e in events]
        return list(zip(recordings, markers(spans, timeline), strict=True))

    async def get(self, principal: Principal, recording_id: int) -> Recording:
        async with self._db.reading() as session:
            recording = await session.get(Recording, recording_id)
            if recording is None:
                raise NotFound("no such recording", code=StreamCode.RECORDING_NOT_FOUND)
            _check_may_see(principal, await session.get(Stream, recording.stream_id))
        return recording


def _check_may_see(principal: Principal, stream: Stream | None) -> None:
    if stream is None:
        raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
    if not can_see_recordings(principal, stream.host_id):
        raise Forbidden("only the show's host, moderators and admins can see its recordings")
