"""Replays of ended shows: the replay a viewer may watch (its recording, product chapters and
the deals as they ran), its chat window by window, the host's and staff's switches, and the
recent replays the home page lists. Buying from a replay is placing an order in the ended show
(server/core/services/orders.py marks it `source=replay`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain import replays as rules
from server.core.domain.catalog import read_texts
from server.core.domain.error_codes import ReplayCode, StreamCode
from server.core.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from server.core.domain.recordings import EventKind, RecordingStatus, Span
from server.core.domain.replays import Chapter, ChatPage, ProductText, ReplaySetting
from server.core.domain.roles import (
    Principal,
    Role,
    can_review,
    can_run_stream,
    can_see_recordings,
)
from server.core.domain.streams import StreamStatus
from server.core.events import DomainEvents, ReplayChanged
from server.core.services.recordings import RecordingService
from server.core.store.db import Database
from server.core.store.rows import (
    ChatMessage,
    FlashDeal,
    Product,
    Recording,
    Stream,
    StreamEvent,
    StreamProduct,
    as_utc,
    utcnow,
)


@dataclass(frozen=True)
class DealAsItRan:
    deal: FlashDeal
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Replay:
    stream: Stream
    recording: Recording
    chapters: list[Chapter]
    lineup: list[Product]
    deals: list[DealAsItRan]
    staff: bool  # the caller watches as staff (an off or taken-down replay too)
    span: Span  # the recording's; of a live one, as far as its file holds now

    @property
    def state(self) -> rules.ReplayState:
        return rules.state(self.stream.replay, self.stream.replay_taken_down_at is not None)

    @property
    def live(self) -> bool:
        """The show is still live: staff's rewind of the recording being written."""
        return self.stream.status == StreamStatus.LIVE


@dataclass(frozen=True)
class ChatReplay:
    page: ChatPage
    messages: dict[int, ChatMessage]  # the lines' rows, by id
    window: rules.Window


@dataclass(frozen=True)
class Listed:
    stream: Stream
    recording: Recording
    chapters: int


def span_of(recording: Recording) -> Span:
    return Span(as_utc(recording.started_at), as_utc(recording.ended_at), recording.duration_ms)


