"""Recordings of a show and its timeline: when it went live, what was pinned, when it ended,
placed on the recordings as offsets a replay can seek to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# An event this long before a recording's first frame still belongs to it, at 0 (the host's
# first keyframe comes a moment after the show goes live), and this long after its end, at
# its end (a show is ended after the host's last frame).
LEAD = timedelta(seconds=10)
TRAIL = timedelta(seconds=10)
CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}  # by container


class EventKind(StrEnum):
    STARTED = "started"
    ENDED = "ended"
    PINNED = "pinned"
    UNPINNED = "unpinned"


class RecordingStatus(StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"  # stopped early (a corrupt frame, a disk error): holds what came before


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime
    product_id: int | None = None


@dataclass(frozen=True)
class Span:
    """A recording's place in time: wall clock of its first frame and of its end."""

    started_at: datetime
    ended_at: datetime
    duration_ms: int


@dataclass(frozen=True)
class Marker:
    kind: str
    product_id: int | None
    offset_ms: int  # from the start of the recording's file


def markers(spans: Sequence[Span], events: Sequence[Event]) -> list[list[Marker]]:
    """Each recording's markers. `spans` in order of start, `events` in order of time.

    An event belongs to at most one recording: the nearest one within LEAD/TRAIL, and when
    a host reconnects, events in between go to the recording that follows them.
    """
    lowers = [
        max(span.started_at - LEAD, spans[i - 1].ended_at) if i else span.started_at - LEAD
        for i, span in enumerate(spans)
    ]
    found = []
    for i, span in enumerate(spans):
        upper = span.ended_at + TRAIL
        if i + 1 < len(spans):
            upper = min(upper, lowers[i + 1])
        found.append([_marker(span, e) for e in events if lowers[i] <= e.at < upper])
    return found


def _marker(span: Span, event: Event) -> Marker:
    offset_ms = int((event.at - span.started_at) / timedelta(milliseconds=1))
    return Marker(event.kind, event.product_id, min(max(offset_ms, 0), span.duration_ms))
