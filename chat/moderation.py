"""Moderation of a show's chat: who may do what, sanctions, room modes and the send decision.

Plain Python with no I/O, for Socket.IO handlers and a Redis-shared store to call: time is
passed in (epoch seconds), every change made by a person returns an AuditEntry for the caller
to persist, and all state converts to and from JSON-safe dicts. docs/moderation.md has the
rules, the permission matrix and the error codes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from chat.permissions import (
    RANK,
    STREAM_STAFF,
    Action,
    ModerationForbidden,
    Standing,
    require,
    standing,
)
from chat.rules import ChatRefused
from chat.word_filter import FilterAction, WordFilter, mask, strongest
from server.core.domain.error_codes import AuthCode, ErrorCode, RoomCode
from server.core.domain.errors import Conflict, NotFound, ValidationError
from server.core.domain.roles import Principal, Role

# -- limits and defaults: the one place to tune them -----------------------------------------
MUTE_PRESETS_S = (60, 600, 3600)  # the durations a moderator's menu offers
DEFAULT_MUTE_S = 600
MAX_MUTE_S = 7 * 24 * 3600  # longer than a week is a ban, and should say so
MAX_PLATFORM_BAN_S = 5 * 365 * 24 * 3600  # a timed platform ban; None means until lifted
MAX_SLOW_MODE_S = 3600
MAX_ACCOUNT_AGE_S = 90 * 24 * 3600  # established-user mode's largest threshold
MAX_REASON_CHARS = 200
MAX_HELD = 200  # per stream; when full, held-worthy messages are refused, not shown
HELD_TTL_S = 15 * 60  # a live chat line approved later than this is stale: it is dropped
SYSTEM = "system"  # the actor of automatic changes (a message held by the word filter)
FINGERPRINT = "fp:"  # key prefix of a guest's device/IP fingerprint

Json = str | int | float | bool | None | list[str]


class MessageRefused(ChatRefused):
    """A chat line the moderation rules refuse; `retry_after_s` when waiting will help."""

    status = 403

    def __init__(
        self, message: str, *, code: ErrorCode, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


# -- people, sanctions, modes, held messages, audit entries -----------------------------------


@dataclass(frozen=True)
class Person:
    """Someone who chats or is sanctioned, with what the edge knows about them."""

    principal: Principal
    fingerprint: str | None = None  # guests: a device/IP fingerprint from the edge
    account_created_at: float | None = None  # accounts: for established-user mode
    follows_host: bool = False  # for followers-only mode

    @property
    def keys(self) -> tuple[str, ...]:
        # A guest comes back under a new subject, so their fingerprint is what lasts. Accounts
        # are known by id only: a shared address (a campus, a carrier NAT) must not lock them out.
        if self.principal.is_guest and self.fingerprint:
            return (self.principal.subject, FINGERPRINT + self.fingerprint)
        return (self.principal.subject,)


class SanctionKind(StrEnum):
    MUTE = "mute"
    BAN = "ban"
    SHADOW_BAN = "shadow_ban"
    PLATFORM_BAN = "platform_ban"


@dataclass(frozen=True)
class Sanction:
    kind: SanctionKind
    keys: tuple[str, ...]  # Person.keys of the target
    by: str  # the actor's subject
    by_standing: Standing  # only this rank or above may lift it
    at: float
    until: float | None  # None: until lifted; the sanction ends at `until` exactly
    reason: str

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until

    def to_dict(self) -> dict[str, Any]:
        plain = {"kind": self.kind.value, "by_standing": self.by_standing.value}
        return asdict(self) | plain | {"keys": list(self.keys)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sanction:
        kind, by = SanctionKind(data["kind"]), Standing(data["by_standing"])
        return cls(**(dict(data) | {"kind": kind, "keys": tuple(data["keys"]), "by_standing": by}))


class SanctionBook:
    """Sanctions indexed by kind and by each key of their target (one live record per pair)."""

    def __init__(self, sanctions: list[Sanction] | None = None) -> None:
        self._index: dict[tuple[SanctionKind, str], Sanction] = {}
        for sanction in sanctions or ():
            self.put(sanction)

    def find(self, kind: SanctionKind, person: Person, now: float) -> Sanction | None:
        found = (self._index.get((kind, key)) for key in person.keys)
        return next((s for s in found if s is not None and s.active(now)), None)

    def put(self, sanction: Sanction) -> None:
        """Record a sanction, replacing the target's earlier one of the same kind."""
        for key in sanction.keys:
            self._drop(self._index.get((sanction.kind, key)))
        for key in sanction.keys:
            self._index[(sanction.kind, key)] = sanction

    def remove(self, sanction: Sanction) -> None:
        self._drop(sanction)

    def prune(self, now: float) -> None:
        for sanction in self.all():
            if not sanction.active(now):
                self._drop(sanction)

    def all(self) -> list[Sanction]:
        return list({id(s): s for s in self._index.values()}.values())

    def _drop(self, sanction: Sanction | None) -> None:
        if sanction is None:
            return
        for key in sanction.keys:
            if self._index.get((sanction.kind, key)) is sanction:
                del self._index[(sanction.kind, key)]


