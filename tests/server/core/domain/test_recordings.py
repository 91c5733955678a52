from datetime import UTC, datetime, timedelta

from server.core.domain.recordings import Event, EventKind, Marker, Span, markers

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def span(start: float, end: float) -> Span:
    return Span(at(start), at(end), int((end - start) * 1000))


def test_one_recording_gets_the_show_with_offsets_inside_the_file() -> None:
    events = [
        Event(EventKind.STARTED, at(-0.4)),  # live a moment before the first keyframe
        Event(EventKind.PINNED, at(3.25), 7),
        Event(EventKind.UNPINNED, at(9), 7),
        Event(EventKind.ENDED, at(60.2)),  # after the host's last frame
    ]
    [found] = markers([span(0, 60)], events)
    assert found == [
        Marker("started", None, 0),
        Marker("pinned", 7, 3250),
        Marker("unpinned", 7, 9000),
        Marker("ended", None, 60000),
    ]


def test_events_far_from_any_recording_are_left_out() -> None:
    events = [Event(EventKind.PINNED, at(-600), 1), Event(EventKind.ENDED, at(3600))]
    assert markers([span(0, 60)], events) == [[]]
    assert markers([], events) == []


def test_a_reconnecting_host_splits_the_timeline_between_recordings() -> None:
    first, second = span(0, 30), span(33, 90)  # the host was gone for 3 s
    events = [
        Event(EventKind.STARTED, at(-1)),
        Event(EventKind.PINNED, at(20), 1),
        Event(EventKind.PINNED, at(31), 2),  # pinned while the host was away
        Event(EventKind.UNPINNED, at(40), 2),
        Event(EventKind.ENDED, at(90.5)),
    ]
    one, two = markers([first, second], events)
    assert [(m.kind, m.offset_ms) for m in one] == [("started", 0), ("pinned", 20000)]
    assert [(m.kind, m.product_id, m.offset_ms) for m in two] == [
        ("pinned", 2, 0),
        ("unpinned", 2, 7000),
        ("ended", None, 57000),
    ]
