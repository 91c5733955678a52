"""Domain errors. One place (edge/http/errors.py, chat/acks.py) maps codes to HTTP and acks."""

from __future__ import annotations

from server.core.domain.error_codes import AuthCode, ErrorCode, GeneralCode, StockCode


class DomainError(Exception):
    """A request the rules refuse. `code` is stable: a member of one of the enums in
    error_codes.py, each listed in docs/protocol.md."""

    code: ErrorCode = GeneralCode.INVALID
    status = 400

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationError(DomainError):
    code: ErrorCode = GeneralCode.INVALID
    status = 400


class AuthRequired(DomainError):
    code: ErrorCode = AuthCode.AUTH_REQUIRED
    status = 401


class Forbidden(DomainError):
    code: ErrorCode = AuthCode.FORBIDDEN
    status = 403


class NotFound(DomainError):
    code: ErrorCode = GeneralCode.NOT_FOUND
    status = 404


class Conflict(DomainError):
    code: ErrorCode = GeneralCode.CONFLICT
    status = 409


class SoldOut(Conflict):
    code: ErrorCode = StockCode.SOLD_OUT


class RateLimited(DomainError):
    """`retry_after_s`: when trying again may succeed (HTTP's Retry-After, an ack's field)."""

    code: ErrorCode = GeneralCode.RATE_LIMITED
    status = 429

    def __init__(
        self, message: str, *, code: ErrorCode | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s