@dataclass(frozen=True)
class RoomModes:
    slow_mode_s: int = 0  # one message per this many seconds per person; 0 is off
    registered_only: bool = False  # no guests
    min_account_age_s: int = 0  # established-user mode: younger accounts wait; 0 is off
    followers_only: bool = False  # only the host's followers (and staff) chat

    def checked(self) -> RoomModes:
        if not _int_within(self.slow_mode_s, MAX_SLOW_MODE_S):
            raise ValidationError(f"slow mode is 0-{MAX_SLOW_MODE_S} s", code=RoomCode.BAD_MODE)
        if not _int_within(self.min_account_age_s, MAX_ACCOUNT_AGE_S):
            raise ValidationError(f"account age is 0-{MAX_ACCOUNT_AGE_S} s", code=RoomCode.BAD_MODE)
        if not isinstance(self.registered_only, bool):
            raise ValidationError("registered_only is true or false", code=RoomCode.BAD_MODE)
        if not isinstance(self.followers_only, bool):
            raise ValidationError("followers_only is true or false", code=RoomCode.BAD_MODE)
        return self


@dataclass(frozen=True)
class HeldMessage:
    id: int
    sender: str  # subject
    display_name: str
    text: str  # as it would be delivered (masked terms already masked)
    terms: tuple[str, ...]  # the terms that held it
    at: float
    meta: Mapping[str, Json] = field(default_factory=dict)  # the caller's, kept for delivery

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"terms": list(self.terms), "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeldMessage:
        meta = dict(data.get("meta") or {})
        return cls(**(dict(data) | {"terms": tuple(data["terms"]), "meta": meta}))


@dataclass(frozen=True)
class AuditEntry:
    actor: str  # subject, or SYSTEM
    action: Action
    target: str | None  # the subject acted on, a term, a held message id...
    stream_id: int | None  # None for platform-wide actions
    at: float
    detail: Mapping[str, Json] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"action": self.action.value, "detail": dict(self.detail)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        return cls(**(dict(data) | {"action": Action(data["action"])}))


# -- the state of one stream and of the platform ---------------------------------------------

_LIFTS = {
    Action.UNMUTE: SanctionKind.MUTE,
    Action.UNBAN: SanctionKind.BAN,
    Action.UNSHADOW_BAN: SanctionKind.SHADOW_BAN,
    Action.PLATFORM_UNBAN: SanctionKind.PLATFORM_BAN,
}