class ReplayService:
    """Without `recordings` (which read the files), a live show has no rewind: its growing
    recording is listed with nothing in it yet."""

    def __init__(
        self,
        db: Database,
        *,
        events: DomainEvents | None = None,
        recordings: RecordingService | None = None,
    ) -> None:
        self._db = db
        self._events = events or DomainEvents()
        self._recordings = recordings

    async def get(
        self, principal: Principal | None, stream_id: int, language: str | None
    ) -> Replay:
        async with self._db.reading() as session:
            stream, takes, staff = await _watchable(session, principal, stream_id)
            lineup = list(
                await session.scalars(
                    select(Product)
                    .join(StreamProduct, StreamProduct.product_id == Product.id)
                    .where(StreamProduct.stream_id == stream_id)
                    .order_by(StreamProduct.position)
                )
            )
            pins = await _pins(session, stream_id)
            known = {p.id for p in lineup}
            others = {p.product_id for p in pins} - known
            # A product pinned, then dropped from the line-up, still has its chapter.
            extra = list(await session.scalars(select(Product).where(Product.id.in_(others))))
            deals = list(
                await session.scalars(
                    select(FlashDeal)
                    .where(FlashDeal.stream_id == stream_id)
                    .order_by(FlashDeal.starts_at, FlashDeal.id)
                )
            )
        recording, span = await self._take(stream, takes)
        texts = {p.id: _text(p, language) for p in [*lineup, *extra]}
        found = rules.chapters(span, pins, texts)
        ran = [_as_it_ran(span, d) for d in deals]
        kept = [d for d in ran if d is not None]
        return Replay(stream, recording, found, lineup, kept, staff, span)

    async def chat(
        self,
        principal: Principal | None,
        stream_id: int,
        from_raw: str | None,
        to_raw: str | None,
    ) -> ChatReplay:
        async with self._db.reading() as session:
            stream, takes, _ = await _watchable(session, principal, stream_id)
        _, span = await self._take(stream, takes)
        window = rules.parse_window(from_raw, to_raw, span.duration_ms)
        async with self._db.reading() as session:
            lower = span.started_at + _ms(window.from_ms)
            upper = span.started_at + _ms(window.to_ms)
            rows = list(
                await session.scalars(
                    select(ChatMessage)
                    .where(
                        ChatMessage.stream_id == stream_id,
                        ChatMessage.created_at >= lower,
                        ChatMessage.created_at < upper,
                        ChatMessage.deleted_at.is_(None),
                        ChatMessage.shadowed.is_(False),
                    )
                    .order_by(ChatMessage.created_at, ChatMessage.id)
                    .limit(rules.MAX_CHAT_LINES * 2)
                )
            )
        said = [
            rules.SaidLine(
                m.id,
                as_utc(m.created_at),
                m.deleted_at is not None,
                bool(m.shadowed),
                bool(m.question),
                m.answered_at is not None,
            )
            for m in rows
        ]
        page = rules.chat_page(span, said, window, stream.pinned_message_id)
        return ChatReplay(page, {m.id: m for m in rows}, window)

    async def change(
        self, principal: Principal, stream_id: int, setting: object, taken_down: object
    ) -> Stream:
        """The host (or an admin) turns the replay on, off or unlisted; an admin takes it down
        or puts it back. Nothing changes unless all of it may."""
        async with self._db.writing() as session:
            stream = await session.scalar(
                select(Stream).where(Stream.id == stream_id).with_for_update(of=Stream)
            )
            if stream is None:
                raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
            if not can_run_stream(principal, stream.host_id):
                raise Forbidden("only this show's host can change its replay")
            if taken_down is not None and principal.role != Role.ADMIN:
                raise Forbidden("only admins can take a replay down or put it back")
            if setting is None and taken_down is None:
                raise ValidationError(
                    "send replay, taken_down or both", code=ReplayCode.BAD_REPLAY_SETTING
                )
            if taken_down is not None and not isinstance(taken_down, bool):
                raise ValidationError(
                    "taken_down must be true or false", code=ReplayCode.BAD_REPLAY_SETTING
                )
            before = (stream.replay, stream.replay_taken_down_at is not None)
            if setting is not None:
                stream.replay = rules.check_setting(setting)
            if taken_down is not None and taken_down != before[1]:
                stream.replay_taken_down_at = utcnow() if taken_down else None
            after = (stream.replay, stream.replay_taken_down_at is not None)
        if after != before:
            await self._events.publish(ReplayChanged(stream_id, after[0], after[1]))
        return stream

    async def recent(self, limit: int = rules.RECENT_REPLAYS) -> list[Listed]:
        """Listed replays, the show that ended last first."""
        async with self._db.reading() as session:
            streams = list(
                await session.scalars(
                    select(Stream)
                    .where(
                        Stream.status == StreamStatus.ENDED,
                        Stream.replay == ReplaySetting.ON,
                        Stream.replay_taken_down_at.is_(None),
                    )
                    .order_by(Stream.ended_at.desc(), Stream.id.desc())
                    .limit(limit * 3)
                )
            )
            ids = [s.id for s in streams]
            recordings = await _recordings(session, ids)
            events = list(
                await session.scalars(
                    select(StreamEvent).where(
                        StreamEvent.stream_id.in_(ids), StreamEvent.kind == EventKind.PINNED
                    )
                )
            )
        pinned: dict[int, int] = {}
        for event in events:
            pinned[event.stream_id] = pinned.get(event.stream_id, 0) + 1
        found = [
            Listed(s, recordings[s.id], pinned.get(s.id, 0)) for s in streams if s.id in recordings
        ]
        return found[:limit]

    async def media(self, link: rules.MediaLink) -> Recording:
        """The file a signed link names (the signature is checked by the caller): a public
        link stops working the moment the replay is turned off or taken down."""
        async with self._db.reading() as session:
            stream = await session.get(Stream, link.stream_id)
            recording = await session.get(Recording, link.recording_id)
        if stream is None or recording is None or recording.stream_id != stream.id:
            raise NotFound("no such replay", code=ReplayCode.REPLAY_UNAVAILABLE)
        live_for_staff = (
            stream.status == StreamStatus.LIVE and link.audience == rules.Audience.STAFF
        )
        if stream.status != StreamStatus.ENDED and not live_for_staff:
            raise Conflict("the show has not ended yet", code=ReplayCode.REPLAY_NOT_ENDED)
        if link.audience == rules.Audience.PUBLIC:
            rules.check_may_watch(
                stream.replay, stream.replay_taken_down_at is not None, staff=False
            )
        return recording

    async def _take(self, stream: Stream, takes: list[Recording]) -> tuple[Recording, Span]:
        """The recording the replay plays, with its span: of a live show (staff only, see
        `_watchable`) the one being written, as far as its file holds now."""
        live = stream.status == StreamStatus.LIVE
        grown: dict[int, int] = {}
        if live and self._recordings is not None:
            for row in takes:
                if row.status == RecordingStatus.RECORDING:
                    grown[row.id] = (await self._recordings.info(row.id)).duration_ms
        chosen = rules.replay_take(
            [rules.Take(r.id, r.status, grown.get(r.id, r.duration_ms)) for r in takes],
            show_live=live,
        )
        if chosen is None:
            raise NotFound(
                "this show has no recording to replay", code=ReplayCode.REPLAY_NO_RECORDING
            )
        [recording] = [r for r in takes if r.id == chosen.id]
        if recording.status != RecordingStatus.RECORDING:
            return recording, span_of(recording)
        started = as_utc(recording.started_at)
        return recording, Span(started, started + _ms(chosen.duration_ms), chosen.duration_ms)


