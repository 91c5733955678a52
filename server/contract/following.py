"""Following, reminders and password resets: what their routes take (docs/protocol.md
"Following", "Password reset"). The rules are server/core/domain/accounts.py's."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from server.contract.answers import Answer, Host
from server.contract.body import Cleaned, require_object
from server.contract.shapes import Time
from server.core.domain import accounts
from server.core.domain.accounts import MAX_PASSWORD, MIN_PASSWORD
from server.core.domain.error_codes import FollowCode
from server.core.domain.errors import ValidationError


class ResetRequest(Cleaned):
    """Asks for a reset link to this address (answered the same whether it has an account)."""

    email: Annotated[str, Field(max_length=254)]

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data)
        return {"email": accounts.check_email(given.get("email"))}


class ResetConfirm(Cleaned):
    """The link's token and the new password."""

    token: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]

    @classmethod
    def rules(cls, data: object) -> object:
        given = require_object(data)
        token = given.get("token")
        if not isinstance(token, str) or not 0 < len(token) <= 100:
            raise ValidationError(
                "this reset link is not valid", code=FollowCode.RESET_LINK_INVALID
            )
        return {"token": token, "password": accounts.check_password(given.get("password"))}


class Show(Answer):
    id: int
    title: str
    language: str
    status: Literal["scheduled", "live", "ended"]
    host: Host
    scheduled_at: Time | None = None
    started_at: Time | None = None
    ended_at: Time | None = None
    viewers: int | None = Field(None, description="live shows: the room's members, every node")


class HomePage(Answer):
    languages: list[str]
    live: list[Show]
    upcoming: list[Show]


class HostPage(Answer):
    host: Host
    followers: int
    following: bool
    live: list[Show]
    upcoming: list[Show]
    past: list[Show]


class FollowState(Answer):
    """A host's follower count and whether you follow them."""

    host_id: int
    followers: int
    following: bool


class MyFollows(Answer):
    hosts: list[int]
    reminders: list[int]  # stream ids
    unsubscribed: bool  # no follow or reminder emails (the link in every email)


class Reminded(Answer):
    stream_id: int
    reminded: bool


class Unsubscribed(Answer):
    unsubscribed: bool


class ResetSent(Answer):
    sent: bool


class ResetDone(Answer):
    reset: bool
