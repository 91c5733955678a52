"""What moderators send with the room's moderation events (chat/moderation_events.py).

A wrong shape is `bad_payload`, never a fault, and is told in the room's own order: an action on
a person reads its payload once the actor may take such actions at all (so a viewer trying to
ban learns they may not before a missing `target` is mentioned); word edits read theirs first.
The values themselves (a duration, a reason, a mode, a term) are the moderation rules' to check
(chat/moderation.py: `bad_duration`, `bad_reason`, `bad_mode`, `bad_term`...), in the rules'
own order among their permission checks, so the models describe those fields and pass them on
as sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from server.contract.body import Id
from server.contract.payloads import OneId, Payload, field, flag, optional
from server.contract.shapes import shown
from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import ValidationError

MAX_AUDIT_ENTRIES = 200
DEFAULT_AUDIT_ENTRIES = 50
Subject = Annotated[str, Field(pattern="^(u:[1-9][0-9]{0,9}|g:[0-9a-f]{1,32})$")]
Seconds = Annotated[Any, shown(Annotated[float, Field(gt=0)])]
Reason = Annotated[Any, shown(str)]


def only(data: Any, allowed: Iterable[str]) -> dict[str, Any]:
    """An object (possibly empty) with no field but `allowed`."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError("expected an object", code=GeneralCode.BAD_PAYLOAD)
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            f"unknown fields: {', '.join(sorted(unknown))}", code=GeneralCode.BAD_PAYLOAD
        )
    return data


class Sent(Payload):
    """A moderation payload: its optional fields are told apart from the room's defaults."""

    def given(self, name: str, default: Any) -> Any:
        """The field as sent (null included), or `default` when it was left out."""
        return getattr(self, name) if name in self.model_fields_set else default


class Target(Sent):
    """An action on a person, named by subject (`u:<id>` or `g:<hex>`; else `bad_target`)."""

    target: Annotated[Any, shown(Subject)]

    @classmethod
    def rules(cls, data: object) -> object:
        return field(data, "target")


class Mute(Target):
    """`duration_s` (the room's default when left out) and a `reason`."""

    duration_s: Seconds = None
    reason: Reason = ""


class Sanction(Target):
    """ban and shadow_ban: a `reason`."""

    reason: Reason = ""


class PlatformBan(Sanction):
    """For good, or for `duration_s`."""

    duration_s: Seconds = None


class ModeChange(Sent):
    """At least one of the room's modes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    slow_mode_s: Annotated[Any, shown(Annotated[int, Field(ge=0)])] = None
    registered_only: Annotated[Any, shown(bool)] = None
    min_account_age_s: Annotated[Any, shown(Annotated[int, Field(ge=0)])] = None
    followers_only: Annotated[Any, shown(bool)] = None

    @classmethod
    def rules(cls, data: object) -> object:
        if not only(data, cls.model_fields):
            raise ValidationError("send at least one mode to change", code=GeneralCode.BAD_PAYLOAD)
        return data

    @property
    def changes(self) -> dict[str, Any]:
        """The modes sent, as sent."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class WordEdit(Sent):
    """add_word and remove_word: on this stream's list, or the platform's (`platform: true`);
    `language` is the list's (every stream's when left out)."""

    term: Annotated[Any, shown(str)]
    language: Annotated[Any, shown(str)] = None
    platform: bool = False

    @classmethod
    def rules(cls, data: object) -> object:
        field(data, "term")
        return flag(data, "platform")


class NewWord(WordEdit):
    action: Annotated[Any, shown(str)]

    @classmethod
    def rules(cls, data: object) -> object:
        field(data, "term")
        field(data, "action")
        return flag(data, "platform")


class WordList(Sent):
    model_config = ConfigDict(extra="forbid")
    platform: bool = False

    @classmethod
    def rules(cls, data: object) -> object:
        only(data, cls.model_fields)
        return flag(data, "platform")

    @classmethod
    def parse(cls, data: object) -> WordList:
        return super().parse(data if data is not None else {})


class NoFields(Sent):
    """held_messages: nothing, or an empty object."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def rules(cls, data: object) -> object:
        return only(data, ())

    @classmethod
    def parse(cls, data: object) -> NoFields:
        return super().parse(data if data is not None else {})


class HeldRef(OneId):
    """approve_held, reject_held."""

    held_id: Id


class AuditQuery(Sent):
    """The newest entries first: this stream's, or the platform's (`platform: true`)."""

    model_config = ConfigDict(extra="forbid")
    limit: Annotated[int, Field(ge=1, le=MAX_AUDIT_ENTRIES)] = DEFAULT_AUDIT_ENTRIES
    platform: bool = False

    @classmethod
    def rules(cls, data: object) -> object:
        only(data, cls.model_fields)
        limit = optional(data, "limit", DEFAULT_AUDIT_ENTRIES)
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise ValidationError("limit must be a whole number", code=GeneralCode.BAD_PAYLOAD)
        if not 1 <= limit <= MAX_AUDIT_ENTRIES:
            raise ValidationError(f"limit is 1-{MAX_AUDIT_ENTRIES}", code=GeneralCode.BAD_PAYLOAD)
        return flag(data, "platform")

    @classmethod
    def parse(cls, data: object) -> AuditQuery:
        return super().parse(data if data is not None else {})