async def _watchable(
    session: AsyncSession, principal: Principal | None, stream_id: int
) -> tuple[Stream, list[Recording], bool]:
    """The show, its recordings (oldest first) and whether the caller watches as staff. An
    ended show's replay is anyone's it is public to; a live show's rewind is staff's only."""
    stream = await session.get(Stream, stream_id)
    if stream is None:
        raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
    staff = principal is not None and (
        can_see_recordings(principal, stream.host_id) or can_review(principal)
    )
    rules.check_may_watch(stream.replay, stream.replay_taken_down_at is not None, staff=staff)
    rewind = staff and stream.status == StreamStatus.LIVE
    if stream.status != StreamStatus.ENDED and not rewind:
        raise Conflict("the show has not ended yet", code=ReplayCode.REPLAY_NOT_ENDED)
    takes = list(
        await session.scalars(
            select(Recording)
            .where(Recording.stream_id == stream_id)
            .order_by(Recording.started_at, Recording.id)
        )
    )
    return stream, takes, staff


async def _recordings(session: AsyncSession, stream_ids: Sequence[int]) -> dict[int, Recording]:
    """The recording each ended show's replay plays (domain `replay_take`): its longest
    playable finished one, complete or interrupted by a crash."""
    if not stream_ids:
        return {}
    rows = await session.scalars(
        select(Recording).where(
            Recording.stream_id.in_(list(stream_ids)),
            Recording.status.in_(list(rules.FINISHED)),
            Recording.duration_ms > 0,
        )
    )
    takes: dict[int, list[Recording]] = {}
    for row in rows:
        takes.setdefault(row.stream_id, []).append(row)
    found = {}
    for stream_id, mine in takes.items():
        chosen = rules.replay_take(
            [rules.Take(r.id, r.status, r.duration_ms) for r in mine], show_live=False
        )
        found[stream_id] = next(r for r in mine if chosen is not None and r.id == chosen.id)
    return found


async def has_replay_recording(session: AsyncSession, stream_id: int) -> bool:
    return bool(await _recordings(session, [stream_id]))


async def _pins(session: AsyncSession, stream_id: int) -> list[rules.Pin]:
    events = await session.scalars(
        select(StreamEvent)
        .where(
            StreamEvent.stream_id == stream_id,
            StreamEvent.kind.in_([EventKind.PINNED, EventKind.UNPINNED]),
            StreamEvent.product_id.is_not(None),
        )
        .order_by(StreamEvent.at, StreamEvent.id)
    )
    return [rules.Pin(e.kind, e.product_id, as_utc(e.at)) for e in events if e.product_id]


def _text(product: Product, language: str | None) -> ProductText:
    titles = read_texts(product.language, product.title, product.title_i18n)
    return ProductText(titles.pick(language) if titles else product.title, product.image_url)


def _as_it_ran(span: Span, deal: FlashDeal) -> DealAsItRan | None:
    start = rules.offset_of(span, as_utc(deal.starts_at))
    end = rules.offset_of(span, as_utc(deal.ends_at))
    if end <= start:
        return None
    return DealAsItRan(deal, start, end)


def _ms(milliseconds: int) -> timedelta:
    return timedelta(milliseconds=milliseconds)
