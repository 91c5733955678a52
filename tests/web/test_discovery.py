"""Discovery and following in Chromium (issue 18): a viewer signs up, follows a host from the
host's page, gets the "<host> is live" toast there when the host goes live, and sets a reminder
on the home page; a password reset from the reset page through a real SMTP server (aiosmtpd
on loopback), the link refused in words when used twice; followers-only chat switched on from
the moderator console, and the host's follower count in the studio."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from server.core.auth import SESSION_COOKIE
from server.core.domain.notifications import NotificationsConfig
from server.edge.http.context import SERVICES
from tests import factory
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.server.edge.test_notifications import Inbox, free_port
from tests.web.conftest import (
    assert_accessible,
    screenshots,
    sign_in_context,
    until,
    until_equal,
)

PHONE = {"width": 390, "height": 844}
TEXT = "document.querySelector({!r})?.textContent.trim() ?? ''"

pytestmark = pytest.mark.slow


async def new_page(browser: Any) -> Any:
    context = await browser.new_context(viewport=PHONE, locale="en-US")
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


async def token_of(page: Any) -> str:
    """The session the page signed into (its HttpOnly cookie), to check what it did."""
    cookies = await page.context.cookies()
    return next(c["value"] for c in cookies if c["name"] == SESSION_COOKIE)


async def test_a_viewer_follows_a_host_gets_the_live_toast_and_sets_a_reminder(
    backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(backend, notifications=NotificationsConfig(period_s=0.1)))
    world = await factory.show(run)
    _, host = await run.call("GET", "/api/me", world.host)
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    status, later = await run.call(
        "POST",
        "/api/streams",
        world.host,
        json={"title": "Tomorrow's picks", "language": "en", "scheduled_at": soon},
    )
    assert status == 201, later

    # Sign up from the sign-up page, and land back on the host's page.
    page = await new_page(browser)
    host_url = f"/host/{host['user_id']}"
    await page.goto(f"{run.url}/signup?next={host_url}")
    await page.fill("#signup-name", "Fan")
    await page.fill("#signup-email", "fan@example.test")
    await page.fill("#signup-password", "correct horse")
    await page.click("#signup-form button[type=submit]")
    await until(page, f"location.pathname === {host_url!r}")
    await until_equal(page, TEXT.format("#host-name"), host["display_name"])
    await until_equal(page, TEXT.format("#followers"), "0 followers")
    upcoming = f'#upcoming li[data-stream-id="{later["id"]}"]'
    assert "Tomorrow's picks" in await page.inner_text(upcoming)
    await assert_accessible(page, "host page: not following")

    await page.click("#follow")
    await until_equal(page, TEXT.format("#followers"), "1 follower")
    assert await page.get_attribute("#follow", "aria-pressed") == "true"
    viewer = await token_of(page)
    _, follows = await run.call("GET", "/api/me/follows", viewer)
    assert follows["hosts"] == [host["user_id"]]
    await assert_accessible(page, "host page: following")

    # The host goes live: the page's own connection (it joins no show) brings the toast.
    await until(page, "document.body.dataset.liveToasts === 'on'")
    await run.app[SERVICES].streams.publisher_connected(world.stream_id)
    toast = f'.live-toast[data-stream-id="{world.stream_id}"]'
    await until(page, f"document.querySelector({toast!r})", timeout=10_000)
    text = re.sub(r"\s+", " ", await page.inner_text(toast))
    assert text.startswith(f"{host['display_name']} is live: watch")
    assert await page.get_attribute(f"{toast} a", "href") == f"/watch/{world.stream_id}"
    # The page's own lists move the show up to "live now".
    await until(page, f"document.querySelector('#live li[data-stream-id=\"{world.stream_id}\"]')")
    await assert_accessible(page, "host page: live toast")
    await page.screenshot(path=screenshots(tmp_path) / "discovery-host-toast.png")

    # The home page: the live show with its host's link, the upcoming one counting down.
    await page.goto(run.url + "/")
    live = f'#shows li[data-stream-id="{world.stream_id}"]'
    await until(page, f"document.querySelector({live!r})")
    assert await page.get_attribute(f"{live} a.muted", "href") == host_url
    assert await page.inner_text(f"{live} .viewers") == "0 watching"  # nobody joined its room
    countdown = await page.inner_text(f"{upcoming} .countdown")
    assert re.fullmatch(r"Starts in (1:59:\d\d|2:00:00)", countdown), countdown
    await asyncio.sleep(1.2)
    assert await page.inner_text(f"{upcoming} .countdown") != countdown  # it moves
    await page.click(f"{upcoming} button.remind")
    await until_equal(
        page, f"document.querySelector('{upcoming} button.remind').ariaPressed", "true"
    )
    _, follows = await run.call("GET", "/api/me/follows", viewer)
    assert follows["reminders"] == [later["id"]]
    await assert_accessible(page, "home: reminder set")
    await page.screenshot(path=screenshots(tmp_path) / "discovery-home.png", full_page=True)

    # In French, the same page says so in French; a tap takes the reminder back.
    await page.select_option("#language", "fr")
    await until_equal(page, TEXT.format(f"{upcoming} button.remind"), "Rappel activé")
    await page.click(f"{upcoming} button.remind")
    await until_equal(page, TEXT.format(f"{upcoming} button.remind"), "Me le rappeler")
    _, follows = await run.call("GET", "/api/me/follows", viewer)
    assert follows["reminders"] == []
    assert page.errors == []


class SMTPServer:
    def __init__(self) -> None:
        self.inbox, self.port = Inbox(), free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    async def link(self, to: str, timeout_s: float = 15.0) -> str:
        """The path of the reset link in the newest email to `to`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message in reversed(self.inbox.messages):
                if to in message["To"]:
                    body = message.get_body(("plain",)).get_content()
                    found = re.search(r"/reset#token=[\w-]+", body)
                    assert found is not None, body
                    return found.group(0)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no email to {to}")


