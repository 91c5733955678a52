"""Recordings of shows, and the timeline of events they are read against.

A recording is listed from its first frame (status `recording`, its file growing while the
show is live) to its end (`complete`, or `failed`). One that a dying node left `recording`
is recovered when that node starts again (`recover`): the file is cut back to its last whole
fragment and the recording becomes `interrupted`, with the duration the file really has.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.error_codes import StreamCode
from server.core.domain.errors import Forbidden, NotFound
from server.core.domain.recordings import (
    CONTENT_TYPES,
    Event,
    EventKind,
    FileFacts,
    Marker,
    RecordingFiles,
    RecordingInfo,
    RecordingStatus,
    Span,
    markers,
)
from server.core.domain.roles import Principal, can_see_recordings
from server.core.store.db import Database
from server.core.store.rows import Recording, Stream, StreamEvent, as_utc, utcnow

logger = logging.getLogger(__name__)


def add_event(
    session: AsyncSession, stream_id: int, kind: EventKind, product_id: int | None = None
) -> None:
    """Put a moment of the show's timeline into the caller's transaction: it is kept only
    if the change it marks is."""
    session.add(StreamEvent(stream_id=stream_id, kind=kind, product_id=product_id, at=utcnow()))


class RecordingService:
    """Without `files` (see `use_files`), live recordings are listed as stored (no duration
    yet) and none is recovered."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._files: RecordingFiles | None = None
        self._node: str | None = None

    def use_files(self, files: RecordingFiles, node: str) -> None:
        """Read recording files with `files`; this machine is called `node` on the ones it
        writes (a crashed one is recovered by its own machine only)."""
        self._files, self._node = files, node

    async def begin(
        self, stream_id: int, *, path: str, container: str, started_at: datetime
    ) -> Recording:
        """List a recording from its first frame on, while its file grows."""
        recording = Recording(
            stream_id=stream_id,
            path=path,
            container=container,
            status=RecordingStatus.RECORDING,
            started_at=started_at,
            ended_at=started_at,  # unknown until it ends (RecordingInfo.ended_at says None)
            duration_ms=0,
            bytes=0,
            node=self._node,
        )
        async with self._db.writing() as session:
            session.add(recording)
        return recording

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
        """A finished recording: the one `begin` listed at that path, else a new one."""
        async with self._db.writing() as session:
            recording = await _at_path(session, stream_id, path)
            if recording is None:
                recording = Recording(stream_id=stream_id, path=path, node=self._node)
                session.add(recording)
            recording.container = container
            recording.status = status
            recording.started_at = started_at
            recording.ended_at = ended_at
            recording.duration_ms = duration_ms
            recording.bytes = size_bytes
        return recording

    async def drop(self, stream_id: int, path: str) -> None:
        """Unlist a recording that `begin` listed and that ended without a frame in its file."""
        async with self._db.writing() as session:
            recording = await _at_path(session, stream_id, path)
            if recording is not None and recording.status == RecordingStatus.RECORDING:
                await session.delete(recording)

    async def for_stream(self, stream_id: int) -> list[RecordingInfo]:
        """The show's recordings, oldest first, live ones included (with what their files
        hold now). No permission check: for the services that serve replays and clips."""
        async with self._db.reading() as session:
            recordings = await _of_stream(session, stream_id)
        return [await self._info(r) for r in recordings]

    async def info(self, recording_id: int) -> RecordingInfo:
        async with self._db.reading() as session:
            recording = await session.get(Recording, recording_id)
        if recording is None:
            raise NotFound("no such recording", code=StreamCode.RECORDING_NOT_FOUND)
        return await self._info(recording)

    async def recover(self) -> list[RecordingInfo]:
        """At start-up: make each recording a dead node of this machine left `recording`
        usable (`interrupted`, with what its file holds). Those another node still writes,
        and those of other machines (`node`), are left alone: a machine that never comes
        back leaves its live recordings `recording`. Returns the recovered ones."""
        if self._files is None:
            return []
        async with self._db.reading() as session:
            left = list(
                await session.scalars(
                    select(Recording).where(Recording.status == RecordingStatus.RECORDING)
                )
            )
        recovered = []
        for recording in left:
            facts = await self._recovered_facts(recording)
            if facts is None:
                continue
            ended_at = as_utc(recording.started_at) + timedelta(milliseconds=facts.duration_ms)
            async with self._db.writing() as session:
                row = await session.get(Recording, recording.id)
                if row is None or row.status != RecordingStatus.RECORDING:
                    continue  # finished meanwhile (by the node that writes it)
                row.status = RecordingStatus.INTERRUPTED
                row.ended_at, row.duration_ms, row.bytes = ended_at, facts.duration_ms, facts.bytes
            logger.warning(
                "recording %s of stream %d was cut short by a crash: recovered %d ms",
                recording.path,
                recording.stream_id,
                facts.duration_ms,
            )
            recovered.append(await self._info(row))
        return recovered

    async def _recovered_facts(self, recording: Recording) -> FileFacts | None:
        """What a crashed recording's file holds once mended; None: not one to recover here.
        Another machine's is left to it even when its file is readable here (shared storage
        may not carry the writer's lock), as is one another node of this machine writes."""
        files = self._files
        if files is None or recording.node not in (None, self._node):
            return None
        if await asyncio.to_thread(files.being_written, recording.path):
            return None
        facts = await asyncio.to_thread(_mended, files, recording.path)
        return facts or FileFacts(0, 0)  # the file is gone or holds nothing

    async def _info(self, recording: Recording) -> RecordingInfo:
        info = _info(recording)
        if info.live and self._files is not None:
            facts = await asyncio.to_thread(self._files.facts, recording.path)
            if facts is not None:
                info = replace(info, duration_ms=facts.duration_ms, bytes=facts.bytes)
        return info

    async def of_stream(
        self, principal: Principal, stream_id: int
    ) -> list[tuple[Recording, list[Marker]]]:
        """The show's recordings, oldest first, each with the events that fall on it. A live
        one carries what its file holds now (duration, bytes, and `ended_at` as the moment
        it reaches); that is not stored."""
        async with self._db.reading() as session:
            _check_may_see(principal, await session.get(Stream, stream_id))
            recordings = await _of_stream(session, stream_id)
            events = list(
                await session.scalars(
                    select(StreamEvent)
                    .where(StreamEvent.stream_id == stream_id)
                    .order_by(StreamEvent.at, StreamEvent.id)
                )
            )
        for recording in recordings:  # detached rows: what is changed here is not stored
            recording.started_at = as_utc(recording.started_at)
            recording.ended_at = as_utc(recording.ended_at)
            if recording.status == RecordingStatus.RECORDING:
                info = await self._info(recording)
                recording.duration_ms, recording.bytes = info.duration_ms, info.bytes
                recording.ended_at = recording.started_at + timedelta(milliseconds=info.duration_ms)
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