@dataclass
class StreamModeration:
    """One show's moderators, modes, sanctions, word list, review queue and slow-mode clock."""

    stream_id: int
    host_id: int
    language: str = "en"  # picks the word-list terms that apply
    moderators: set[int] = field(default_factory=set)  # user ids the host appointed
    modes: RoomModes = field(default_factory=RoomModes)
    sanctions: SanctionBook = field(default_factory=SanctionBook)
    words: WordFilter = field(default_factory=WordFilter)
    held: dict[int, HeldMessage] = field(default_factory=dict)
    next_held_id: int = 1
    last_sent: dict[str, float] = field(default_factory=dict)  # Person key -> time

    def appoint(self, actor: Principal, target: Principal, now: float) -> AuditEntry:
        require(actor, Action.APPOINT_MODERATOR, self)
        if target.user_id is None or target.user_id == self.host_id:
            raise ValidationError(
                "appoint a signed-in viewer, not a guest or the host", code=RoomCode.BAD_TARGET
            )
        self.moderators.add(target.user_id)
        return self._audit(actor, Action.APPOINT_MODERATOR, target.subject, now)

    def dismiss(self, actor: Principal, target: Principal, now: float) -> AuditEntry:
        require(actor, Action.REMOVE_MODERATOR, self)
        if target.user_id not in self.moderators:
            raise NotFound("not a moderator of this stream", code=RoomCode.NOT_MODERATOR)
        self.moderators.discard(target.user_id)
        return self._audit(actor, Action.REMOVE_MODERATOR, target.subject, now)

    def mute(
        self,
        actor: Principal,
        target: Person,
        now: float,
        duration_s: float = DEFAULT_MUTE_S,
        reason: str = "",
    ) -> AuditEntry:
        until = now + _duration(duration_s, MAX_MUTE_S)
        return _impose(self.sanctions, actor, target, Action.MUTE, self, now, until, reason)

    def ban(self, actor: Principal, target: Person, now: float, reason: str = "") -> AuditEntry:
        return _impose(self.sanctions, actor, target, Action.BAN, self, now, None, reason)

    def shadow_ban(
        self, actor: Principal, target: Person, now: float, reason: str = ""
    ) -> AuditEntry:
        return _impose(self.sanctions, actor, target, Action.SHADOW_BAN, self, now, None, reason)

    def unmute(self, actor: Principal, target: Person, now: float) -> AuditEntry:
        return _lift(self.sanctions, actor, target, Action.UNMUTE, self, now)

    def unban(self, actor: Principal, target: Person, now: float) -> AuditEntry:
        return _lift(self.sanctions, actor, target, Action.UNBAN, self, now)

    def unshadow_ban(self, actor: Principal, target: Person, now: float) -> AuditEntry:
        return _lift(self.sanctions, actor, target, Action.UNSHADOW_BAN, self, now)

    def delete_message(
        self, actor: Principal, author: Principal, message_id: int, now: float
    ) -> AuditEntry:
        """Check and record a deletion; removing the line from the chat log is the caller's."""
        require(actor, Action.DELETE_MESSAGE, self, author)
        detail: dict[str, Json] = {"message_id": message_id}
        return self._audit(actor, Action.DELETE_MESSAGE, author.subject, now, detail)

    def delete_user_messages(self, actor: Principal, author: Principal, now: float) -> AuditEntry:
        """Check and record deleting every message of `author` here (the caller deletes them)."""
        require(actor, Action.DELETE_MESSAGE, self, author)
        detail: dict[str, Json] = {"all": True}
        return self._audit(actor, Action.DELETE_MESSAGE, author.subject, now, detail)

    def set_modes(self, actor: Principal, modes: RoomModes, now: float) -> AuditEntry:
        require(actor, Action.SET_MODES, self)
        self.modes = modes.checked()
        return self._audit(actor, Action.SET_MODES, None, now, dict(asdict(modes)))

    def approve(
        self, actor: Principal, held_id: int, now: float, platform: PlatformModeration
    ) -> tuple[HeldMessage, AuditEntry]:
        """Take a held message off the queue for the caller to deliver to the room, unless its
        sender was banned, muted or shadow-banned while it waited (then it can only be rejected)."""
        held = self.held.get(held_id)
        if held is not None and self._sanctioned(held.sender, now, platform):
            raise Conflict(
                "its sender was banned or muted while it waited: reject it instead",
                code=RoomCode.SENDER_SANCTIONED,
            )
        return self._review(actor, held_id, now, "approved")

    def reject(self, actor: Principal, held_id: int, now: float) -> tuple[HeldMessage, AuditEntry]:
        return self._review(actor, held_id, now, "rejected")

    def pending(self, now: float) -> list[HeldMessage]:
        """The review queue, oldest first, without expired messages."""
        return [h for h in self.held.values() if now < h.at + HELD_TTL_S]

    def prune(self, now: float) -> None:
        """Forget expired sanctions, stale held messages and slow-mode times that no longer bite."""
        self.sanctions.prune(now)
        self.held = {i: h for i, h in self.held.items() if now < h.at + HELD_TTL_S}
        slow = self.modes.slow_mode_s
        self.last_sent = {k: t for k, t in self.last_sent.items() if now - t < slow}

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "host_id": self.host_id,
            "language": self.language,
            "moderators": sorted(self.moderators),
            "modes": asdict(self.modes),
            "sanctions": [s.to_dict() for s in self.sanctions.all()],
            "words": self.words.to_dict(),
            "held": [h.to_dict() for h in self.held.values()],
            "next_held_id": self.next_held_id,
            "last_sent": dict(self.last_sent),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StreamModeration:
        held = (HeldMessage.from_dict(h) for h in data["held"])
        return cls(
            stream_id=data["stream_id"],
            host_id=data["host_id"],
            language=data["language"],
            moderators=set(data["moderators"]),
            modes=RoomModes(**data["modes"]),
            sanctions=SanctionBook([Sanction.from_dict(s) for s in data["sanctions"]]),
            words=WordFilter.from_dict(data["words"]),
            held={h.id: h for h in held},
            next_held_id=data["next_held_id"],
            last_sent=dict(data["last_sent"]),
        )

    def _review(
        self, actor: Principal, held_id: int, now: float, verdict: str
    ) -> tuple[HeldMessage, AuditEntry]:
        require(actor, Action.REVIEW, self)
        held = self.held.pop(held_id, None)
        if held is None or now >= held.at + HELD_TTL_S:
            raise NotFound("no such held message (or it expired)", code=RoomCode.HELD_NOT_FOUND)
        detail: dict[str, Json] = {"verdict": verdict, "held_id": held_id}
        return held, self._audit(actor, Action.REVIEW, held.sender, now, detail)

    def _sanctioned(self, subject: str, now: float, platform: PlatformModeration) -> bool:
        sender = Person(Principal(subject, "", Role.VIEWER))
        if admission(sender, now, self, platform) or _muted(sender, now, self):
            return True
        return self.sanctions.find(SanctionKind.SHADOW_BAN, sender, now) is not None

    def _audit(
        self,
        actor: Principal,
        action: Action,
        target: str | None,
        now: float,
        detail: Mapping[str, Json] | None = None,
    ) -> AuditEntry:
        return AuditEntry(actor.subject, action, target, self.stream_id, now, dict(detail or {}))


