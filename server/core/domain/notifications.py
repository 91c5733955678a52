"""Notification rules: kinds and channels, the retry backoff, the webhook signature, the signed
one-click unsubscribe link and the emails' words. Plain Python: the queue that applies them is
server/core/services/notifications.py."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from server.core.domain.error_codes import FollowCode
from server.core.domain.errors import ValidationError

MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 3600.0
LEASE_S = 120.0  # a claimed notification is retried after this if its node never says how it went
SIGNATURE_HEADER = "Shopcast-Signature"
SIGNATURE_TOLERANCE_S = 300


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Kind(StrEnum):
    HOST_LIVE = "host_live"
    REMINDER = "reminder"
    PASSWORD_RESET = "password_reset"


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # every attempt failed
    DROPPED = "dropped"  # nothing to send any more (the account unsubscribed or is gone)


def backoff_s(attempts: int, base_s: float = BACKOFF_BASE_S) -> float | None:
    """How long after its `attempts`-th failed attempt a notification is tried again; None
    when that was the last one. 5 s, 10 s, 20 s... at most an hour."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(BACKOFF_MAX_S, base_s * 2 ** max(0, attempts - 1))


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Shopcast-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>` of
    `<t>.<body>` with the deployment's webhook secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_signature_ok(secret: str, header: str, body: bytes, now: float) -> bool:
    """What a receiver checks: the signature matches and is at most 5 minutes old."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_S:
        return False
    expected = webhook_signature(secret, timestamp, body)
    return hmac.compare_digest(expected, header.strip())


def _unsubscribe_mac(key: bytes, user_id: int) -> str:
    return hmac.new(key, f"unsubscribe:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_token(key: bytes, user_id: int) -> str:
    """The token of an account's unsubscribe link: `<id>.<mac>`; it never expires (an old
    email's link still works) and names only the account."""
    return f"{user_id}.{_unsubscribe_mac(key, user_id)}"


def read_unsubscribe_token(key: bytes, token: object) -> int:
    """The account an unsubscribe token names, or ValidationError bad_unsubscribe_link."""
    bad = ValidationError(
        "this unsubscribe link is not valid", code=FollowCode.BAD_UNSUBSCRIBE_LINK
    )
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 60:
        raise bad
    number, mac = token.split(".")
    if not number.isdigit() or not 0 < int(number) < 2**31:
        raise bad
    if not hmac.compare_digest(_unsubscribe_mac(key, int(number)), mac):
        raise bad
    return int(number)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    unsubscribe_url: str | None = None  # also sent as List-Unsubscribe (one click, RFC 8058)


def host_live_email(to: str, host: str, title: str, watch_url: str, unsubscribe_url: str) -> Email:
    return Email(
        to,
        f"{host} is live now: {title}",
        f"{host} just went live on Shopcast: {title}\n\nWatch: {watch_url}\n\n"
        f"You follow {host}. Stop these emails: {unsubscribe_url}\n",
        unsubscribe_url,
    )


def reminder_email(to: str, host: str, title: str, watch_url: str, unsubscribe_url: str) -> Email:
    return Email(
        to,
        f"Starting now: {title}",
        f"The show you asked to be reminded of starts now: {title}, with {host}.\n\n"
        f"Watch: {watch_url}\n\nStop these emails: {unsubscribe_url}\n",
        unsubscribe_url,
    )


def password_reset_email(to: str, reset_url: str, minutes: int) -> Email:
    return Email(
        to,
        "Reset your Shopcast password",
        f"Someone (we hope you) asked to reset the password of this Shopcast account.\n\n"
        f"Choose a new one here within {minutes} minutes; the link works once: {reset_url}\n\n"
        "If it was not you, ignore this email: your password stays as it is.\n",
    )


@dataclass(frozen=True)
class NotificationsConfig:
    """Where notifications go (SHOPCAST_SMTP_URL, SHOPCAST_WEBHOOK_URLS...), read by the edge's
    configuration tree. No SMTP URL: emails are written to the log (the demo)."""

    smtp_url: str | None = None  # smtp://user:pass@host:587 (STARTTLS) or smtps://host:465
    mail_from: str = "Shopcast <no-reply@localhost>"
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str = ""  # signs every webhook; required with webhook_urls
    period_s: float = 1.0  # how often a node looks for due notifications and reminders
    batch: int = 200  # notifications one node claims at once
    concurrency: int = 20  # sent at once by one node
    retry_base_s: float = BACKOFF_BASE_S  # the first retry's wait; each next one doubles
    reset_ttl_s: int = 1800  # a password reset link works this long
    reset_per_address: str = "5/minute;30/hour"
    reset_per_account: str = "3/hour;10/day"

    def problem(self) -> str | None:
        if self.smtp_url is not None and not self.smtp_url.startswith(("smtp://", "smtps://")):
            return "SHOPCAST_SMTP_URL: expected smtp://[user:password@]host[:port] or smtps://"
        for url in self.webhook_urls:
            if not url.startswith(("http://", "https://")):
                return f"SHOPCAST_WEBHOOK_URLS: {url!r} is not an http(s) URL"
        if self.webhook_urls and len(self.webhook_secret) < 16:
            return "SHOPCAST_WEBHOOK_SECRET: at least 16 characters, required with webhook URLs"
        if not 60 <= self.reset_ttl_s <= 24 * 3600:
            return "SHOPCAST_RESET_TTL_S: expected 60 to 86400 seconds"
        return None
