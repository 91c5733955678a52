"""Replay rules without a server: who may watch, chapters from pins, chat replay, signed links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.core.domain import replays
from server.core.domain.errors import Forbidden, NotFound, ValidationError
from server.core.domain.recordings import Span
from server.core.domain.replays import (
    Audience,
    Chapter,
    MediaLink,
    Pin,
    ProductText,
    ReplayLine,
    SaidLine,
    Window,
)

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SPAN = Span(T0, T0 + timedelta(seconds=60), 60_000)
TEXTS = {1: ProductText("Mug", "/m.png"), 2: ProductText("Shirt"), 3: ProductText("Dress")}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("setting", "taken_down", "state", "public", "listed"),
    [
        ("on", False, "listed", True, True),
        ("unlisted", False, "unlisted", True, False),
        ("off", False, "off", False, False),
        ("on", True, "taken_down", False, False),
        ("unlisted", True, "taken_down", False, False),
    ],
)
def test_who_may_watch(setting, taken_down, state, public, listed) -> None:
    assert replays.state(setting, taken_down) == state
    assert replays.is_public(setting, taken_down) is public
    assert replays.is_listed(setting, taken_down) is listed
    replays.check_may_watch(setting, taken_down, staff=True)  # staff always
    if public:
        replays.check_may_watch(setting, taken_down, staff=False)
    else:
        with pytest.raises(NotFound) as refused:
            replays.check_may_watch(setting, taken_down, staff=False)
        assert refused.value.code == "replay_unavailable"


def test_a_replay_sells_only_after_the_show_with_a_recording_anyone_may_watch() -> None:
    assert replays.is_buyable("ended", "on", False, True)
    assert replays.is_buyable("ended", "unlisted", False, True)
    assert not replays.is_buyable("live", "on", False, True)
    assert not replays.is_buyable("ended", "on", False, False)
    assert not replays.is_buyable("ended", "off", False, True)
    assert not replays.is_buyable("ended", "on", True, True)


@pytest.mark.parametrize("bad", ["ON", "", None, 1, "listed", "taken_down"])
def test_the_setting_is_one_of_three(bad) -> None:
    assert replays.check_setting("unlisted") == "unlisted"
    with pytest.raises(ValidationError) as refused:
        replays.check_setting(bad)
    assert refused.value.code == "bad_replay_setting"


def test_chapters_follow_the_pins_clipped_to_the_recording() -> None:
    pins = [
        Pin("pinned", 1, at(-5)),  # before the first frame: starts at 0
        Pin("pinned", 2, at(10)),
        Pin("pinned", 1, at(11)),  # already pinned: no second chapter
        Pin("unpinned", 1, at(20)),
        Pin("unpinned", 2, at(30)),
        Pin("pinned", 1, at(40)),  # never unpinned: to the end
        Pin("unpinned", 3, at(41)),  # never pinned: nothing
        Pin("pinned", 3, at(70)),  # after the recording: left out
    ]
    found = replays.chapters(SPAN, pins, TEXTS)
    assert found == [
        Chapter(1, "Mug", "/m.png", 0, 20_000),
        Chapter(2, "Shirt", "", 10_000, 30_000),
        Chapter(1, "Mug", "/m.png", 40_000, 60_000),
    ]
    assert replays.cards_at(found, 0) == [1]
    assert replays.cards_at(found, 15_000) == [1, 2]
    assert replays.cards_at(found, 20_000) == [2]  # the end is exclusive
    assert replays.cards_at(found, 35_000) == []
    assert replays.cards_at(found, 59_999) == [1]


def test_a_chapter_of_no_length_or_an_unknown_product_is_left_out() -> None:
    pins = [Pin("pinned", 1, at(5)), Pin("unpinned", 1, at(5)), Pin("pinned", 9, at(6))]
    assert replays.chapters(SPAN, pins, TEXTS) == []


def said(id_: int, seconds: float, **kw: bool) -> SaidLine:
    fields = {"deleted": False, "shadowed": False, "question": False, "answered": False} | kw
    return SaidLine(id_, at(seconds), **fields)


def test_chat_replay_never_brings_back_deleted_or_shadowed_lines() -> None:
    lines = [
        said(4, 3.0),
        said(1, 1.0),
        said(2, 1.5, deleted=True),
        said(3, 2.0, shadowed=True),
        said(5, 4.0, question=True, answered=True),
        said(6, 5.0, question=True),
        said(7, -1.0),  # before the recording
        said(8, 61.0),  # after it
    ]
    page = replays.chat_page(SPAN, lines, Window(0, 60_001), pinned_message_id=4)
    assert page.next_from_ms is None
    assert page.lines == [
        ReplayLine(1, 1000, answered=False, pinned=False),
        ReplayLine(4, 3000, answered=False, pinned=True),
        ReplayLine(5, 4000, answered=True, pinned=False),
        ReplayLine(6, 5000, answered=False, pinned=False),
    ]
    window = replays.chat_page(SPAN, lines, Window(3000, 4000), None)
    assert [line.id for line in window.lines] == [4]


def test_a_full_window_stops_before_an_offset_it_cannot_give_whole() -> None:
    lines = [said(1, 1.0), said(2, 2.0), said(3, 2.0), said(4, 3.0)]
    page = replays.chat_page(SPAN, lines, Window(0, 60_000), None, limit=2)
    assert [line.id for line in page.lines] == [1] and page.next_from_ms == 2000
    rest = replays.chat_page(SPAN, lines, Window(2000, 60_000), None, limit=2)
    assert [line.id for line in rest.lines] == [2, 3] and rest.next_from_ms == 3000
    crowd = [said(i, 2.0) for i in range(1, 5)]
    page = replays.chat_page(SPAN, crowd, Window(0, 60_000), None, limit=2)
    assert [line.id for line in page.lines] == [1, 2] and page.next_from_ms == 2001


def test_windows_are_whole_milliseconds_in_order_and_bounded() -> None:
    assert replays.parse_window(None, None, 60_000) == Window(0, 60_000)
    assert replays.parse_window("1000", "5000", 60_000) == Window(1000, 5000)
    assert replays.parse_window("59000", "90000", 60_000) == Window(59000, 60_001)
    for from_ms, to_ms in [
        ("-1", "10"),
        ("1.5", None),
        ("abc", None),
        ("", None),
        ("10", "10"),
        ("10", "5"),
        ("0", str(replays.MAX_CHAT_WINDOW_MS + 1)),
        ("70000", None),  # past the end
        ("١٢", None),  # digits, not ASCII ones
        ("9" * 20, None),
    ]:
        with pytest.raises(ValidationError) as refused:
            replays.parse_window(from_ms, to_ms, 60_000)
        assert refused.value.code == "bad_replay_window", (from_ms, to_ms)


KEY = b"k" * 32


def test_a_signed_link_works_until_it_expires_and_only_as_signed() -> None:
    link = MediaLink(7, 3, 1_000, Audience.PUBLIC)
    signature = replays.sign(KEY, link)
    replays.check_link(KEY, link, signature, now=999)
    with pytest.raises(Forbidden) as expired:
        replays.check_link(KEY, link, signature, now=1_001)
    assert expired.value.code == "replay_link_expired"
    for forged in (
        MediaLink(8, 3, 1_000, Audience.PUBLIC),  # another show
        MediaLink(7, 4, 1_000, Audience.PUBLIC),  # another recording
        MediaLink(7, 3, 9_999, Audience.PUBLIC),  # a later expiry
        MediaLink(7, 3, 1_000, Audience.STAFF),  # staff's reach
    ):
        with pytest.raises(Forbidden) as refused:
            replays.check_link(KEY, forged, signature, now=0)
        assert refused.value.code == "replay_bad_signature"
    with pytest.raises(Forbidden):
        replays.check_link(b"x" * 32, link, signature, now=0)  # another server's key
    with pytest.raises(Forbidden):
        replays.check_link(KEY, link, "é" + signature[1:], now=0)


def test_a_link_is_read_from_its_query() -> None:
    query = {"recording": "3", "expires": "1000", "audience": "public", "signature": "ab"}
    assert replays.parse_link(7, query) == (MediaLink(7, 3, 1000, Audience.PUBLIC), "ab")
    for broken in (
        {**query, "recording": "-3"},
        {**query, "expires": "soon"},
        {**query, "audience": "everyone"},
        {k: v for k, v in query.items() if k != "recording"},
    ):
        with pytest.raises(Forbidden) as refused:
            replays.parse_link(7, broken)
        assert refused.value.code == "replay_bad_signature"


def test_the_replay_plays_the_longest_playable_finished_recording() -> None:
    take = replays.Take
    complete, crashed = take(1, "complete", 4_000), take(2, "interrupted", 9_000)
    failed, empty = take(3, "failed", 20_000), take(4, "interrupted", 0)
    left = take(5, "recording", 30_000)  # a node that never came back
    assert replays.replay_take([complete, crashed, failed, empty, left], show_live=False) == crashed
    assert replays.replay_take([complete, failed], show_live=False) == complete
    assert replays.replay_take([failed, empty, left], show_live=False) is None
    assert replays.replay_take([], show_live=False) is None
    twin = take(6, "complete", 9_000)
    assert replays.replay_take([twin, crashed], show_live=False) == crashed  # the first


def test_a_live_show_rewinds_the_recording_being_written() -> None:
    take = replays.Take
    before, growing = take(1, "complete", 60_000), take(2, "recording", 1_500)
    assert replays.replay_take([before, growing], show_live=True) == growing
    newer = take(3, "recording", 500)
    assert replays.replay_take([before, growing, newer], show_live=True) == newer
    nothing_yet = take(3, "recording", 0)
    assert replays.replay_take([before, nothing_yet], show_live=True) == before
    assert replays.replay_take([nothing_yet], show_live=True) is None


@pytest.mark.parametrize(
    ("setting", "taken_down", "live", "audience"),
    [
        ("on", False, False, Audience.PUBLIC),
        ("unlisted", False, False, Audience.PUBLIC),
        ("off", False, False, Audience.STAFF),
        ("on", True, False, Audience.STAFF),
        ("on", False, True, Audience.STAFF),  # a live show's rewind: never a public link
    ],
)
def test_whom_a_media_link_is_signed_for(setting, taken_down, live, audience) -> None:
    assert replays.link_audience(setting, taken_down, live=live) == audience
