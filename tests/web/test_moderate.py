"""The moderator console (/moderate/<id>) in Chromium, against real Socket.IO viewers: per-message
delete, mute, ban and shadow-ban; lifting a sanction; the review queue; the live switches; the
word filter; the audit log; markup in chat shown as text."""

from __future__ import annotations

import pytest

from server.edge.demo import ACCOUNTS, PASSWORD, seed
from tests import factory
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, screenshots, sign_in, until

pytestmark = pytest.mark.slow

MARKUP = "<img src=x onerror=window.pwned=1> look"
CONSOLE = {"width": 1100, "height": 800}


async def open_console(browser, run, stream_id: int):
    page = await (await browser.new_context(viewport=CONSOLE)).new_page()
    await page.goto(f"{run.url}/moderate/{stream_id}")
    await page.wait_for_selector("dialog[open] #signin-email")
    await assert_accessible(page, "moderate: the sign-in dialog")
    await sign_in(page, ACCOUNTS["moderator"])
    await page.wait_for_selector("#console:not([aria-busy])")  # joined, everything loaded
    assert await page.is_visible("#tools")
    await assert_accessible(page, "moderate: the console, joined")
    return page


def line(page, text: str):
    return page.locator("#chat li", has_text=text)


async def sanction(page, text: str, button: str, duration: str | None = None) -> None:
    """Open the dialog on the chat line with `text` and take one action there."""
    await line(page, text).locator("button.moderate").click()
    await page.wait_for_selector("#sanction[open]")
    await assert_accessible(page, "moderate: the sanction dialog")
    if duration is not None:
        await page.select_option("#sanction-duration", duration)
    await page.click(button)
    await page.wait_for_selector("#sanction", state="hidden")


def code(ack: dict) -> str:
    return "ok" if ack["ok"] else ack["error"]["code"]


