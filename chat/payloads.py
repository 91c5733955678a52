"""Checks of what clients send with an event: a wrong shape is `bad_payload`, never a fault.

The events' models and the basic field checks are in server/contract/payloads.py; these are
the moderation events' own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chat.moderation import DEFAULT_MUTE_S, RoomModes
from chat.word_filter import ALL_LANGUAGES
from server.contract.payloads import field as field
from server.contract.payloads import flag as flag
from server.contract.payloads import int_field as int_field
from server.contract.payloads import like_count as like_count
from server.contract.payloads import optional
from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import ValidationError

MAX_AUDIT_ENTRIES = 200
DEFAULT_AUDIT_ENTRIES = 50


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


def duration_s(data: Any, default: float | None) -> Any:
    """Seconds as sent (the rules check the range: `bad_duration`)."""
    return optional(data, "duration_s", default)


def mute_duration_s(data: Any) -> Any:
    return duration_s(data, DEFAULT_MUTE_S)


def reason(data: Any) -> Any:
    """As sent (the rules check it: `bad_reason`)."""
    return optional(data, "reason", "")


def modes(data: Any, current: RoomModes) -> RoomModes:
    """The room's modes with the fields sent changed (the rules check them: `bad_mode`)."""
    changes = only(data, ("slow_mode_s", "registered_only", "min_account_age_s"))
    if not changes:
        raise ValidationError("send at least one mode to change", code=GeneralCode.BAD_PAYLOAD)
    return RoomModes(
        slow_mode_s=changes.get("slow_mode_s", current.slow_mode_s),
        registered_only=changes.get("registered_only", current.registered_only),
        min_account_age_s=changes.get("min_account_age_s", current.min_account_age_s),
    )


def term_language(data: Any) -> Any:
    """A word-list term's language; `all` (every stream) when left out."""
    return optional(data, "language", ALL_LANGUAGES)


def audit_limit(data: Any) -> int:
    limit = optional(data, "limit", DEFAULT_AUDIT_ENTRIES)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValidationError("limit must be a whole number", code=GeneralCode.BAD_PAYLOAD)
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        raise ValidationError(f"limit is 1-{MAX_AUDIT_ENTRIES}", code=GeneralCode.BAD_PAYLOAD)
    return limit