async def test_a_password_reset_from_the_reset_page(
    sqlite_backend, start, browser, tmp_path
) -> None:
    smtp = SMTPServer()
    smtp.controller.start()
    try:
        notify = NotificationsConfig(smtp_url=f"smtp://127.0.0.1:{smtp.port}", period_s=0.1)
        run = await start(config_for(sqlite_backend, notifications=notify))
        address = "forgetful@example.test"
        account = {"email": address, "password": "correct horse", "display_name": "Forgetful"}
        assert (await run.call("POST", "/api/accounts", json=account))[0] == 201

        page = await new_page(browser)
        await page.goto(run.url + "/signin")
        await page.click("a[href='/reset']")
        await until(page, "!document.querySelector('#ask').hidden")
        await assert_accessible(page, "reset: ask for a link")
        await page.fill("#reset-email", address)
        await page.click("#ask-form button[type=submit]")
        await until(page, TEXT.format("#ask-sent"))
        assert "a link is on its way" in await page.inner_text("#ask-sent")

        link = await smtp.link(address)
        await page.goto(run.url + link)
        await until(page, "!document.querySelector('#choose').hidden")
        assert "token" not in page.url  # out of the address bar and the history
        await assert_accessible(page, "reset: choose a password")
        await page.fill("#reset-password", "short")
        await page.click("#choose-form button[type=submit]")
        await until_equal(
            page, TEXT.format("#choose-error"), "The password needs at least 8 characters."
        )
        await page.fill("#reset-password", "a brand new one")
        await page.click("#choose-form button[type=submit]")
        await until(page, TEXT.format("#choose-done"))
        login = {"email": address, "password": "a brand new one"}
        assert (await run.call("POST", "/api/auth/login", json=login))[0] == 200
        await assert_accessible(page, "reset: done")

        # The same link again, in Polish this time: refused in words, with a way to ask anew.
        await page.goto(run.url + link)
        await until(page, "!document.querySelector('#choose').hidden")
        await page.select_option("#language", "pl")
        await page.fill("#reset-password", "another new one")
        await page.click("#choose-form button[type=submit]")
        await until_equal(
            page,
            TEXT.format("#choose-error"),
            "Ten link został już użyty. Każdy działa raz: poproś o nowy.",
        )
        assert await page.is_visible("#choose-error") and await page.is_visible("#ask-again a")
        assert await page.is_hidden("#choose-form")
        await assert_accessible(page, "reset: link used twice")
        await page.screenshot(path=screenshots(tmp_path) / "discovery-reset-used.png")
        login["password"] = "another new one"
        assert (await run.call("POST", "/api/auth/login", json=login))[0] == 401
        assert page.errors == []
    finally:
        smtp.controller.stop()


