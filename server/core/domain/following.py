"""Following hosts and "remind me": who may follow whom, who is told what when a host goes live,
and when a reminder is due.

The database does the fan-out of a show going live in one INSERT ... SELECT
(server/core/services/notifications.py); `fan_out` is the rule it follows, stated here once
and tested against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.core.domain.error_codes import FollowCode
from server.core.domain.errors import Conflict, ValidationError
from server.core.domain.roles import Role
from server.core.domain.streams import StreamStatus

# Roles whose public page can be followed: those who go live.
FOLLOWABLE = frozenset({Role.HOST, Role.ADMIN})
# A reminder fires at the scheduled time; one found later than this is not sent (the node was
# down, or the show was rescheduled into the past): an hour-old "starting now" helps nobody.
REMINDER_GRACE = timedelta(hours=1)


def check_may_follow(follower_id: int, host_id: int, host_role: str) -> None:
    if follower_id == host_id:
        raise ValidationError("you cannot follow yourself", code=FollowCode.OWN_FOLLOW)
    if host_role not in FOLLOWABLE:
        raise ValidationError("only hosts can be followed", code=FollowCode.NOT_A_HOST)


def check_may_remind(status: str, scheduled_at: datetime | None, now: datetime) -> datetime:
    """A reminder is for a scheduled show with a time still ahead; it is due at that time."""
    if status != StreamStatus.SCHEDULED or scheduled_at is None or scheduled_at <= now:
        raise Conflict(
            "only a scheduled show with a time ahead can be reminded of",
            code=FollowCode.NOT_REMINDABLE,
        )
    return scheduled_at


def reminder_due(scheduled_at: datetime | None, status: str, now: datetime) -> bool:
    """Is it time to send a show's reminders? At its scheduled time, unless it has ended or
    the time passed more than REMINDER_GRACE ago."""
    if scheduled_at is None or status == StreamStatus.ENDED:
        return False
    return scheduled_at <= now < scheduled_at + REMINDER_GRACE


@dataclass(frozen=True)
class FanOut:
    """Who is told that a host went live: `emails` to these accounts, the toast to every
    follower with a page open (`toasts`), one webhook per configured URL."""

    emails: frozenset[int]
    toasts: frozenset[int]
    webhooks: tuple[str, ...]


def fan_out(
    host_id: int,
    followers: Iterable[int],
    opted_out: Iterable[int],
    webhook_urls: Iterable[str],
) -> FanOut:
    """Every follower once, never the host; an unsubscribed follower still gets the in-page
    toast (they asked to follow; they asked for no email)."""
    told = frozenset(followers) - {host_id}
    return FanOut(
        emails=told - frozenset(opted_out),
        toasts=told,
        webhooks=tuple(dict.fromkeys(webhook_urls)),
    )
