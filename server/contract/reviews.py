"""Clip review over HTTP: what the review routes take (checked by server/core/services/reviews.py
after who asks, so a refused caller hears so before a bad field), what they answer, and the
answers' shapes (docs/protocol.md "Clip review")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from server.contract.answers import Answer
from server.contract.body import Body, Id
from server.contract.shapes import Time, shown
from server.core.domain.reviews import (
    MAX_CLIP_TITLE_CHARS,
    MAX_COMMENT_CHARS,
    Category,
    Span,
    in_span,
)
from server.core.services.reviews import ReviewBundle
from server.core.store.rows import ReviewClip, ReviewComment, ReviewReply, as_utc

JSON = dict[str, Any]
Offset = Annotated[int, Field(ge=0, description="ms from the start of the recording")]
Text = Annotated[str, Field(min_length=1, max_length=MAX_COMMENT_CHARS)]
CategoryName = Literal[
    "product_presentation", "energy", "pacing", "answering_questions", "compliance"
]  # domain/reviews.Category


class Checked(Body):
    """A review body: any JSON object passes the model, which names its fields (`shown`) for
    the document; the service checks them after who is asking (domain/reviews.py)."""


class NewReview(Checked):
    """Open a review of a show's recording (coaches, admins): the one named, else the longest."""

    recording_id: Annotated[Any, shown(Id)] = None


class NewClip(Checked):
    """Mark `[start_ms, end_ms)` of the review's recording; a review's clips never overlap."""

    model_config = ConfigDict(json_schema_extra={"required": ["start_ms", "end_ms", "title"]})
    start_ms: Annotated[Any, shown(Offset)] = None
    end_ms: Annotated[Any, shown(Offset)] = None
    title: Annotated[Any, shown(Annotated[str, Field(max_length=MAX_CLIP_TITLE_CHARS)])] = None


class NewComment(Checked):
    """Feedback at a moment of the recording, with a category and an optional 1-5 rating."""

    model_config = ConfigDict(json_schema_extra={"required": ["offset_ms", "category", "body"]})
    offset_ms: Annotated[Any, shown(Offset)] = None
    category: Annotated[Any, shown(CategoryName)] = None
    rating: Annotated[Any, shown(Annotated[int, Field(ge=1, le=5)])] = None
    body: Annotated[Any, shown(Text)] = None


class NewReply(Checked):
    model_config = ConfigDict(json_schema_extra={"required": ["body"]})
    body: Annotated[Any, shown(Text)] = None


# -- answers --------------------------------------------------------------------------------


class ReplyAnswer(Answer):
    id: Id | None = None
    comment_id: Id | None = None
    author: str | None = None
    author_id: Id | None = None
    body: str | None = None
    created_at: Time | None = None


class CommentAnswer(Answer):
    id: Id | None = None
    review_id: Id | None = None
    offset_ms: int | None = None
    category: CategoryName | None = None
    rating: int | None = None
    body: str | None = None
    author: str | None = None
    created_at: Time | None = None
    read_at: Time | None = None
    replies: list[ReplyAnswer] | None = None


class ClipAnswer(Answer):
    id: Id | None = None
    review_id: Id | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    title: str | None = None
    comment_ids: list[Id] | None = Field(None, description="the comments inside the clip")
    export_url: str | None = None


class ReviewShow(Answer):
    id: Id | None = None
    title: str | None = None
    host_id: Id | None = None
    host: str | None = None


class ReviewAnswer(Answer):
    id: Id | None = None
    stream: ReviewShow | None = None
    recording_id: Id | None = None
    duration_ms: int | None = None
    content_type: Literal["video/mp4", "video/webm"] | None = None
    video_url: str | None = Field(None, description="the recording, Range requests work")
    author: str | None = None
    created_at: Time | None = None
    unread: int | None = Field(None, description="comments the host has not marked read")
    clips: list[ClipAnswer] | None = None
    comments: list[CommentAnswer] | None = None


class ReviewList(Answer):
    reviews: list[ReviewAnswer] | None = None


class ClipExport(Answer):
    clip_id: Id | None = None
    url: str | None = Field(None, description="GET it: video/mp4, Range requests work")
    start_ms: int | None = Field(None, description="the keyframe at or before the clip's start")
    end_ms: int | None = None
    bytes: int | None = None


# -- views ----------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """A stored time in UTC with its offset (SQLite hands times back without one)."""
    return as_utc(value).isoformat() if value is not None else None


def review_view(bundle: ReviewBundle) -> JSON:
    review, stream, recording = bundle.review, bundle.stream, bundle.recording
    names = bundle.names
    return {
        "id": review.id,
        "stream": {
            "id": stream.id,
            "title": stream.title,
            "host_id": stream.host_id,
            "host": names.get(stream.host_id),
        },
        "recording_id": recording.id,
        "duration_ms": recording.duration_ms,
        "content_type": recording.content_type,
        "video_url": f"/api/reviews/{review.id}/video",
        "author": names.get(review.author_id),
        "created_at": iso(review.created_at),
        "unread": sum(1 for c in bundle.comments if c.read_at is None),
        "clips": [clip_view(c, bundle.comments) for c in bundle.clips],
        "comments": [comment_view(c, bundle.replies.get(c.id, []), names) for c in bundle.comments],
    }


def clip_view(clip: ReviewClip, comments: list[ReviewComment] | None = None) -> JSON:
    span = Span(clip.start_ms, clip.end_ms)
    return {
        "id": clip.id,
        "review_id": clip.review_id,
        "start_ms": clip.start_ms,
        "end_ms": clip.end_ms,
        "title": clip.title,
        "comment_ids": [c.id for c in comments or [] if in_span(c.offset_ms, span)],
        "export_url": f"/api/clips/{clip.id}/export",
    }


def comment_view(
    comment: ReviewComment, replies: list[ReviewReply], names: dict[int, str] | None = None
) -> JSON:
    names = names or {}
    return {
        "id": comment.id,
        "review_id": comment.review_id,
        "offset_ms": comment.offset_ms,
        "category": Category(comment.category),
        "rating": comment.rating,
        "body": comment.body,
        "author": names.get(comment.author_id),
        "created_at": iso(comment.created_at),
        "read_at": iso(comment.read_at),
        "replies": [reply_view(r, names) for r in replies],
    }


def reply_view(reply: ReviewReply, names: dict[int, str] | None = None) -> JSON:
    return {
        "id": reply.id,
        "comment_id": reply.comment_id,
        "author": (names or {}).get(reply.author_id),
        "author_id": reply.author_id,
        "body": reply.body,
        "created_at": iso(reply.created_at),
    }
