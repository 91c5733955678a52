"""The notification queue: rows in the database, claimed by any node, sent with retries.

Going live only wakes this service (the listener returns at once): a node's announcer then
queues the show's followers' emails in one INSERT ... SELECT, and one webhook per configured
URL, in the same transaction that records the show as announced (once per show, whichever node
gets there first). Reminders are queued the same way at their show's scheduled time. Each
node's sender claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, as order expiry does),
leases them forward, sends them and writes down how it went: sent, or tried again after the
backoff (server/core/domain/notifications.py), or failed after the last attempt.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    and_,
    case,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy import insert as sql_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.domain import following as follow_rules
from server.core.domain import notifications as rules
from server.core.domain.notifications import Channel, Email, Kind, NotificationsConfig, Status
from server.core.domain.streams import StreamStatus
from server.core.events import DomainEvent, Publisher, StreamStatusChanged
from server.core.mailer import Mailer, MailError
from server.core.store.db import Database
from server.core.store.rows import (
    EmailOptOut,
    Follow,
    Notification,
    ShowAnnouncement,
    ShowReminder,
    Stream,
    User,
    utcnow,
)

logger = logging.getLogger(__name__)
ANNOUNCE_WITHIN = timedelta(hours=1)  # a live show found unannounced this long after it started
MAX_ERROR_CHARS = 500


class WebhookError(Exception):
    """The receiver did not take the webhook (an error status, a timeout): tried again later."""


class WebhookSender(Protocol):
    """Posts a signed body (the edge's HTTP client fills it in)."""

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class HostWentLive:
    """A show was announced to its host's followers: the room toasts their open pages."""

    stream_id: int
    host_id: int
    host_name: str
    title: str
    emails: int  # followers' emails queued


@dataclass(frozen=True)
class Links:
    """The public URLs that emails carry."""

    base_url: str

    def watch(self, stream_id: int) -> str:
        return f"{self.base_url.rstrip('/')}/watch/{stream_id}"

    def unsubscribe(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/api/unsubscribe?token={token}"

    def reset(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/reset#token={token}"


AnnouncementListener = Callable[[HostWentLive], Awaitable[None]]


class NotificationService:
    def __init__(
        self,
        db: Database,
        config: NotificationsConfig,
        mailer: Mailer,
        secret: str,
        links: Links,
        webhooks: WebhookSender | None = None,
    ) -> None:
        self._db = db
        self.config = config
        self.mailer = mailer
        self.links = links
        self.webhooks = webhooks
        self._unsubscribe_key = hmac.new(secret.encode(), b"unsubscribe", hashlib.sha256).digest()
        self._listeners: list[AnnouncementListener] = []
        self._pending: set[int] = set()
        self._announce = asyncio.Event()
        self._send = asyncio.Event()

    def on_announcement(self, listener: AnnouncementListener) -> None:
        self._listeners.append(listener)

    async def on_event(self, event: DomainEvent) -> None:
        """The domain events' listener: a host going live is only noted here; the announcer
        task does the work, so going live waits for nothing."""
        if (
            isinstance(event, StreamStatusChanged)
            and event.status == StreamStatus.LIVE
            and event.publisher == Publisher.CONNECTED
        ):
            self._pending.add(event.stream_id)
            self._announce.set()

    # -- announcing ---------------------------------------------------------------------------

    async def announce(self, stream_id: int) -> HostWentLive | None:
        """Queue a live show's notifications, once: None if it is not live or was announced."""
        now = utcnow()
        try:
            async with self._db.writing() as session:
                stream = await session.get(Stream, stream_id)
                if stream is None or stream.status != StreamStatus.LIVE:
                    return None
                if not await _claim_announcement(session, stream_id, "live"):
                    return None
                emails = await _queue_emails(
                    session, Kind.HOST_LIVE, stream_id, now, _followers(stream.host_id)
                )
                hooks = self._queue_webhooks(session, stream, emails, now)
                await _count_recipients(session, stream_id, "live", emails + hooks)
                announced = HostWentLive(
                    stream_id, stream.host_id, stream.host.display_name, stream.title, emails
                )
        except IntegrityError:
            return None  # another node announced it at the same moment
        self._send.set()
        for listener in self._listeners:
            try:
                await listener(announced)
            except Exception:
                logger.exception("an announcement listener failed")
        return announced

    async def queue_reminders(self) -> int:
        """Queue the reminders of shows whose scheduled time has come; answers how many."""
        now = utcnow()
        since = now - follow_rules.REMINDER_GRACE
        async with self._db.reading() as session:
            due = list(
                await session.scalars(
                    select(Stream.id).where(
                        Stream.scheduled_at <= now,
                        Stream.scheduled_at > since,
                        Stream.status != StreamStatus.ENDED,
                        exists().where(ShowReminder.stream_id == Stream.id),
                        ~exists().where(
                            ShowAnnouncement.stream_id == Stream.id,
                            ShowAnnouncement.kind == "reminder",
                        ),
                    )
                )
            )
        queued = 0
        for stream_id in due:
            try:
                async with self._db.writing() as session:
                    if not await _claim_announcement(session, stream_id, "reminder"):
                        continue
                    reminded = select(ShowReminder.user_id).where(
                        ShowReminder.stream_id == stream_id
                    )
                    count = await _queue_emails(session, Kind.REMINDER, stream_id, now, reminded)
                    await _count_recipients(session, stream_id, "reminder", count)
                    queued += count
            except IntegrityError:
                continue
        if queued:
            self._send.set()
        return queued

    async def tell_followers_of_new_shows(self) -> list[HostWentLive]:
        """Announce the shows heard going live, and any live show left unannounced (its node
        stopped before it could)."""
        heard, self._pending = self._pending, set()
        since = utcnow() - ANNOUNCE_WITHIN
        async with self._db.reading() as session:
            missed = await session.scalars(
                select(Stream.id).where(
                    Stream.status == StreamStatus.LIVE,
                    Stream.started_at > since,
                    ~exists().where(
                        ShowAnnouncement.stream_id == Stream.id, ShowAnnouncement.kind == "live"
                    ),
                )
            )
            candidates = sorted(heard | set(missed))
        announced = []
        for stream_id in candidates:
            done = await self.announce(stream_id)
            if done is not None:
                announced.append(done)
        return announced

    def _queue_webhooks(
        self, session: AsyncSession, stream: Stream, emails: int, now: datetime
    ) -> int:
        body = json.dumps(
            {
                "event": "host_live",
                "stream_id": stream.id,
                "host_id": stream.host_id,
                "host": stream.host.display_name,
                "title": stream.title,
                "language": stream.language,
                "watch_url": self.links.watch(stream.id),
                "followers_emailed": emails,
                "at": now.isoformat(),
            },
            separators=(",", ":"),
        )
        for url in dict.fromkeys(self.config.webhook_urls):
            session.add(
                Notification(
                    channel=Channel.WEBHOOK,
                    kind=Kind.HOST_LIVE,
                    stream_id=stream.id,
                    target=url,
                    body=body,
                    due_at=now,
                )
            )
        return len(set(self.config.webhook_urls))

    async def enqueue_email(self, kind: Kind, user_id: int, body: dict[str, Any]) -> None:
        """One email to an account (a password reset), sent by the queue like the others."""
        async with self._db.writing() as session:
            session.add(
                Notification(
                    channel=Channel.EMAIL,
                    kind=kind,
                    user_id=user_id,
                    body=json.dumps(body),
                    due_at=utcnow(),
                )
            )
        self._send.set()

    # -- sending ------------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Claim one batch of due notifications and send it; answers how many were claimed."""
        claimed = await self._claim()
        if not claimed:
            return 0
        context = await self._context(claimed)
        gate = asyncio.Semaphore(self.config.concurrency)

        async def attempt(row: Notification) -> tuple[int, str | None]:
            async with gate:
                return row.id, await self._deliver(row, context)

        results = await asyncio.gather(*(attempt(row) for row in claimed))
        await self._record(claimed, dict(results))
        return len(claimed)

    async def _claim(self) -> list[Notification]:
        now = utcnow()
        async with self._db.writing() as session:
            rows = list(
                await session.scalars(
                    select(Notification)
                    .where(Notification.status == Status.QUEUED, Notification.due_at <= now)
                    .order_by(Notification.due_at, Notification.id)
                    .limit(self.config.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            lease = now + timedelta(seconds=rules.LEASE_S)
            for row in rows:
                row.attempts += 1
                row.due_at = lease  # if this node dies now, another sends it after the lease
        return rows

    async def _context(self, rows: list[Notification]) -> _Context:
        user_ids = {r.user_id for r in rows if r.user_id is not None}
        stream_ids = {r.stream_id for r in rows if r.stream_id is not None}
        async with self._db.reading() as session:
            users = {
                u.id: u for u in await session.scalars(select(User).where(User.id.in_(user_ids)))
            }
            streams = {
                s.id: s
                for s in await session.scalars(select(Stream).where(Stream.id.in_(stream_ids)))
            }
            opted = set(
                await session.scalars(
                    select(EmailOptOut.user_id).where(EmailOptOut.user_id.in_(user_ids))
                )
            )
        return _Context(users, streams, opted)

    async def _deliver(self, row: Notification, context: _Context) -> str | None:
        """Send one; None when it went (or has nothing left to send: status dropped), else why
        it did not."""
        try:
            if row.channel == Channel.WEBHOOK:
                await self._post_webhook(row)
                return None
            email = self._email(row, context)
            if email is None:
                row.status = Status.DROPPED
                return None
            await self.mailer.send(email)
            return None
        except (MailError, WebhookError) as failed:
            return str(failed)[:MAX_ERROR_CHARS] or type(failed).__name__
        except Exception as failed:
            logger.exception("notification %s could not be sent", row.id)
            return f"{type(failed).__name__}: {failed}"[:MAX_ERROR_CHARS]

    def _email(self, row: Notification, context: _Context) -> Email | None:
        user = context.users.get(row.user_id or 0)
        if user is None or user.disabled:
            return None
        if row.kind == Kind.PASSWORD_RESET:
            body = json.loads(row.body or "{}")
            return rules.password_reset_email(user.email, body["url"], body["minutes"])
        stream = context.streams.get(row.stream_id or 0)
        if stream is None or user.id in context.opted_out:
            return None
        unsubscribe = self.links.unsubscribe(self.unsubscribe_token(user.id))
        compose = rules.host_live_email if row.kind == Kind.HOST_LIVE else rules.reminder_email
        watch = self.links.watch(stream.id)
        return compose(user.email, stream.host.display_name, stream.title, watch, unsubscribe)

    async def _post_webhook(self, row: Notification) -> None:
        if self.webhooks is None:
            raise WebhookError("no webhook client on this node")
        body = row.body.encode()
        signature = rules.webhook_signature(self.config.webhook_secret, int(time.time()), body)
        headers = {
            "Content-Type": "application/json",
            rules.SIGNATURE_HEADER: signature,
            "Shopcast-Delivery": str(row.id),  # the same on every retry: receivers dedupe on it
        }
        await self.webhooks.post(row.target, body, headers)

    async def _record(self, rows: list[Notification], failures: dict[int, str | None]) -> None:
        now = utcnow()
        sent = [r.id for r in rows if failures[r.id] is None and r.status != Status.DROPPED]
        dropped = [r.id for r in rows if r.status == Status.DROPPED]
        async with self._db.writing() as session:
            if sent:
                await session.execute(
                    update(Notification)
                    .where(Notification.id.in_(sent))
                    .values(status=Status.SENT, sent_at=now, body=_kept_body(), last_error="")
                )
            if dropped:
                await session.execute(
                    update(Notification)
                    .where(Notification.id.in_(dropped))
                    .values(status=Status.DROPPED, body="")
                )
            for row in rows:
                error = failures[row.id]
                if error is None:
                    continue
                wait = rules.backoff_s(row.attempts, self.config.retry_base_s)
                values: dict[str, Any] = {"last_error": error}
                if wait is None:
                    values.update(status=Status.FAILED, body="")
                    logger.warning("notification %s failed for good: %s", row.id, error)
                else:
                    values["due_at"] = now + timedelta(seconds=wait)
                await session.execute(
                    update(Notification).where(Notification.id == row.id).values(**values)
                )

    # -- unsubscribing --------------------------------------------------------------------------

    def unsubscribe_token(self, user_id: int) -> str:
        return rules.unsubscribe_token(self._unsubscribe_key, user_id)

    async def unsubscribe(self, token: object) -> int:
        """The one-click link: that account gets no more follow or reminder emails."""
        user_id = rules.read_unsubscribe_token(self._unsubscribe_key, token)
        try:
            async with self._db.writing() as session:
                if await session.get(User, user_id) is None:
                    rules.read_unsubscribe_token(b"", token)  # a link of an account gone: refused
                if await session.get(EmailOptOut, user_id) is None:
                    session.add(EmailOptOut(user_id=user_id))
        except IntegrityError:
            pass  # clicked twice at once
        return user_id

    async def resubscribe(self, user_id: int) -> None:
        async with self._db.writing() as session:
            opted = await session.get(EmailOptOut, user_id)
            if opted is not None:
                await session.delete(opted)

    async def unsubscribed(self, user_id: int) -> bool:
        async with self._db.reading() as session:
            return await session.get(EmailOptOut, user_id) is not None

    async def counts(self, stream_id: int | None = None) -> dict[str, int]:
        """Notifications by status (of one show's, or all): what tests and the bench read."""
        query = select(Notification.status, func.count()).group_by(Notification.status)
        if stream_id is not None:
            query = query.where(Notification.stream_id == stream_id)
        async with self._db.reading() as session:
            return {status: int(n) for status, n in (await session.execute(query)).all()}

    # -- the background tasks -------------------------------------------------------------------

    async def run_announcer(self) -> None:
        while True:
            await _wait(self._announce, self.config.period_s)
            try:
                await self.tell_followers_of_new_shows()
                await self.queue_reminders()
            except Exception:
                logger.exception("announcing shows failed")

    async def run_sender(self) -> None:
        while True:
            await _wait(self._send, self.config.period_s)
            try:
                while await self.send_due() >= self.config.batch:
                    pass  # a full batch: more are probably due
            except Exception:
                logger.exception("sending notifications failed")


@dataclass(frozen=True)
class _Context:
    users: dict[int, User]
    streams: dict[int, Stream]
    opted_out: set[int]


async def _wait(event: asyncio.Event, period_s: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), period_s)
    except TimeoutError:
        pass
    event.clear()


def _kept_body() -> Any:
    """A sent row keeps its body, except a reset email's (the link is a credential)."""
    return case((Notification.kind == Kind.PASSWORD_RESET, ""), else_=Notification.body)


def _followers(host_id: int) -> Any:
    return select(Follow.user_id).where(Follow.host_id == host_id, Follow.user_id != host_id)


async def _claim_announcement(session: AsyncSession, stream_id: int, kind: str) -> bool:
    if await session.get(ShowAnnouncement, (stream_id, kind)) is not None:
        return False
    session.add(ShowAnnouncement(stream_id=stream_id, kind=kind))
    await session.flush()  # a concurrent node's row makes this raise IntegrityError
    return True


async def _count_recipients(session: AsyncSession, stream_id: int, kind: str, n: int) -> None:
    await session.execute(
        update(ShowAnnouncement)
        .where(ShowAnnouncement.stream_id == stream_id, ShowAnnouncement.kind == kind)
        .values(recipients=n)
    )


async def _queue_emails(
    session: AsyncSession, kind: Kind, stream_id: int, now: datetime, recipients: Any
) -> int:
    """One INSERT ... SELECT: an email row for each recipient id `recipients` selects who has
    not unsubscribed."""
    user_id = recipients.selected_columns[0]
    chosen = recipients.add_columns(
        literal(Channel.EMAIL.value, String),
        literal(kind.value, String),
        literal(stream_id, Integer),
        literal("", String),
        literal("", Text),
        literal(Status.QUEUED.value, String),
        literal(0, Integer),
        literal(now, DateTime(timezone=True)),
        literal("", String),
        literal(now, DateTime(timezone=True)),
    ).where(~exists().where(and_(EmailOptOut.user_id == user_id)))
    statement = sql_insert(Notification).from_select(
        [
            "user_id",
            "channel",
            "kind",
            "stream_id",
            "target",
            "body",
            "status",
            "attempts",
            "due_at",
            "last_error",
            "created_at",
        ],
        chosen,
    )
    result = await session.execute(statement)
    return max(0, int(getattr(result, "rowcount", 0) or 0))
