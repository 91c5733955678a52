"""A host goes live: its followers are emailed through a real SMTP server on loopback
(aiosmtpd), a real HTTP receiver gets the signed webhook (failing first, so the retry is
seen), the unsubscribe link in the email works in one click, and going live waits for none of
it. On both backends."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from server.core.domain.notifications import (
    SIGNATURE_HEADER,
    NotificationsConfig,
    webhook_signature_ok,
)
from server.edge.http.context import SERVICES
from tests.conftest import config_for
from tests.factory import account, show

WEBHOOK_SECRET = "webhook-secret-of-the-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """aiosmtpd's handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class Receiver:
    """A webhook receiver that refuses its first `fail` deliveries with a 500."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.attempts = 0
        self.accepted: list[dict] = []
        self.bad_signatures = 0
        self.deliveries: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.attempts += 1
        self.deliveries.append(request.headers.get("Shopcast-Delivery", ""))
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not webhook_signature_ok(WEBHOOK_SECRET, header, body, time.time()):
            self.bad_signatures += 1
            return web.Response(status=400)
        if self.attempts <= self.fail:
            return web.Response(status=500)
        self.accepted.append(await request.json())
        return web.Response(status=204)


async def receiver_on_loopback(fail: int) -> tuple[Receiver, web.AppRunner, str]:
    receiver = Receiver(fail)
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return receiver, runner, f"http://127.0.0.1:{port}/hook"


async def until(check: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def notify(smtp_port: int, hook_url: str) -> NotificationsConfig:
    return NotificationsConfig(
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        webhook_urls=(hook_url,),
        webhook_secret=WEBHOOK_SECRET,
        period_s=0.1,
        retry_base_s=0.2,
    )


async def test_followers_are_emailed_and_the_webhook_retried(backend, start, smtp) -> None:
    inbox, smtp_port = smtp
    receiver, runner, hook = await receiver_on_loopback(fail=1)
    try:
        run = await start(config_for(backend, notifications=notify(smtp_port, hook)))
        world = await show(run)
        services = run.app[SERVICES]
        host_id = (await run.call("GET", "/api/me", world.host))[1]["user_id"]
        for token in (world.viewer, world.viewer2):
            status, body = await run.call("POST", f"/api/hosts/{host_id}/follow", token)
            assert status == 200, body
        assert body == {"host_id": host_id, "followers": 2, "following": True}

        began = time.perf_counter()
        await services.streams.publisher_connected(world.stream_id)
        going_live_s = time.perf_counter() - began
        await until(lambda: len(inbox.messages) == 2 and receiver.accepted)

        assert all(m["Subject"].endswith(" is live now: Live show") for m in inbox.messages)
        hook_body = receiver.accepted[0]
        assert hook_body["event"] == "host_live"
        assert hook_body["stream_id"] == world.stream_id
        assert hook_body["followers_emailed"] == 2
        assert receiver.attempts == 2 and receiver.bad_signatures == 0
        assert receiver.deliveries[0] == receiver.deliveries[1]  # the same id on the retry
        assert going_live_s < 0.5  # the announcement runs beside it, never inside it

        # Going live again (the host reconnects) announces nothing twice.
        await services.streams.publisher_connected(world.stream_id)
        await asyncio.sleep(0.5)
        assert len(inbox.messages) == 2
        counts = await services.notifications.counts(world.stream_id)
        assert counts == {"sent": 3}

        # The email's one-click link unsubscribes its reader.
        text = inbox.messages[0].get_payload(decode=True).decode()
        link = re.search(r"/api/unsubscribe\?token=([\w.]+)", text)
        assert link is not None
        header = inbox.messages[0]["List-Unsubscribe"]
        assert link.group(1) in header
        url = f"{run.url}/api/unsubscribe?token={link.group(1)}"
        async with run.http.get(url) as answer:
            assert answer.status == 200
            assert "Unsubscribed" in await answer.text()
        reader = int(link.group(1).split(".")[0])
        assert await services.notifications.unsubscribed(reader)
        status, body = await run.call("GET", "/api/unsubscribe?token=1.forged")
        assert status == 400 and body["error"]["code"] == "bad_unsubscribe_link"
    finally:
        await runner.cleanup()


async def test_an_unsubscribed_follower_gets_no_email_but_the_rest_do(
    sqlite_backend, start, smtp
) -> None:
    inbox, smtp_port = smtp
    config = replace(
        config_for(sqlite_backend),
        notifications=NotificationsConfig(
            smtp_url=f"smtp://127.0.0.1:{smtp_port}", period_s=0.1, retry_base_s=0.2
        ),
    )
    run = await start(config)
    world = await show(run)
    services = run.app[SERVICES]
    host_id = (await run.call("GET", "/api/me", world.host))[1]["user_id"]
    quiet_id = (await run.call("GET", "/api/me", world.viewer2))[1]["user_id"]
    for token in (world.viewer, world.viewer2):
        await run.call("POST", f"/api/hosts/{host_id}/follow", token)
    token = services.notifications.unsubscribe_token(quiet_id)
    status, body = await run.call("POST", f"/api/unsubscribe?token={token}")
    assert (status, body) == (200, {"unsubscribed": True})
    assert (await run.call("GET", "/api/me/follows", world.viewer2))[1]["unsubscribed"] is True

    await services.streams.publisher_connected(world.stream_id)
    await until(lambda: len(inbox.messages) == 1)
    await asyncio.sleep(0.3)
    assert len(inbox.messages) == 1
    viewer_email = inbox.messages[0]["To"]
    assert viewer_email.startswith("viewer")


async def test_emails_are_retried_until_the_smtp_server_answers(sqlite_backend, start) -> None:
    """No SMTP server at first: the queue backs off and tries again; once one listens on the
    port, the email goes."""
    port = free_port()
    config = replace(
        config_for(sqlite_backend),
        notifications=NotificationsConfig(
            smtp_url=f"smtp://127.0.0.1:{port}", period_s=0.1, retry_base_s=0.3
        ),
    )
    run = await start(config)
    world = await show(run)
    services = run.app[SERVICES]
    host_id = (await run.call("GET", "/api/me", world.host))[1]["user_id"]
    await run.call("POST", f"/api/hosts/{host_id}/follow", world.viewer)
    await services.streams.publisher_connected(world.stream_id)
    await until_failed_once(run)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await until(lambda: len(inbox.messages) == 1)
    finally:
        controller.stop()


async def until_failed_once(run: Any) -> None:
    from sqlalchemy import select

    from server.core.store.rows import Notification
    from server.edge.http.context import DATABASE

    deadline = time.monotonic() + 15
    while True:
        async with run.app[DATABASE].reading() as session:
            errors = list(await session.scalars(select(Notification.last_error)))
        if any(errors):
            return
        assert time.monotonic() < deadline, "the first attempt never failed"
        await asyncio.sleep(0.1)


async def test_a_viewer_reminded_of_a_show_is_emailed_at_its_time(
    sqlite_backend, start, smtp
) -> None:
    inbox, smtp_port = smtp
    config = replace(
        config_for(sqlite_backend),
        notifications=NotificationsConfig(smtp_url=f"smtp://127.0.0.1:{smtp_port}", period_s=0.1),
    )
    run = await start(config)
    host = await account(run, "host")
    viewer = await account(run)
    soon = time.time() + 1.5
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(soon)) + f".{int(soon % 1 * 1000):03d}Z"
    status, created = await run.call(
        "POST",
        "/api/streams",
        host,
        json={"title": "Soon", "language": "en", "product_ids": [], "scheduled_at": when},
    )
    assert status == 201, created
    status, body = await run.call("POST", f"/api/streams/{created['id']}/remind", viewer)
    assert (status, body) == (200, {"stream_id": created["id"], "reminded": True})
    await asyncio.sleep(0.5)
    assert inbox.messages == []  # not before its time
    await until(lambda: len(inbox.messages) == 1, timeout_s=10)
    assert inbox.messages[0]["Subject"] == "Starting now: Soon"
    status, body = await run.call("POST", f"/api/streams/{created['id']}/remind", viewer)
    assert status == 409 and body["error"]["code"] == "not_remindable"