async def test_sanctions_from_the_console(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    show = await seed(run.app)
    mod = await open_console(browser, run, show.stream_id)
    ana, _, _ = await joined(run, await factory.account(run, name="Ana"), show.stream_id)
    bo, _, _ = await joined(run, await factory.account(run, name="Bo"), show.stream_id)
    cy, cy_events, _ = await joined(
        run, await factory.account(run, name="Cy"), show.stream_id, "banned"
    )

    # Markup in chat is shown as typed, never run; Delete removes the line.
    assert code(await ana.call("send_message", {"text": MARKUP})) == "ok"
    await line(mod, "look").wait_for()
    assert await line(mod, "look").locator(".text").text_content() == MARKUP
    assert await mod.evaluate("window.pwned === undefined && !document.querySelector('#chat img')")
    await line(mod, "look").get_by_role("button", name="Delete").click()
    await line(mod, "look").wait_for(state="detached")

    # Mute for an hour: Ana's next message is refused, with the time left.
    assert code(await ana.call("send_message", {"text": "hello from Ana"})) == "ok"
    await line(mod, "hello from Ana").wait_for()
    await sanction(mod, "hello from Ana", "#do-mute", duration="3600")
    refused = await ana.call("send_message", {"text": "still here?"})
    assert code(refused) == "muted" and 3500 < refused["error"]["retry_after_s"] <= 3600

    # Shadow-ban: Bo's messages are acked as usual but reach nobody else.
    assert code(await bo.call("send_message", {"text": "Bo says hi"})) == "ok"
    await line(mod, "Bo says hi").wait_for()
    await sanction(mod, "Bo says hi", "#do-shadow")
    assert code(await bo.call("send_message", {"text": "ghost line"})) == "ok"
    assert code(await cy.call("send_message", {"text": "Cy after the ghost"})) == "ok"
    await line(mod, "Cy after the ghost").wait_for()
    assert await line(mod, "ghost line").count() == 0

    # Ban: Cy is told and disconnected.
    await sanction(mod, "Cy after the ghost", "#do-ban")
    banned = await cy_events.next("banned")
    assert banned["stream_id"] == show.stream_id and banned["until"] is None

    # The audit log lists every action; the sanctions in force can be lifted from the console.
    for action in ("delete_message", "mute", "shadow_ban", "ban"):
        await mod.wait_for_selector(f"#audit li[data-action={action}]")
    assert "Ana" in await mod.inner_text("#audit li[data-action=mute]")
    await until(mod, "document.querySelectorAll('#sanctions li').length === 3")
    await mod.screenshot(path=screenshots(tmp_path) / "moderate-sanctions.png")
    await assert_accessible(mod, "moderate: chat, sanctions in force, the audit log")
    await mod.click("#sanctions li.mute button")
    await until(mod, "document.querySelectorAll('#sanctions li').length === 2")
    assert code(await ana.call("send_message", {"text": "thanks"})) == "ok"
    await mod.wait_for_selector("#audit li[data-action=unmute]")


async def test_review_queue_word_filter_and_modes(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    show = await seed(run.app)
    mod = await open_console(browser, run, show.stream_id)
    ana, _, _ = await joined(run, await factory.account(run, name="Ana"), show.stream_id)
    bo, bo_events, _ = await joined(
        run, await factory.account(run, name="Bo"), show.stream_id, "chat_message"
    )

    # A "hold" word added from the console catches the next message for review.
    await mod.fill("#word-term", "quix")
    await mod.select_option("#word-action", "hold")
    await mod.click("#word-form button[type=submit]")
    await mod.wait_for_selector("#words tr[data-term=quix]")
    held = await ana.call("send_message", {"text": "is this quix legit?"})
    assert held["ok"] and held["held"] is True
    item = mod.locator("#held li", has_text="is this quix legit?")
    await item.wait_for()
    assert await mod.inner_text("#held-count") == "1"
    await assert_accessible(mod, "moderate: a message held for review")

    # Approving publishes it to the room, said by its sender.
    await item.locator("button.approve").click()
    published = await bo_events.next("chat_message")
    assert published["text"] == "is this quix legit?" and published["display_name"] == "Ana"
    await line(mod, "is this quix legit?").wait_for()
    await item.wait_for(state="detached")

    # A sender muted while their message waited: approving is refused, rejecting works.
    assert code(await ana.call("send_message", {"text": "plain words"})) == "ok"
    assert (await ana.call("send_message", {"text": "quix again"}))["held"] is True
    again = mod.locator("#held li", has_text="quix again")
    await again.wait_for()
    await line(mod, "plain words").wait_for()
    await sanction(mod, "plain words", "#do-mute")
    await again.locator("button.approve").click()
    await again.locator("[role=alert]", has_text="muted or banned").wait_for()
    assert await again.locator("button.approve").is_disabled()
    await assert_accessible(mod, "moderate: a held message whose sender is muted")
    await again.locator("button.reject").click()
    await again.wait_for(state="detached")

    # Slow mode switched on from the console shows in the header, and bites.
    await mod.fill("#slow-seconds", "45")
    await mod.check("#slow")
    await mod.wait_for_selector("#mode-slow")
    assert "45" in await mod.inner_text("#mode-slow")
    assert code(await bo.call("send_message", {"text": "first"})) == "ok"
    assert code(await bo.call("send_message", {"text": "second"})) == "slow_mode"

    # A switch flipped elsewhere (the host) shows on the console too.
    host, _, _ = await joined(run, (await login(run, ACCOUNTS["host"])), show.stream_id)
    assert code(await host.call("set_modes", {"registered_only": True})) == "ok"
    await mod.wait_for_selector("#mode-registered")
    assert await mod.is_checked("#registered-only")

    for action in ("edit_words", "review", "set_modes"):
        await mod.wait_for_selector(f"#audit li[data-action={action}]")
    await until(
        mod, "document.querySelectorAll('#audit li[data-action=review]').length === 4"
    )  # held, approved, held, rejected
    await mod.screenshot(path=screenshots(tmp_path) / "moderate-review.png")
    await assert_accessible(mod, "moderate: modes on, words listed")


async def login(run, email: str) -> str:
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert status == 200, body
    return body["token"]
