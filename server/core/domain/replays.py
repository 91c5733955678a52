"""Replays of ended shows: who may watch one, its product chapters from the pin history, the
chat as it scrolled by, the card at a moment, and the signed links the player fetches with.

Offsets are milliseconds from the first frame of the recording the replay plays."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from server.core.domain.error_codes import ReplayCode
from server.core.domain.errors import Forbidden, NotFound, ValidationError
from server.core.domain.recordings import EventKind, RecordingStatus, Span

MEDIA_LINK_TTL_S = 3600  # a signed media link works this long; the page asks for a new one
MAX_CHAT_WINDOW_MS = 10 * 60 * 1000  # one chat request spans at most this much of the replay
DEFAULT_CHAT_WINDOW_MS = 60 * 1000
MAX_CHAT_LINES = 500  # per answer; `next_from_ms` says where the rest starts
MAX_OFFSET_MS = 7 * 24 * 3600 * 1000
RECENT_REPLAYS = 20


class ReplaySetting(StrEnum):
    ON = "on"  # listed on the home page, watchable by anyone
    UNLISTED = "unlisted"  # watchable by anyone with the link, never listed
    OFF = "off"  # nobody but staff


class ReplayState(StrEnum):
    """What a replay is now, as its answer says: its setting, or taken down by staff."""

    LISTED = "listed"
    UNLISTED = "unlisted"
    OFF = "off"
    TAKEN_DOWN = "taken_down"


class OrderSource(StrEnum):
    LIVE = "live"
    REPLAY = "replay"


class Audience(StrEnum):
    """Whom a media link was signed for: anyone (checked again at each fetch) or staff."""

    PUBLIC = "public"
    STAFF = "staff"


def check_setting(value: object) -> ReplaySetting:
    if value not in set(ReplaySetting):
        raise ValidationError(
            "replay must be on, off or unlisted", code=ReplayCode.BAD_REPLAY_SETTING
        )
    return ReplaySetting(str(value))


def state(setting: str, taken_down: bool) -> ReplayState:
    if taken_down:
        return ReplayState.TAKEN_DOWN
    return {
        ReplaySetting.ON: ReplayState.LISTED,
        ReplaySetting.UNLISTED: ReplayState.UNLISTED,
    }.get(ReplaySetting(setting), ReplayState.OFF)


def is_public(setting: str, taken_down: bool) -> bool:
    """Anyone with the link may watch (listed or unlisted, not taken down)."""
    return state(setting, taken_down) in (ReplayState.LISTED, ReplayState.UNLISTED)


def is_listed(setting: str, taken_down: bool) -> bool:
    """Shown among the recent replays."""
    return state(setting, taken_down) == ReplayState.LISTED


def check_may_watch(setting: str, taken_down: bool, *, staff: bool) -> None:
    """Staff (the show's host, moderators, admins) watch any replay; anyone else a public one.
    A replay that is off or taken down answers as if it were not there."""
    if not staff and not is_public(setting, taken_down):
        raise NotFound("this show has no replay to watch", code=ReplayCode.REPLAY_UNAVAILABLE)


def link_audience(setting: str, taken_down: bool, *, live: bool) -> Audience:
    """Whom a media link is signed for: a live show's rewind is staff's only (a public link
    to it is never made); an ended show's replay is public when anyone may watch it."""
    if not live and is_public(setting, taken_down):
        return Audience.PUBLIC
    return Audience.STAFF


def is_buyable(status: str, setting: str, taken_down: bool, has_recording: bool) -> bool:
    """A replay sells (at normal prices) once the show ended, while anyone may watch it."""
    return status == "ended" and has_recording and is_public(setting, taken_down)


# -- the recording a replay plays ------------------------------------------------------------

# Finished recordings a replay may play: whole, or cut short by a crash of the ingest node and
# recovered to its last whole fragment. A failed one never; one still `recording` only as a
# live show's rewind (an ended show's, left so by a node that never came back, never).
FINISHED = frozenset({RecordingStatus.COMPLETE, RecordingStatus.INTERRUPTED})


@dataclass(frozen=True)
class Take:
    """One recording of a show as the replay chooses among them."""

    id: int
    status: str  # RecordingStatus
    duration_ms: int  # of a live one: what its file holds at the moment of asking


def replay_take(takes: Sequence[Take], *, show_live: bool) -> Take | None:
    """The recording a replay plays: the longest playable finished one (a host who reconnected
    has several; the longest holds most of the show; of equal ones, the first). While the show
    is live (the host's rewind, staff's review), the newest one being written that holds
    something, else the longest finished so far."""
    if show_live:
        growing = [t for t in takes if t.status == RecordingStatus.RECORDING and t.duration_ms > 0]
        if growing:
            return max(growing, key=lambda t: t.id)
    finished = [t for t in takes if t.status in FINISHED and t.duration_ms > 0]
    return max(finished, key=lambda t: (t.duration_ms, -t.id), default=None)


# -- chapters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """A product pinned (or unpinned) at a wall-clock time: a StreamEvent of the show."""

    kind: str  # EventKind.PINNED or EventKind.UNPINNED
    product_id: int
    at: datetime


@dataclass(frozen=True)
class Chapter:
    product_id: int
    title: str
    image_url: str
    start_ms: int
    end_ms: int

    def covers(self, offset_ms: int) -> bool:
        return self.start_ms <= offset_ms < self.end_ms


@dataclass(frozen=True)
class ProductText:
    title: str
    image_url: str = ""


def chapters(span: Span, pins: Sequence[Pin], texts: Mapping[int, ProductText]) -> list[Chapter]:
    """Every time a product was pinned becomes a chapter, until it was unpinned (or the show
    ended), clipped to the recording; chapters outside it, or of no length, are left out.
    `pins` in order of time; `texts` the product titles in the viewer's language."""
    opened: dict[int, datetime] = {}
    spans: list[tuple[int, datetime, datetime | None]] = []
    for pin in pins:
        if pin.kind == EventKind.PINNED and pin.product_id not in opened:
            opened[pin.product_id] = pin.at
        elif pin.kind == EventKind.UNPINNED and pin.product_id in opened:
            spans.append((pin.product_id, opened.pop(pin.product_id), pin.at))
    spans += [(product_id, at, None) for product_id, at in opened.items()]
    found = []
    for product_id, start, end in spans:
        start_ms = _clip(_offset(span, start), span.duration_ms)
        end_ms = span.duration_ms if end is None else _clip(_offset(span, end), span.duration_ms)
        text = texts.get(product_id)
        if end_ms > start_ms and text is not None:
            found.append(Chapter(product_id, text.title, text.image_url, start_ms, end_ms))
    return sorted(found, key=lambda c: (c.start_ms, c.end_ms, c.product_id))


def cards_at(found: Sequence[Chapter], offset_ms: int) -> list[int]:
    """The products pinned at that moment, oldest pin first (as the live page orders them)."""
    return [c.product_id for c in found if c.covers(offset_ms)]


def offset_of(span: Span, at: datetime) -> int:
    """A wall-clock time as an offset into the recording, clipped to it."""
    return _clip(_offset(span, at), span.duration_ms)


def _offset(span: Span, at: datetime) -> int:
    return int((at - span.started_at) / timedelta(milliseconds=1))


def _clip(offset_ms: int, duration_ms: int) -> int:
    return min(max(offset_ms, 0), duration_ms)


# -- chat replay ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaidLine:
    """A chat line as the log keeps it."""

    id: int
    at: datetime
    deleted: bool
    shadowed: bool
    question: bool
    answered: bool


@dataclass(frozen=True)
class ReplayLine:
    id: int
    offset_ms: int
    answered: bool  # a question the host answered
    pinned: bool  # the message pinned above the chat


@dataclass(frozen=True)
class Window:
    from_ms: int
    to_ms: int  # exclusive


@dataclass(frozen=True)
class ChatPage:
    lines: list[ReplayLine]
    next_from_ms: int | None  # the window held more lines than one answer: ask from here


def parse_window(from_raw: str | None, to_raw: str | None, duration_ms: int) -> Window:
    """`?from_ms=&to_ms=`: whole milliseconds, 0 <= from < to, at most MAX_CHAT_WINDOW_MS
    apart; `to_ms` defaults to DEFAULT_CHAT_WINDOW_MS after `from_ms`, and past the end of the
    recording reads as its end."""
    from_ms = _parse_ms(from_raw, "from_ms") if from_raw is not None else 0
    to_ms = _parse_ms(to_raw, "to_ms") if to_raw is not None else from_ms + DEFAULT_CHAT_WINDOW_MS
    if to_ms <= from_ms:
        raise ValidationError("to_ms must be after from_ms", code=ReplayCode.BAD_REPLAY_WINDOW)
    if to_ms - from_ms > MAX_CHAT_WINDOW_MS:
        raise ValidationError(
            f"a window spans at most {MAX_CHAT_WINDOW_MS} ms", code=ReplayCode.BAD_REPLAY_WINDOW
        )
    if from_ms > duration_ms:
        raise ValidationError(
            f"from_ms is past the end of the recording ({duration_ms} ms)",
            code=ReplayCode.BAD_REPLAY_WINDOW,
        )
    return Window(from_ms, min(to_ms, duration_ms + 1))


def _parse_ms(raw: str, name: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_OFFSET_MS:
        raise ValidationError(
            f"{name} must be a whole number of milliseconds, 0 or more",
            code=ReplayCode.BAD_REPLAY_WINDOW,
        )
    return int(raw)


def chat_page(
    span: Span,
    said: Sequence[SaidLine],
    window: Window,
    pinned_message_id: int | None,
    limit: int = MAX_CHAT_LINES,
) -> ChatPage:
    """The lines said within the window, in the order said: a deleted line, or one of a
    shadow-banned author, never comes back. When more than `limit` fall in it, the answer
    stops before the last offset it could not give whole, and `next_from_ms` is that offset."""
    lines = []
    for line in sorted(said, key=lambda s: (s.at, s.id)):
        if line.deleted or line.shadowed:
            continue
        offset = _offset(span, line.at)
        if window.from_ms <= offset < window.to_ms:
            pinned = line.id == pinned_message_id
            lines.append(ReplayLine(line.id, offset, line.question and line.answered, pinned))
    if len(lines) <= limit:
        return ChatPage(lines, None)
    cut = lines[limit].offset_ms
    kept = [line for line in lines[:limit] if line.offset_ms < cut]
    if not kept:  # more than `limit` lines in one millisecond: give them, then go on after it
        kept, cut = lines[:limit], cut + 1
    return ChatPage(kept, cut)


# -- signed media links -----------------------------------------------------------------------


@dataclass(frozen=True)
class MediaLink:
    stream_id: int
    recording_id: int
    expires: int  # Unix seconds
    audience: Audience


def sign(key: bytes, link: MediaLink) -> str:
    message = f"{link.stream_id}.{link.recording_id}.{link.expires}.{link.audience}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_link(key: bytes, link: MediaLink, signature: str, now: float) -> None:
    """A forged or altered link is refused before an expired one is told it expired."""
    if not hmac.compare_digest(sign(key, link).encode(), signature.encode("utf-8", "replace")):
        raise Forbidden("this replay link is not ours", code=ReplayCode.REPLAY_BAD_SIGNATURE)
    if link.expires < now:
        raise Forbidden(
            "this replay link has expired: open the replay again",
            code=ReplayCode.REPLAY_LINK_EXPIRED,
        )


def parse_link(stream_id: int, query: Mapping[str, str]) -> tuple[MediaLink, str]:
    """The link's fields from `?recording=&expires=&audience=&signature=`; anything missing or
    malformed is a forged link."""
    try:
        recording_id = int(_digits(query.get("recording")))
        expires = int(_digits(query.get("expires")))
        audience = Audience(query.get("audience", ""))
    except ValueError:
        raise Forbidden(
            "this replay link is not ours", code=ReplayCode.REPLAY_BAD_SIGNATURE
        ) from None
    return MediaLink(stream_id, recording_id, expires, audience), query.get("signature", "")


def _digits(raw: str | None) -> str:
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise ValueError(raw)
    return raw