async def _of_stream(session: AsyncSession, stream_id: int) -> list[Recording]:
    return list(
        await session.scalars(
            select(Recording)
            .where(Recording.stream_id == stream_id)
            .order_by(Recording.started_at, Recording.id)
        )
    )


async def _at_path(session: AsyncSession, stream_id: int, path: str) -> Recording | None:
    found = await session.scalars(
        select(Recording)
        .where(Recording.stream_id == stream_id, Recording.path == path)
        .order_by(Recording.id.desc())
        .limit(1)
    )
    return found.first()


def _mended(files: RecordingFiles, path: str) -> FileFacts | None:
    files.repair(path)
    return files.facts(path)


def _info(recording: Recording) -> RecordingInfo:
    status = RecordingStatus(recording.status)
    return RecordingInfo(
        id=recording.id,
        stream_id=recording.stream_id,
        path=recording.path,
        container=recording.container,
        content_type=CONTENT_TYPES[recording.container],
        status=status,
        started_at=as_utc(recording.started_at),
        ended_at=None if status is RecordingStatus.RECORDING else as_utc(recording.ended_at),
        duration_ms=recording.duration_ms,
        bytes=recording.bytes,
    )


def _check_may_see(principal: Principal, stream: Stream | None) -> None:
    if stream is None:
        raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
    if not can_see_recordings(principal, stream.host_id):
        raise Forbidden("only the show's host, moderators and admins can see its recordings")
