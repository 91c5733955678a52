"""Domain errors. One place (edge/http/errors.py, chat/acks.py) maps codes to HTTP and acks."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. `code` is stable and documented in docs/protocol.md."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationError(DomainError):
    code = "invalid"
    status = 400


class AuthRequired(DomainError):
    code = "auth_required"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class SoldOut(Conflict):
    code = "sold_out"


class RateLimited(DomainError):
    """`retry_after_s`: when trying again may succeed (HTTP's Retry-After, an ack's field)."""

    code = "rate_limited"
    status = 429

    def __init__(
        self, message: str, *, code: str | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s
