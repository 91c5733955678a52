"""Recordings of a show and its timeline: when it went live, what was pinned, when it ended,
placed on the recordings as offsets a replay can seek to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

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
    RECORDING = "recording"  # the show is live: the file grows a fragment (<= 2 s) at a time
    COMPLETE = "complete"
    FAILED = "failed"  # stopped early (a corrupt frame, a disk error): holds what came before
    # The node writing it died (a crash, SIGKILL): recovered when that node started again,
    # the file cut back to its last whole fragment; holds the show up to then.
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class FileFacts:
    """What a recording's file really holds, read from its packets."""

    duration_ms: int
    bytes: int


class RecordingFiles(Protocol):
    """Reads recording files on this machine (the media core's, given by the composition
    root). Each call reads the disk: the service runs them in a thread."""

    def facts(self, path: str) -> FileFacts | None:
        """None: no such file, or nothing in it can be played."""

    def being_written(self, path: str) -> bool:
        """Whether a live recorder on this machine writes it."""

    def repair(self, path: str) -> None:
        """Cut a file a crash left back to what a player can read (no file: nothing to do)."""


@dataclass(frozen=True)
class RecordingInfo:
    """A recording as the replay and review code read it. For a live one (`status`
    recording) `duration_ms` and `bytes` are what the file holds at the moment of asking."""

    id: int
    stream_id: int
    path: str  # on this server's disk (never shown to clients)
    container: str  # "mp4" or "webm"
    content_type: str
    status: RecordingStatus
    started_at: datetime  # the first frame, UTC
    ended_at: datetime | None  # None while it is live
    duration_ms: int
    bytes: int

    @property
    def live(self) -> bool:
        """Still being written: it grows, and its end is not known yet."""
        return self.status is RecordingStatus.RECORDING

    @property
    def complete(self) -> bool:
        """Finished as planned: the whole session, to the end of the show or of the host."""
        return self.status is RecordingStatus.COMPLETE

    @property
    def playable(self) -> bool:
        """Holds something a player can show (live, complete, or cut short but not empty)."""
        return self.duration_ms > 0


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
