"""Checks of what clients send with an event: a wrong shape is `bad_payload`, never a fault."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chat.moderation import DEFAULT_MUTE_S, RoomModes
from chat.word_filter import ALL_LANGUAGES
from server.core.domain.errors import ValidationError
from server.core.domain.ids import check_id

MAX_AUDIT_ENTRIES = 200
DEFAULT_AUDIT_ENTRIES = 50


def field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise ValidationError(f"expected an object with {name}", code="bad_payload")
    return data[name]


def optional(data: Any, name: str, default: Any) -> Any:
    """A field that may be left out (a missing or non-object payload gives the default)."""
    return data.get(name, default) if isinstance(data, dict) else default


def flag(data: Any, name: str) -> bool:
    """An optional boolean field: absent is False, anything but true/false is refused."""
    value = optional(data, name, False)
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code="bad_payload")
    return value


def int_field(data: Any, name: str) -> int:
    return check_id(field(data, name), name)


def like_count(data: Any) -> int:
    """`like` takes nothing (one tap) or {count: 1..10} (taps a client gathered)."""
    if data is None or (isinstance(data, dict) and "count" not in data):
        return 1
    count = field(data, "count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10:
        raise ValidationError("count must be a whole number from 1 to 10", code="bad_payload")
    return count


def only(data: Any, allowed: Iterable[str]) -> dict[str, Any]:
    """An object (possibly empty) with no field but `allowed`."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError("expected an object", code="bad_payload")
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}", code="bad_payload")
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
        raise ValidationError("send at least one mode to change", code="bad_payload")
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
        raise ValidationError("limit must be a whole number", code="bad_payload")
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        raise ValidationError(f"limit is 1-{MAX_AUDIT_ENTRIES}", code="bad_payload")
    return limit