@dataclass
class PlatformModeration:
    """Platform-wide bans and word list, shared by every stream."""

    sanctions: SanctionBook = field(default_factory=SanctionBook)
    words: WordFilter = field(default_factory=WordFilter)

    def ban(
        self,
        actor: Principal,
        target: Person,
        now: float,
        duration_s: float | None = None,
        reason: str = "",
    ) -> AuditEntry:
        until = None if duration_s is None else now + _duration(duration_s, MAX_PLATFORM_BAN_S)
        return _impose(self.sanctions, actor, target, Action.PLATFORM_BAN, None, now, until, reason)

    def unban(self, actor: Principal, target: Person, now: float) -> AuditEntry:
        return _lift(self.sanctions, actor, target, Action.PLATFORM_UNBAN, None, now)

    def prune(self, now: float) -> None:
        self.sanctions.prune(now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sanctions": [s.to_dict() for s in self.sanctions.all()],
            "words": self.words.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlatformModeration:
        sanctions = SanctionBook([Sanction.from_dict(s) for s in data["sanctions"]])
        return cls(sanctions, WordFilter.from_dict(data["words"]))


def add_word(
    actor: Principal,
    scope: StreamModeration | PlatformModeration,
    text: str,
    language: str,
    action: str,
    now: float,
) -> AuditEntry:
    """Add a term to a stream's list or to the platform's (or change its action)."""
    edit, stream_id = _word_list(actor, scope)
    term = scope.words.add(text, language, action)
    detail: dict[str, Json] = {"op": "add", "language": term.language, "action": term.action.value}
    return AuditEntry(actor.subject, edit, term.text, stream_id, now, detail)


def remove_word(
    actor: Principal,
    scope: StreamModeration | PlatformModeration,
    text: str,
    language: str,
    now: float,
) -> AuditEntry:
    edit, stream_id = _word_list(actor, scope)
    term = scope.words.remove(text, language)
    detail: dict[str, Json] = {"op": "remove", "language": term.language}
    return AuditEntry(actor.subject, edit, term.text, stream_id, now, detail)


def _word_list(
    actor: Principal, scope: StreamModeration | PlatformModeration
) -> tuple[Action, int | None]:
    """Check the actor may edit this list: the action to audit, and the stream if any."""
    if isinstance(scope, PlatformModeration):
        require(actor, Action.EDIT_PLATFORM_WORDS, None)
        return Action.EDIT_PLATFORM_WORDS, None
    require(actor, Action.EDIT_WORDS, scope)
    return Action.EDIT_WORDS, scope.stream_id


def _impose(
    book: SanctionBook,
    actor: Principal,
    target: Person,
    action: Action,
    room: StreamModeration | None,
    now: float,
    until: float | None,
    reason: str,
) -> AuditEntry:
    require(actor, action, room, target.principal)
    by = standing(actor, room)
    sanction = Sanction(
        SanctionKind(action.value), target.keys, actor.subject, by, now, until, _reason(reason)
    )
    book.put(sanction)
    detail: dict[str, Json] = {"until": until, "reason": sanction.reason}
    stream_id = room.stream_id if room else None
    return AuditEntry(actor.subject, action, target.principal.subject, stream_id, now, detail)


def _lift(
    book: SanctionBook,
    actor: Principal,
    target: Person,
    action: Action,
    room: StreamModeration | None,
    now: float,
) -> AuditEntry:
    require(actor, action, room, target.principal)
    sanction = book.find(_LIFTS[action], target, now)
    if sanction is None:
        raise NotFound("this person has no such sanction", code=RoomCode.NOT_SANCTIONED)
    # A stream moderator does not undo what platform staff decided.
    if RANK[standing(actor, room)] < RANK[sanction.by_standing]:
        raise ModerationForbidden(f"only a {sanction.by_standing.value} or above can lift this")
    book.remove(sanction)
    stream_id = room.stream_id if room else None
    return AuditEntry(actor.subject, action, target.principal.subject, stream_id, now, {})


def _duration(duration_s: float, cap: int) -> float:
    # The chained comparison is also False for NaN and infinity.
    if isinstance(duration_s, bool) or not isinstance(duration_s, int | float):
        raise ValidationError("duration must be a number of seconds", code=RoomCode.BAD_DURATION)
    if not 0 < duration_s <= cap:
        raise ValidationError(
            f"duration must be more than 0 s and at most {cap} s", code=RoomCode.BAD_DURATION
        )
    return float(duration_s)


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or len(reason.strip()) > MAX_REASON_CHARS:
        raise ValidationError(
            f"reason is at most {MAX_REASON_CHARS} characters", code=RoomCode.BAD_REASON
        )
    return reason.strip()


def _int_within(value: object, cap: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= cap


# -- the send decision ------------------------------------------------------------------------


class Outcome(StrEnum):
    DELIVER = "deliver"  # to the room
    SENDER_ONLY = "sender_only"  # shadow-banned: echoed to the sender, shown to nobody else
    HOLD = "hold"  # queued for a moderator; the sender is told it awaits review
    REFUSE = "refuse"  # with `code`


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    text: str = ""  # what to deliver: masked terms already masked
    code: RoomCode | None = None
    message: str = ""
    retry_after_s: float | None = None  # muted, slow_mode, account_too_new, timed bans
    held: HeldMessage | None = None
    audit: AuditEntry | None = None  # set when the decision changed the review queue

    def raise_if_refused(self) -> None:
        if self.outcome == Outcome.REFUSE:
            code = self.code or AuthCode.FORBIDDEN  # _refuse always names one
            raise MessageRefused(self.message, code=code, retry_after_s=self.retry_after_s)


def decide(
    sender: Person,
    text: str,
    now: float,
    *,
    room: StreamModeration,
    platform: PlatformModeration,
    meta: Mapping[str, Json] | None = None,
) -> Decision:
    """May `sender` say `text` in `room` now, and what happens to it? `text` has passed
    chat.rules.clean_message. A message that is not refused counts for slow mode. `meta` is
    kept on a held message for whoever delivers it after approval."""
    staff = standing(sender.principal, room) in STREAM_STAFF
    refusal = admission(sender, now, room, platform) or _muted(sender, now, room)
    if refusal is None and not staff:  # staff are exempt from room modes
        refusal = _mode_refusal(sender, now, room)
    if refusal is not None:
        return refusal
    matches = platform.words.scan(text, room.language) + room.words.scan(text, room.language)
    verdict = strongest(matches)
    if verdict == FilterAction.BLOCK:
        return _refuse(RoomCode.BLOCKED_WORD, "this message contains a blocked word")
    shown = mask(text, [m for m in matches if m.action == FilterAction.MASK])
    if room.sanctions.find(SanctionKind.SHADOW_BAN, sender, now):
        decision = Decision(Outcome.SENDER_ONLY, shown)
    elif verdict == FilterAction.HOLD and not staff:  # staff are the reviewers
        held_terms = tuple(sorted({m.term for m in matches if m.action == FilterAction.HOLD}))
        decision = _hold(sender, shown, held_terms, now, room, meta or {})
    else:
        decision = Decision(Outcome.DELIVER, shown)
    if decision.outcome != Outcome.REFUSE:
        room.last_sent.update(dict.fromkeys(sender.keys, now))
    return decision


def admission(
    sender: Person, now: float, room: StreamModeration, platform: PlatformModeration
) -> Decision | None:
    """May `sender` be in the room at all? None, or the `banned` refusal (a platform or a
    stream ban)."""
    ban = platform.sanctions.find(SanctionKind.PLATFORM_BAN, sender, now)
    ban = ban or room.sanctions.find(SanctionKind.BAN, sender, now)
    if ban is None:
        return None
    left = None if ban.until is None else ban.until - now
    return _refuse(RoomCode.BANNED, "you are banned from this chat", left)


def _muted(sender: Person, now: float, room: StreamModeration) -> Decision | None:
    mute = room.sanctions.find(SanctionKind.MUTE, sender, now)
    if mute is None or mute.until is None:
        return None
    left = mute.until - now
    return _refuse(RoomCode.MUTED, f"you are muted for {math.ceil(left)} more seconds", left)


def _mode_refusal(sender: Person, now: float, room: StreamModeration) -> Decision | None:
    modes = room.modes
    # Established-user mode counts account age, which a guest does not have.
    if sender.principal.is_guest and (modes.registered_only or modes.min_account_age_s):
        return _refuse(RoomCode.REGISTERED_ONLY, "sign in to chat in this stream")
    if modes.min_account_age_s:
        created = sender.account_created_at
        if created is None or now - created < modes.min_account_age_s:
            left = None if created is None else created + modes.min_account_age_s - now
            return _refuse(
                RoomCode.ACCOUNT_TOO_NEW, "your account is too new to chat here yet", left
            )
    if modes.followers_only and not sender.follows_host:
        return _refuse(RoomCode.FOLLOWERS_ONLY, "follow the host to chat in this stream")
    last = max((room.last_sent.get(k, -math.inf) for k in sender.keys), default=-math.inf)
    if now - last < modes.slow_mode_s:
        left = last + modes.slow_mode_s - now
        return _refuse(RoomCode.SLOW_MODE, f"slow mode: wait {math.ceil(left)} s", left)
    return None


def _hold(
    sender: Person,
    text: str,
    terms: tuple[str, ...],
    now: float,
    room: StreamModeration,
    meta: Mapping[str, Json],
) -> Decision:
    if len(room.pending(now)) >= MAX_HELD:
        return _refuse(RoomCode.REVIEW_FULL, "this message needs review and the queue is full")
    principal = sender.principal
    held = HeldMessage(
        room.next_held_id, principal.subject, principal.display_name, text, terms, now, meta
    )
    room.held[held.id] = held
    room.next_held_id += 1
    detail: dict[str, Json] = {"verdict": "held", "held_id": held.id, "terms": list(terms)}
    audit = AuditEntry(SYSTEM, Action.REVIEW, held.sender, room.stream_id, now, detail)
    return Decision(Outcome.HOLD, text, held=held, audit=audit)


def _refuse(code: RoomCode, message: str, retry_after_s: float | None = None) -> Decision:
    return Decision(Outcome.REFUSE, code=code, message=message, retry_after_s=retry_after_s)
