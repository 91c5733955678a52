"""Sending email behind one interface: SMTP through aiosmtplib when SHOPCAST_SMTP_URL is set,
else the log (`shopcast demo` prints each email, links included)."""

from __future__ import annotations

import logging
from email import policy
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from server.core.domain.notifications import Email

logger = logging.getLogger(__name__)
SMTP_TIMEOUT_S = 20.0
# A long List-Unsubscribe URL must stay one plain header (mail clients read it as a URL).
HEADERS_UNFOLDED = policy.default.clone(max_line_length=998)


class MailError(Exception):
    """The message was not accepted: the queue tries again later."""


class Mailer(Protocol):
    async def send(self, email: Email) -> None: ...


class LogMailer:
    """No SMTP server configured: each email goes to the log, where the demo's user reads it."""

    def __init__(self) -> None:
        self.sent: list[Email] = []

    async def send(self, email: Email) -> None:
        self.sent.append(email)
        del self.sent[:-100]
        logger.warning("email to %s: %s\n%s", email.to, email.subject, email.text)


class SmtpMailer:
    """smtp://[user:password@]host[:port] (STARTTLS when offered, port 587 by default) or
    smtps://host[:port] (TLS from the start, port 465)."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._tls else 587)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender

    async def send(self, email: Email) -> None:
        message = EmailMessage(policy=HEADERS_UNFOLDED)
        message["From"] = self._sender
        message["To"] = email.to
        message["Subject"] = email.subject
        if email.unsubscribe_url:
            message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(email.text)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._user,
                password=self._password,
                use_tls=self._tls,
                start_tls=None if not self._tls else False,
                timeout=SMTP_TIMEOUT_S,
            )
        except (aiosmtplib.SMTPException, OSError) as failed:
            raise MailError(f"{type(failed).__name__}: {failed}") from failed


def mailer_for(smtp_url: str | None, sender: str) -> Mailer:
    return SmtpMailer(smtp_url, sender) if smtp_url else LogMailer()
