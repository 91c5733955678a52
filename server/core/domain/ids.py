"""Record ids from outside: positive and within the database's 32-bit integer columns."""

from __future__ import annotations

from typing import TypeGuard

from server.core.domain.error_codes import ErrorCode, GeneralCode
from server.core.domain.errors import ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL `integer`; a larger number cannot name a record


def is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def check_id(value: object, name: str, code: ErrorCode = GeneralCode.BAD_PAYLOAD) -> int:
    if not is_id(value):
        raise ValidationError(f"{name} must be an integer from 1 to {MAX_ID}", code=code)
    return value
