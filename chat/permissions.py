"""Who may do what in a show's chat: standings (guest up to admin) and the permission matrix.

A person's standing depends on the stream (its host, the moderators the host appointed), so
the functions take the stream's moderation state; docs/moderation.md has the matrix as a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from server.core.domain.errors import Forbidden
from server.core.domain.roles import Principal, Role

if TYPE_CHECKING:
    from chat.moderation import StreamModeration


class ModerationForbidden(Forbidden):
    """The actor's standing in the stream does not allow the action (code `forbidden`)."""


class Standing(StrEnum):
    """What a principal is in one stream (or on the platform when there is no stream)."""

    GUEST = "guest"
    VIEWER = "viewer"
    SELLER = "seller"
    STREAM_MODERATOR = "stream_moderator"
    HOST = "host"
    PLATFORM_MODERATOR = "platform_moderator"
    ADMIN = "admin"


RANK = {
    Standing.GUEST: 0,
    Standing.VIEWER: 1,
    Standing.SELLER: 1,
    Standing.STREAM_MODERATOR: 2,
    Standing.HOST: 3,
    Standing.PLATFORM_MODERATOR: 4,
    Standing.ADMIN: 5,
}


class Action(StrEnum):
    DELETE_MESSAGE = "delete_message"
    PIN = "pin"
    MUTE = "mute"
    UNMUTE = "unmute"
    BAN = "ban"
    UNBAN = "unban"
    SHADOW_BAN = "shadow_ban"
    UNSHADOW_BAN = "unshadow_ban"
    SET_MODES = "set_modes"
    EDIT_WORDS = "edit_words"
    REVIEW = "review"
    READ_AUDIT = "read_audit"  # this stream's audit log
    APPOINT_MODERATOR = "appoint_moderator"
    REMOVE_MODERATOR = "remove_moderator"
    END_STREAM = "end_stream"
    PLATFORM_BAN = "platform_ban"
    PLATFORM_UNBAN = "platform_unban"
    EDIT_PLATFORM_WORDS = "edit_platform_words"
    READ_PLATFORM_AUDIT = "read_platform_audit"  # the audit log of platform-wide actions


STREAM_STAFF = frozenset(
    {Standing.STREAM_MODERATOR, Standing.HOST, Standing.PLATFORM_MODERATOR, Standing.ADMIN}
)
_RUNS_STREAM = frozenset({Standing.HOST, Standing.ADMIN})  # as core.domain.roles.can_run_stream
_PLATFORM_STAFF = frozenset({Standing.PLATFORM_MODERATOR, Standing.ADMIN})

PERMISSIONS: Mapping[Action, frozenset[Standing]] = {
    Action.DELETE_MESSAGE: STREAM_STAFF,
    Action.PIN: STREAM_STAFF,
    Action.MUTE: STREAM_STAFF,
    Action.UNMUTE: STREAM_STAFF,
    Action.BAN: STREAM_STAFF,
    Action.UNBAN: STREAM_STAFF,
    Action.SHADOW_BAN: STREAM_STAFF,
    Action.UNSHADOW_BAN: STREAM_STAFF,
    Action.SET_MODES: STREAM_STAFF,
    Action.EDIT_WORDS: STREAM_STAFF,
    Action.REVIEW: STREAM_STAFF,
    Action.READ_AUDIT: STREAM_STAFF,
    Action.APPOINT_MODERATOR: _RUNS_STREAM,
    Action.REMOVE_MODERATOR: _RUNS_STREAM,
    Action.END_STREAM: _RUNS_STREAM,
    Action.PLATFORM_BAN: _PLATFORM_STAFF,
    Action.PLATFORM_UNBAN: _PLATFORM_STAFF,
    Action.EDIT_PLATFORM_WORDS: _PLATFORM_STAFF,
    Action.READ_PLATFORM_AUDIT: _PLATFORM_STAFF,
}
# Actions on a person: the target must rank strictly below the actor and not be the host.
TARGETED = frozenset(
    {Action.DELETE_MESSAGE, Action.MUTE, Action.UNMUTE, Action.BAN, Action.UNBAN}
    | {Action.SHADOW_BAN, Action.UNSHADOW_BAN, Action.PLATFORM_BAN, Action.PLATFORM_UNBAN}
)
# Platform-wide actions are judged without a stream: a host is an ordinary account there.
PLATFORM_ACTIONS = frozenset(
    {Action.PLATFORM_BAN, Action.PLATFORM_UNBAN, Action.EDIT_PLATFORM_WORDS}
    | {Action.READ_PLATFORM_AUDIT}
)


def standing(principal: Principal, room: StreamModeration | None) -> Standing:
    if principal.is_guest:
        return Standing.GUEST
    if principal.role == Role.ADMIN:
        return Standing.ADMIN
    if principal.role == Role.MODERATOR:
        return Standing.PLATFORM_MODERATOR
    if room is not None and principal.role == Role.HOST and principal.user_id == room.host_id:
        return Standing.HOST
    if room is not None and principal.user_id in room.moderators:
        return Standing.STREAM_MODERATOR
    return Standing.SELLER if principal.role == Role.SELLER else Standing.VIEWER


def allowed(
    actor: Principal,
    action: Action,
    room: StreamModeration | None,
    target: Principal | None = None,
) -> bool:
    """May `actor` do `action` in `room` (None for platform-wide actions) to `target`?"""
    scope = None if action in PLATFORM_ACTIONS else room
    if scope is None and action not in PLATFORM_ACTIONS:
        return False
    if standing(actor, scope) not in PERMISSIONS[action]:
        return False
    return action not in TARGETED or (target is not None and _outranks(actor, target, scope))


def may_attempt(actor: Principal, action: Action, room: StreamModeration | None) -> bool:
    """Does `actor`'s standing allow `action` at all, whoever the target? (The first check of
    an action on a person, before finding out who that person is.)"""
    scope = None if action in PLATFORM_ACTIONS else room
    return (scope is not None or action in PLATFORM_ACTIONS) and standing(
        actor, scope
    ) in PERMISSIONS[action]


def require(
    actor: Principal,
    action: Action,
    room: StreamModeration | None,
    target: Principal | None = None,
) -> None:
    if not allowed(actor, action, room, target):
        who = standing(actor, None if action in PLATFORM_ACTIONS else room)
        raise ModerationForbidden(f"a {who.value} may not {action.value.replace('_', ' ')} here")


def _outranks(actor: Principal, target: Principal, room: StreamModeration | None) -> bool:
    theirs = standing(target, room)
    # Nobody sanctions a host in their own show: a bad host is a platform matter.
    return theirs != Standing.HOST and RANK[standing(actor, room)] > RANK[theirs]
