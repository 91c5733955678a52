"""Clip review rules: a coach's review of one recording of a show, its clips, the timed
comments left at moments of it, the host's replies and read marks. Plain Python.

Offsets are milliseconds from the start of the recording's file, as markers are
(domain/recordings.py), and must fall inside it: `0 <= offset <= duration_ms`.

Clips of one review are half-open spans `[start_ms, end_ms)`: a clip must end after it starts,
and two clips of one review may touch (one ends where the next starts) but never overlap, so a
review reads as one sequence of moments and an export never holds the same second twice.
Different reviews of the same show may mark the same moments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from server.core.domain.error_codes import ReviewCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.ids import is_id

MAX_CLIP_TITLE_CHARS = 120
MAX_COMMENT_CHARS = 2000  # comments and replies
RATINGS = range(1, 6)  # an optional 1..5 score on a comment


class Category(StrEnum):
    """What a timed comment is about (a fixed set: reports group by it)."""

    PRODUCT_PRESENTATION = "product_presentation"
    ENERGY = "energy"
    PACING = "pacing"
    ANSWERING_QUESTIONS = "answering_questions"
    COMPLIANCE = "compliance"


CATEGORIES = frozenset(category.value for category in Category)


@dataclass(frozen=True)
class Take:
    """A recording a review may be of: its id and length."""

    recording_id: int
    duration_ms: int


@dataclass(frozen=True)
class Span:
    """A clip's place on the recording: `[start_ms, end_ms)`."""

    start_ms: int
    end_ms: int

    def overlaps(self, other: Span) -> bool:
        return self.start_ms < other.end_ms and other.start_ms < self.end_ms


@dataclass(frozen=True)
class ClipDraft:
    span: Span
    title: str

    @classmethod
    def parse(cls, data: object, duration_ms: int, others: Sequence[Span] = ()) -> ClipDraft:
        """A new clip on a recording `duration_ms` long, beside the review's `others`."""
        body = _object(data)
        start = check_offset(body.get("start_ms"), duration_ms, "start_ms")
        end = check_offset(body.get("end_ms"), duration_ms, "end_ms")
        if end <= start:
            raise ValidationError("end_ms must be after start_ms", code=ReviewCode.CLIP_INVERTED)
        span = Span(start, end)
        for other in others:
            if span.overlaps(other):
                raise Conflict(
                    f"the clip overlaps the review's clip {other.start_ms}-{other.end_ms} ms",
                    code=ReviewCode.CLIP_OVERLAPS,
                )
        return cls(span, check_clip_title(body.get("title")))


@dataclass(frozen=True)
class CommentDraft:
    offset_ms: int
    category: Category
    rating: int | None
    body: str

    @classmethod
    def parse(cls, data: object, duration_ms: int) -> CommentDraft:
        body = _object(data)
        return cls(
            offset_ms=check_offset(body.get("offset_ms"), duration_ms, "offset_ms"),
            category=check_category(body.get("category")),
            rating=check_rating(body.get("rating")),
            body=check_text(body.get("body")),
        )


def choose_take(takes: Sequence[Take], recording_id: object = None) -> Take:
    """The recording a new review is of: the one named, else the show's longest."""
    playable = [take for take in takes if take.duration_ms > 0]
    if recording_id is not None:
        if not is_id(recording_id):
            raise ValidationError(
                "recording_id must be a recording id", code=ReviewCode.BAD_RECORDING
            )
        for take in takes:
            if take.recording_id == recording_id:
                if take.duration_ms <= 0:
                    raise Conflict("that recording is empty", code=ReviewCode.NO_RECORDING)
                return take
        raise ValidationError(
            "recording_id is not a recording of this show", code=ReviewCode.BAD_RECORDING
        )
    if not playable:
        raise Conflict("this show has no recording to review", code=ReviewCode.NO_RECORDING)
    return max(playable, key=lambda take: (take.duration_ms, take.recording_id))


def check_offset(value: object, duration_ms: int, name: str = "offset_ms") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(f"{name} must be an integer of ms", code=ReviewCode.BAD_OFFSET)
    if not 0 <= value <= duration_ms:
        raise ValidationError(
            f"{name} must be inside the recording (0 to {duration_ms} ms)",
            code=ReviewCode.OFFSET_OUTSIDE_RECORDING,
        )
    return value


def check_clip_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError("title must be a non-empty string", code=ReviewCode.BAD_CLIP_TITLE)
    title = title.strip()
    if len(title) > MAX_CLIP_TITLE_CHARS:
        raise ValidationError(
            f"title must be at most {MAX_CLIP_TITLE_CHARS} characters",
            code=ReviewCode.BAD_CLIP_TITLE,
        )
    return title


def check_category(category: object) -> Category:
    if not isinstance(category, str) or category not in CATEGORIES:
        names = ", ".join(Category)
        raise ValidationError(f"category must be one of {names}", code=ReviewCode.BAD_CATEGORY)
    return Category(category)


def check_rating(rating: object) -> int | None:
    if rating is None:
        return None
    if not isinstance(rating, int) or isinstance(rating, bool) or rating not in RATINGS:
        raise ValidationError("rating must be 1 to 5, or left out", code=ReviewCode.BAD_RATING)
    return rating


def check_text(text: object) -> str:
    """A comment's or a reply's body: 1 to MAX_COMMENT_CHARS characters once trimmed."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("body must be a non-empty string", code=ReviewCode.BAD_COMMENT)
    text = text.strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationError(
            f"body must be at most {MAX_COMMENT_CHARS} characters",
            code=ReviewCode.COMMENT_TOO_LONG,
        )
    return text


def in_span(offset_ms: int, span: Span) -> bool:
    """A comment plays with a clip when its moment is inside it (its end included: a comment
    on the clip's last frame still shows)."""
    return span.start_ms <= offset_ms <= span.end_ms


def _object(data: object) -> Mapping[str, object]:
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object")
    return data
