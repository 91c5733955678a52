"""Ack shapes, and the one place that turns errors into ack error codes."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from server.domain.errors import DomainError

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
Handler = Callable[..., Awaitable[Ack]]


def ok(**data: Any) -> Ack:
    return {"ok": True, **data}


def error(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}


def acked(handler: Handler) -> Handler:
    """Run an event handler so that every outcome is an ack: no fault reaches the client raw."""

    @functools.wraps(handler)
    async def run(self: Any, sid: str, data: Any = None, *_extra: Any) -> Ack:
        try:
            return await handler(self, sid, data)
        except DomainError as exc:
            return error(exc.code, exc.message)
        except Exception:
            logger.exception("event %s from %s failed", handler.__name__, sid)
            return error("internal", "the server failed to handle this; it has been logged")

    return run
