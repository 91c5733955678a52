"""The staff console's answers (docs/protocol.md "Staff console"); its request bodies are the
models the other areas already have (accounts.AccountPatch, coupons.NewCoupon) and TakeDown."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from server.contract.answers import Answer, ChangedUser, Coupon, Time
from server.contract.body import Body, Id
from server.core.domain.error_codes import ReplayCode
from server.core.domain.errors import ValidationError


class TakeDown(Body):
    """`down: true` takes the show's replay down, `false` puts it back."""

    model_config = ConfigDict(extra="forbid")
    down: bool

    @classmethod
    def rules(cls, data: object) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("down"), bool):
            raise ValidationError("send down: true or false", code=ReplayCode.BAD_REPLAY_SETTING)
        return data


class StaffUser(ChangedUser):
    pass


class StaffUsers(Answer):
    users: list[StaffUser]


class StaffAccount(Answer):
    user: StaffUser


class StaffShow(Answer):
    id: Id
    title: str
    status: str
    host_id: Id
    started_at: Time | None = None
    ended_at: Time | None = None
    viewers: int | None = None  # live shows: the room's members on every node
    replay: str | None = None
    replay_taken_down: bool | None = None


class StaffShows(Answer):
    live: list[StaffShow]
    ended: list[StaffShow]


class StaffShowAnswer(Answer):
    show: StaffShow


class AuditEntry(Answer):
    id: Id
    stream_id: Id | None = None
    actor: str
    action: str
    target: str | None = None
    detail: dict[str, Any]
    at: Time


class StaffBan(Answer):
    target: str  # the subject banned: u:<id>, or a guest's g:<id>
    by: str
    at: Time
    until: Time | None = None  # null: until lifted
    reason: str


class StaffAudit(Answer):
    """`bans`: the platform bans in force, newest first, worked out from the log (lifted
    through the room's platform_unban); `names`: the accounts' display names."""

    entries: list[AuditEntry]
    bans: list[StaffBan]
    names: dict[str, str]  # u:<id> -> display name, for the accounts they mention


class StaffCoupons(Answer):
    coupons: list[Coupon]


class Node(Answer):
    node: str
    shows: int
    viewers: int


class StaffHealth(Answer):
    """`nodes`: every node that reported room members in the last seconds (with Redis; without,
    this process alone). `media`: this node's WebRTC shows and viewers."""

    nodes: list[Node]
    media_shows: int
    media_viewers: int
    redis: bool
