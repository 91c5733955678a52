"""Ack shapes, and the one place that turns errors into ack error codes."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from server.core.domain.error_codes import GeneralCode
from server.core.domain.errors import DomainError

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
Handler = Callable[..., Awaitable[Ack]]


def ok(**data: Any) -> Ack:
    return {"ok": True, **data}


def error(code: StrEnum, message: str, retry_after_s: float | None = None) -> Ack:
    """`retry_after_s` when waiting helps (a mute, slow mode, a young account)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if retry_after_s is not None:
        body["retry_after_s"] = math.ceil(retry_after_s * 10) / 10
    return {"ok": False, "error": body}


def refused(exc: DomainError) -> Ack:
    """The ack of a refusal, as every handler answers it."""
    return error(exc.code, exc.message, getattr(exc, "retry_after_s", None))


def acked(handler: Handler) -> Handler:
    """Run an event handler so that every outcome is an ack: no fault reaches the client raw."""

    @functools.wraps(handler)
    async def run(self: Any, sid: str, data: Any = None, *_extra: Any) -> Ack:
        try:
            return await handler(self, sid, data)
        except DomainError as exc:
            return refused(exc)
        except Exception:
            logger.exception("event %s from %s failed", handler.__name__, sid)
            return error(
                GeneralCode.INTERNAL, "the server failed to handle this; it has been logged"
            )

    return run
