"""Clip review rules, without a server: clips, timed comments, replies, which recording."""

from __future__ import annotations

import pytest

from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.reviews import (
    MAX_CLIP_TITLE_CHARS,
    MAX_COMMENT_CHARS,
    Category,
    ClipDraft,
    CommentDraft,
    Span,
    Take,
    check_text,
    choose_take,
    in_span,
)
from server.core.domain.roles import Principal, Role, can_read_reviews, can_review

LONG = 60_000  # a one-minute recording


def clip(start: object, end: object, title: object = "Opening") -> dict[str, object]:
    return {"start_ms": start, "end_ms": end, "title": title}


def test_a_clip_inside_the_recording_is_taken_with_its_title_trimmed() -> None:
    draft = ClipDraft.parse(clip(0, LONG, "  Opening  "), LONG)
    assert draft == ClipDraft(Span(0, LONG), "Opening")


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (-1, 1000, "offset_outside_recording"),
        (0, LONG + 1, "offset_outside_recording"),
        (LONG + 5, LONG + 10, "offset_outside_recording"),
        (5000, 4000, "clip_inverted"),
        (5000, 5000, "clip_inverted"),
        ("0", 1000, "bad_offset"),
        (0, 1000.5, "bad_offset"),
        (True, 1000, "bad_offset"),
        (None, 1000, "bad_offset"),
    ],
)
def test_clips_outside_the_recording_or_inverted_are_refused(start, end, code) -> None:
    with pytest.raises(ValidationError) as refused:
        ClipDraft.parse(clip(start, end), LONG)
    assert refused.value.code == code


@pytest.mark.parametrize("title", ["", "   ", None, 7, "x" * (MAX_CLIP_TITLE_CHARS + 1)])
def test_a_clip_title_is_1_to_120_characters(title) -> None:
    with pytest.raises(ValidationError) as refused:
        ClipDraft.parse(clip(0, 1000, title), LONG)
    assert refused.value.code == "bad_clip_title"
    assert ClipDraft.parse(clip(0, 1000, "x" * MAX_CLIP_TITLE_CHARS), LONG).title


def test_clips_of_one_review_may_touch_but_never_overlap() -> None:
    others = [Span(10_000, 20_000)]
    assert ClipDraft.parse(clip(0, 10_000), LONG, others).span == Span(0, 10_000)
    assert ClipDraft.parse(clip(20_000, 30_000), LONG, others).span == Span(20_000, 30_000)
    for start, end in [(5000, 10_001), (19_999, 25_000), (12_000, 15_000), (0, LONG)]:
        with pytest.raises(Conflict) as refused:
            ClipDraft.parse(clip(start, end), LONG, others)
        assert refused.value.code == "clip_overlaps" and refused.value.status == 409


def comment(**change: object) -> dict[str, object]:
    return {"offset_ms": 1500, "category": "energy", "rating": 4, "body": "More smile"} | change


def test_a_timed_comment_has_a_moment_a_category_a_rating_and_a_body() -> None:
    draft = CommentDraft.parse(comment(body="  More smile "), LONG)
    assert draft == CommentDraft(1500, Category.ENERGY, 4, "More smile")
    assert CommentDraft.parse(comment(rating=None), LONG).rating is None
    assert CommentDraft.parse({k: v for k, v in comment().items() if k != "rating"}, LONG)
    assert CommentDraft.parse(comment(offset_ms=0), LONG).offset_ms == 0
    assert CommentDraft.parse(comment(offset_ms=LONG), LONG).offset_ms == LONG
    categories = {
        "product_presentation",
        "energy",
        "pacing",
        "answering_questions",
        "compliance",
    }
    assert {str(c) for c in Category} == categories
    for category in categories:
        assert CommentDraft.parse(comment(category=category), LONG).category == category


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"offset_ms": -1}, "offset_outside_recording"),
        ({"offset_ms": LONG + 1}, "offset_outside_recording"),
        ({"offset_ms": "5"}, "bad_offset"),
        ({"category": "charisma"}, "bad_category"),
        ({"category": "Energy"}, "bad_category"),
        ({"category": None}, "bad_category"),
        ({"rating": 0}, "bad_rating"),
        ({"rating": 6}, "bad_rating"),
        ({"rating": 4.5}, "bad_rating"),
        ({"rating": True}, "bad_rating"),
        ({"body": ""}, "bad_comment"),
        ({"body": "  \n "}, "bad_comment"),
        ({"body": 12}, "bad_comment"),
        ({"body": "x" * 10_000}, "comment_too_long"),
        ({"body": "x" * (MAX_COMMENT_CHARS + 1)}, "comment_too_long"),
    ],
)
def test_bad_comments_are_refused_with_their_code(change, code) -> None:
    with pytest.raises(ValidationError) as refused:
        CommentDraft.parse(comment(**change), LONG)
    assert refused.value.code == code


def test_a_comment_of_2000_characters_is_taken_and_not_an_object_is_refused() -> None:
    assert len(CommentDraft.parse(comment(body="x" * MAX_COMMENT_CHARS), LONG).body) == 2000
    with pytest.raises(ValidationError):
        CommentDraft.parse(["not", "an", "object"], LONG)
    assert check_text(" thanks ") == "thanks"
    with pytest.raises(ValidationError) as refused:
        check_text("y" * 10_000)
    assert refused.value.code == "comment_too_long"


def test_a_review_is_of_the_recording_named_else_the_longest() -> None:
    takes = [Take(1, 5000), Take(2, 90_000), Take(3, 0)]
    assert choose_take(takes) == Take(2, 90_000)
    assert choose_take(takes, 1) == Take(1, 5000)
    for wanted, code in [(9, "bad_recording"), ("1", "bad_recording"), (0, "bad_recording")]:
        with pytest.raises(ValidationError) as refused:
            choose_take(takes, wanted)
        assert refused.value.code == code
    for empty in ([], [Take(3, 0)]):
        with pytest.raises(Conflict) as conflict:
            choose_take(empty)
        assert conflict.value.code == "no_recording"
    with pytest.raises(Conflict):
        choose_take(takes, 3)  # an empty recording cannot be reviewed


def test_a_comment_plays_with_a_clip_when_its_moment_is_inside_it() -> None:
    span = Span(1000, 2000)
    assert [in_span(t, span) for t in (999, 1000, 1500, 2000, 2001)] == [
        False,
        True,
        True,
        True,
        False,
    ]


def person(role: Role, user_id: int = 7) -> Principal:
    return Principal(f"u:{user_id}", "Someone", role, user_id)


def test_coaches_and_admins_review_any_show_and_hosts_read_only_their_own() -> None:
    assert can_review(person(Role.COACH)) and can_review(person(Role.ADMIN))
    for role in (Role.HOST, Role.MODERATOR, Role.SELLER, Role.VIEWER):
        assert not can_review(person(role)), role
    assert can_read_reviews(person(Role.COACH), stream_host_id=99)
    assert can_read_reviews(person(Role.ADMIN), stream_host_id=99)
    assert can_read_reviews(person(Role.HOST, 99), stream_host_id=99)
    assert not can_read_reviews(person(Role.HOST, 98), stream_host_id=99)
    for role in (Role.MODERATOR, Role.SELLER, Role.VIEWER):
        assert not can_read_reviews(person(role, 99), stream_host_id=99), role
