"""The outgoing webhooks' HTTP client (the core's NotificationService signs and queues them;
the core imports no web framework, so the client lives at the edge)."""

from __future__ import annotations

import aiohttp

from server.core.services.notifications import WebhookError

TIMEOUT_S = 10.0


class AiohttpWebhooks:
    """One client session per process, opened on first use and closed at shutdown."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
            self._session = aiohttp.ClientSession(timeout=timeout)
        try:
            async with self._session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as answer:
                if not 200 <= answer.status < 300:
                    raise WebhookError(f"the receiver answered {answer.status}")
        except (aiohttp.ClientError, TimeoutError) as failed:
            raise WebhookError(f"{type(failed).__name__}: {failed}") from failed

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