async def test_followers_only_chat_and_the_follower_count_for_the_host(
    sqlite_backend, start, browser
) -> None:
    run = await start(config_for(sqlite_backend))
    world = await factory.show(run)
    await factory.go_live(run, world.stream_id)
    _, host = await run.call("GET", "/api/me", world.host)
    assert (await run.call("POST", f"/api/hosts/{host['user_id']}/follow", world.viewer))[0] == 200
    context = await browser.new_context(viewport={"width": 1100, "height": 800})
    who = {"id": host["user_id"], "display_name": host["display_name"], "role": host["role"]}
    await sign_in_context(context, run.url, world.host, who)
    page = await context.new_page()
    await page.goto(f"{run.url}/moderate/{world.stream_id}")
    await page.wait_for_selector("#console:not([aria-busy])")
    await page.check("#followers-only")
    await page.wait_for_selector("#mode-followers")
    assert await page.inner_text("#mode-followers") == "Followers only"
    await assert_accessible(page, "moderate: followers only")

    follower, _, _ = await joined(run, world.viewer, world.stream_id)
    stranger, _, _ = await joined(run, world.viewer2, world.stream_id)
    assert (await follower.call("send_message", {"text": "I follow"}))["ok"]
    refused = await stranger.call("send_message", {"text": "I do not"})
    assert refused["error"]["code"] == "followers_only"
    await page.uncheck("#followers-only")
    await page.wait_for_selector("#mode-followers", state="detached")
    assert (await stranger.call("send_message", {"text": "now I may"}))["ok"]
    for client in (follower, stranger):
        await client.disconnect()

    # The host sees their follower count in the studio's header.
    await page.goto(f"{run.url}/studio/{world.stream_id}")
    await until_equal(page, TEXT.format("#followers"), "1 follower")


async def test_a_page_with_its_own_connection_carries_the_toast_on_it(
    sqlite_backend, start, browser
) -> None:
    """ "My orders" has a connection of its own (order_updated): the toast rides on it, and no
    second connection is opened for it."""
    run = await start(config_for(sqlite_backend, notifications=NotificationsConfig(period_s=0.1)))
    world = await factory.show(run)
    _, host = await run.call("GET", "/api/me", world.host)
    assert (await run.call("POST", f"/api/hosts/{host['user_id']}/follow", world.viewer))[0] == 200
    _, me = await run.call("GET", "/api/me", world.viewer)
    context = await browser.new_context(viewport=PHONE, locale="en-US")
    who = {"id": me["user_id"], "display_name": me["display_name"], "role": me["role"]}
    await sign_in_context(context, run.url, world.viewer, who)
    page = await context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    await page.goto(f"{run.url}/orders")
    await until(page, "document.body.dataset.liveToasts === 'on'")
    await asyncio.sleep(2.0)  # past the pause after which a page without one opens its own
    await run.app[SERVICES].streams.publisher_connected(world.stream_id)
    toast = f'.live-toast[data-stream-id="{world.stream_id}"]'
    await until(page, f"document.querySelector({toast!r})", timeout=10_000)
    assert len([url for url in sockets if "/socket.io/" in url]) == 1, sockets
    await assert_accessible(page, "my orders: live toast")
