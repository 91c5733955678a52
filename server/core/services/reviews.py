"""Clip review: coaches and admins review a recording of a host's show (clips, timed comments);
the host reads the reviews of their own shows, replies and marks comments read.

Who may do what is domain/roles.py (`can_review`, `can_read_reviews`); what a clip or a comment
may be is domain/reviews.py. Every write checks who asks before what they sent, and a refused
write changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain.error_codes import GeneralCode, ReviewCode, StreamCode
from server.core.domain.errors import Forbidden, NotFound, ValidationError
from server.core.domain.ids import is_id
from server.core.domain.recordings import RecordingInfo
from server.core.domain.reviews import ClipDraft, CommentDraft, Span, Take, check_text, choose_take
from server.core.domain.roles import Principal, Role, can_read_reviews, can_review
from server.core.services.recordings import RecordingService
from server.core.store.db import Database
from server.core.store.rows import (
    Review,
    ReviewClip,
    ReviewComment,
    ReviewReply,
    Stream,
    User,
    utcnow,
)


@dataclass(frozen=True)
class ReviewBundle:
    """A review with everything its page shows: the show, the recording, clips in order of
    start, comments in order of their moment, each comment's replies, and authors' names.
    A live recording's `duration_ms` is what its file holds at the moment of asking."""

    review: Review
    stream: Stream
    recording: RecordingInfo
    clips: list[ReviewClip] = field(default_factory=list)
    comments: list[ReviewComment] = field(default_factory=list)
    replies: dict[int, list[ReviewReply]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


class ReviewService:
    """Reads recordings through `recordings`, so a show still live (its file growing) can
    be reviewed up to what it holds."""

    def __init__(self, db: Database, recordings: RecordingService) -> None:
        self._db = db
        self._recordings = recordings

    async def create(self, principal: Principal, stream_id: int, data: object) -> ReviewBundle:
        """A new review of the show's recording (`recording_id`, else its longest)."""
        _check_reviewer(principal)
        body = data if isinstance(data, dict) else {}
        async with self._db.reading() as session:
            await _stream(session, stream_id)
        takes = [Take(r.id, r.duration_ms) for r in await self._recordings.for_stream(stream_id)]
        take = choose_take(takes, body.get("recording_id"))
        async with self._db.writing() as session:
            stream = await _stream(session, stream_id)
            review = Review(
                stream_id=stream.id, recording_id=take.recording_id, author_id=principal.user_id
            )
            session.add(review)
            await session.flush()
            review_id = review.id
        return await self.get(principal, review_id)

    async def get(self, principal: Principal, review_id: int) -> ReviewBundle:
        async with self._db.reading() as session:
            review = await _review(session, review_id)
            stream = await _stream(session, review.stream_id)
            _check_reader(principal, stream)
            [bundle] = await self._bundles(session, [review])
        return bundle

    async def of_stream(self, principal: Principal, stream_id: int) -> list[ReviewBundle]:
        async with self._db.reading() as session:
            _check_reader(principal, await _stream(session, stream_id))
            reviews = await session.scalars(
                select(Review).where(Review.stream_id == stream_id).order_by(Review.id)
            )
            return await self._bundles(session, list(reviews))

    async def listing(self, principal: Principal, host: str | None) -> list[ReviewBundle]:
        """Reviews across shows, newest first. `host`: "me" or a host's id; reviewers may name
        any host (or none: all), a host only themselves, and anyone else is refused."""
        host_id = _host_filter(principal, host)
        query = select(Review).join(Stream, Stream.id == Review.stream_id)
        if host_id is not None:
            query = query.where(Stream.host_id == host_id)
        async with self._db.reading() as session:
            reviews = await session.scalars(query.order_by(Review.id.desc()))
            return await self._bundles(session, list(reviews))

    async def add_clip(self, principal: Principal, review_id: int, data: object) -> ReviewClip:
        _check_reviewer(principal)
        duration_ms = await self._duration_of(review_id)
        async with self._db.writing() as session:
            review = await _review(session, review_id, lock=True)
            others = await session.scalars(
                select(ReviewClip).where(ReviewClip.review_id == review.id)
            )
            spans = [Span(c.start_ms, c.end_ms) for c in others]
            draft = ClipDraft.parse(data, duration_ms, spans)
            clip = ReviewClip(
                review_id=review.id,
                start_ms=draft.span.start_ms,
                end_ms=draft.span.end_ms,
                title=draft.title,
            )
            session.add(clip)
        return clip

    async def add_comment(
        self, principal: Principal, review_id: int, data: object
    ) -> ReviewComment:
        _check_reviewer(principal)
        draft = CommentDraft.parse(data, await self._duration_of(review_id))
        async with self._db.writing() as session:
            review = await _review(session, review_id)
            comment = ReviewComment(
                review_id=review.id,
                author_id=principal.user_id,
                offset_ms=draft.offset_ms,
                category=draft.category,
                rating=draft.rating,
                body=draft.body,
            )
            session.add(comment)
        return comment

    async def reply(self, principal: Principal, comment_id: int, data: object) -> ReviewReply:
        """The host's answer to a comment (or a reviewer's back)."""
        async with self._db.writing() as session:
            comment, _ = await _comment_for(session, principal, comment_id)
            body = data.get("body") if isinstance(data, dict) else None
            reply = ReviewReply(
                comment_id=comment.id, author_id=principal.user_id, body=check_text(body)
            )
            session.add(reply)
        return reply

    async def mark_read(self, principal: Principal, comment_id: int) -> ReviewComment:
        """The show's host has read the comment (the first time is kept)."""
        async with self._db.writing() as session:
            comment, stream = await _comment_for(session, principal, comment_id)
            if principal.user_id != stream.host_id:
                raise Forbidden(
                    "only the show's host marks its comments read", code=ReviewCode.NOT_THE_HOST
                )
            if comment.read_at is None:
                comment.read_at = utcnow()
        return comment

    async def recording_of(self, principal: Principal, review_id: int) -> RecordingInfo:
        """The recording a review is of, for someone who may read the review."""
        return (await self.get(principal, review_id)).recording

    async def clip_source(
        self, principal: Principal, clip_id: int
    ) -> tuple[ReviewClip, RecordingInfo]:
        """A clip and the recording it is cut from, for someone who may read its review."""
        async with self._db.reading() as session:
            clip = await session.get(ReviewClip, clip_id)
            if clip is None:
                raise NotFound("no such clip", code=ReviewCode.CLIP_NOT_FOUND)
            review = await _review(session, clip.review_id)
            _check_reader(principal, await _stream(session, review.stream_id))
        return clip, await self._recordings.info(review.recording_id)

    async def _duration_of(self, review_id: int) -> int:
        """How long the review's recording is now (a live one keeps growing)."""
        async with self._db.reading() as session:
            review = await _review(session, review_id)
        return (await self._recordings.info(review.recording_id)).duration_ms

    async def _bundles(
        self, session: AsyncSession, reviews: Sequence[Review]
    ) -> list[ReviewBundle]:
        recordings = {r.recording_id for r in reviews}
        infos = {rid: await self._recordings.info(rid) for rid in sorted(recordings)}
        return await _bundles(session, reviews, infos)


def _check_reviewer(principal: Principal) -> None:
    if not can_review(principal) or principal.user_id is None:
        raise Forbidden("only coaches and admins review shows")


def _check_reader(principal: Principal, stream: Stream) -> None:
    if not can_read_reviews(principal, stream.host_id):
        raise Forbidden("only the show's host, coaches and admins see its reviews")


def _host_filter(principal: Principal, host: str | None) -> int | None:
    if host is None:
        wanted = None
    elif host == "me":
        wanted = principal.user_id
    elif host.isascii() and host.isdigit() and is_id(int(host)):
        wanted = int(host)
    else:
        raise ValidationError("host must be `me` or a host's id", code=GeneralCode.BAD_QUERY)
    if can_review(principal):
        return wanted
    if principal.role == Role.HOST and wanted in (None, principal.user_id):
        return principal.user_id
    raise Forbidden("hosts see the reviews of their own shows only")


async def _stream(session: AsyncSession, stream_id: int) -> Stream:
    stream = await session.get(Stream, stream_id)
    if stream is None:
        raise NotFound("no such stream", code=StreamCode.STREAM_NOT_FOUND)
    return stream


async def _review(session: AsyncSession, review_id: int, lock: bool = False) -> Review:
    query = select(Review).where(Review.id == review_id)
    review = await session.scalar(query.with_for_update() if lock else query)
    if review is None:
        raise NotFound("no such review", code=ReviewCode.REVIEW_NOT_FOUND)
    return review


async def _comment_for(
    session: AsyncSession, principal: Principal, comment_id: int
) -> tuple[ReviewComment, Stream]:
    comment = await session.get(ReviewComment, comment_id)
    if comment is None:
        raise NotFound("no such comment", code=ReviewCode.COMMENT_NOT_FOUND)
    review = await _review(session, comment.review_id)
    stream = await _stream(session, review.stream_id)
    _check_reader(principal, stream)
    return comment, stream


async def _bundles(
    session: AsyncSession, reviews: Sequence[Review], recordings: dict[int, RecordingInfo]
) -> list[ReviewBundle]:
    """The reviews with their parts, in a fixed number of queries whatever their count."""
    if not reviews:
        return []
    ids = [r.id for r in reviews]
    streams = await _by_id(session, Stream, {r.stream_id for r in reviews})
    clips = list(
        await session.scalars(
            select(ReviewClip)
            .where(ReviewClip.review_id.in_(ids))
            .order_by(ReviewClip.start_ms, ReviewClip.id)
        )
    )
    comments = list(
        await session.scalars(
            select(ReviewComment)
            .where(ReviewComment.review_id.in_(ids))
            .order_by(ReviewComment.offset_ms, ReviewComment.id)
        )
    )
    replies = list(
        await session.scalars(
            select(ReviewReply)
            .where(ReviewReply.comment_id.in_([c.id for c in comments]))
            .order_by(ReviewReply.id)
        )
    )
    authors = {r.author_id for r in reviews} | {c.author_id for c in comments}
    authors |= {r.author_id for r in replies} | {s.host_id for s in streams.values()}
    users = await _by_id(session, User, authors)
    names = {uid: user.display_name for uid, user in users.items()}
    found = []
    for review in reviews:
        mine = [c for c in comments if c.review_id == review.id]
        mine_ids = {c.id for c in mine}
        threads: dict[int, list[ReviewReply]] = {c.id: [] for c in mine}
        for reply in replies:
            if reply.comment_id in mine_ids:
                threads[reply.comment_id].append(reply)
        found.append(
            ReviewBundle(
                review=review,
                stream=streams[review.stream_id],
                recording=recordings[review.recording_id],
                clips=[c for c in clips if c.review_id == review.id],
                comments=mine,
                replies=threads,
                names=names,
            )
        )
    return found


async def _by_id(session: AsyncSession, row: type[Any], ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = await session.scalars(select(row).where(row.id.in_(wanted)))
    return {item.id: item for item in found}
