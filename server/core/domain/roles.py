"""Roles and what each may do. Checked by services, never by handlers alone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SELLER = "seller"
    HOST = "host"
    MODERATOR = "moderator"
    VIEWER = "viewer"
    COACH = "coach"  # platform staff who review hosts' shows (clips, timed comments)


# Roles a person may give themselves when signing up; the others are granted by an admin.
SELF_SERVICE_ROLES = frozenset({Role.VIEWER, Role.HOST, Role.SELLER})


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account (`user_id` set) or a guest with only a display name."""

    subject: str  # "u:<id>" or "g:<hex>"
    display_name: str
    role: Role
    user_id: int | None = None

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


def can_moderate(principal: Principal, stream_host_id: int) -> bool:
    """Delete chat messages: platform moderators and admins everywhere, the host in their show."""
    if principal.role in (Role.ADMIN, Role.MODERATOR):
        return True
    return principal.role == Role.HOST and principal.user_id == stream_host_id


def can_pin(principal: Principal, stream_host_id: int) -> bool:
    """Pin products: the show's host, and moderators/admins who help run it."""
    return can_moderate(principal, stream_host_id)


def can_run_stream(principal: Principal, stream_host_id: int) -> bool:
    """Edit the line-up, read the stream key, end the show: its host, or an admin."""
    if principal.role == Role.ADMIN:
        return True
    return principal.role == Role.HOST and principal.user_id == stream_host_id


def can_see_recordings(principal: Principal, stream_host_id: int) -> bool:
    """Watch a show's recordings and their markers: its host, and moderators and admins.
    Not yet its viewers: publishing a replay is the host's call, which has no switch yet."""
    return can_moderate(principal, stream_host_id)


def can_review(principal: Principal) -> bool:
    """Open reviews of any show, mark clips, leave timed comments: coaches and admins."""
    return principal.role in (Role.ADMIN, Role.COACH)


def can_read_reviews(principal: Principal, stream_host_id: int) -> bool:
    """Read a show's reviews, reply to their comments: reviewers, and the show's own host
    (never another host's)."""
    if can_review(principal):
        return True
    return principal.role == Role.HOST and principal.user_id == stream_host_id
