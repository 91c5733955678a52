"""The staff console (/staff) in Chromium: an admin sees the live show with its viewer count,
ends it, takes its replay down, and finds both in the audit log; axe-clean; in Polish too; a
host is turned away at the gate. Issue 18's flow: an admin finds an account and appoints it host
(it then signs in as a host and schedules a show), adds a platform banned word that then blocks
a chat line, ends a live show and takes its replay down (the viewer page, which played the
replay, then says the show has ended), and bans someone platform-wide and lifts it."""

from __future__ import annotations

import pytest

from server.core.domain.roles import Role
from tests import factory
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.server.edge.test_replays import record_show
from tests.web.conftest import assert_accessible, screenshots, until, until_equal
from tests.web.test_report import signed_in

pytestmark = pytest.mark.slow


async def test_an_admin_ends_a_show_and_takes_its_replay_down(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    admin = await factory.admin_token(run)
    page = await signed_in(browser, run, admin)
    await page.goto(f"{run.url}/staff")
    live = f"#live-shows [data-show='{show.stream_id}']"
    await page.wait_for_selector(live)
    assert "Live show" in await page.inner_text(live)
    await until(page, "document.querySelectorAll('#users li.staff-row').length >= 1")
    await page.wait_for_selector("#nodes li.staff-row")
    await assert_accessible(page, "staff: a live show")
    await page.screenshot(path=str(screenshots(tmp_path) / "staff-live.png"), full_page=True)

    await page.click(f"{live} button")
    ended = f"#ended-shows [data-show='{show.stream_id}']"
    await page.wait_for_selector(ended)
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    assert stream["status"] == "ended"

    await page.click(f"{ended} button")
    await page.wait_for_selector(f"{ended} >> text=Replay taken down")
    _, body = await run.call("GET", "/api/staff/shows", admin)
    (row,) = [s for s in body["ended"] if s["id"] == show.stream_id]
    assert row["replay_taken_down"] is True
    await page.wait_for_selector("#audit >> text=replay taken down")
    await page.wait_for_selector("#audit >> text=show ended")
    await assert_accessible(page, "staff: the show ended, its replay taken down")

    polish = await signed_in(browser, run, admin, locale="pl-PL")
    await polish.goto(f"{run.url}/staff")
    await polish.wait_for_selector(f"{ended} >> text=Powtórka zdjęta")
    assert await polish.inner_text("#health-heading") == "Stan wdrożenia"
    await assert_accessible(polish, "staff: in Polish")


async def test_the_console_turns_a_host_away(sqlite_backend, start, browser) -> None:
    run = await start(config_for(sqlite_backend))
    host = await factory.account(run, Role.HOST)
    page = await signed_in(browser, run, host)
    await page.goto(f"{run.url}/staff")
    await page.wait_for_selector("#gate:not([hidden])")
    assert "for admins" in await page.inner_text("#gate-text")
    assert await page.is_hidden("#console")
    await assert_accessible(page, "staff: refused")


async def test_an_admin_appoints_a_host_bans_a_word_and_takes_a_replay_down(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    chatter, _, _ = await joined(run, show.viewer2, show.stream_id)
    line = {"text": "cheaper at scamlink dot com"}
    assert (await chatter.call("send_message", line))["ok"]  # before the word is banned
    candidate = await factory.account(run, name="Zofia Nowak")
    _, me = await run.call("GET", "/api/me", candidate)
    admin = await factory.admin_token(run)
    page = await signed_in(browser, run, admin)
    await page.goto(f"{run.url}/staff")
    live = f"#live-shows [data-show='{show.stream_id}']"
    await page.wait_for_selector(f"{live} >> text=1 viewer")

    # Find the account and appoint it host: it signs in again as a host and schedules a show.
    await page.fill("#user-query", "zofia")
    await page.click("#user-search button[type=submit]")
    row = f"#users [data-user='{me['user_id']}']"
    await until(page, "document.querySelectorAll('#users li.staff-row').length === 1")
    await page.wait_for_selector(row)
    await page.select_option(f"{row} select", "host")
    await page.wait_for_selector("#audit >> text=role or account changed")
    _, found = await run.call("GET", "/api/staff/users?q=zofia", admin)
    (user,) = found["users"]
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": user["email"], "password": "correct horse"}
    )
    assert status == 200 and body["user"]["role"] == "host"
    status, _ = await run.call("POST", "/api/streams", body["token"], json={"title": "Zofia live"})
    assert status == 201

    # A platform banned word: the same line is refused now, in this show and any other.
    await page.fill("#word-term", "scamlink")
    await page.select_option("#word-action", "block")
    await page.click("#word-form button[type=submit]")
    await page.wait_for_selector("#words >> text=scamlink")
    ack = await chatter.call("send_message", line)
    assert not ack["ok"] and ack["error"]["code"] == "blocked_word", ack
    await page.wait_for_selector("#audit >> text=term added")

    # End the show; its recording is stored; the viewer page plays the replay.
    await page.click(f"{live} button")
    ended = f"#ended-shows [data-show='{show.stream_id}']"
    await page.wait_for_selector(ended)
    await record_show(run, show.stream_id, tmp_path / "recordings", seconds=2)
    viewer = await signed_in(browser, run, show.viewer)
    await viewer.goto(f"{run.url}/watch/{show.stream_id}")
    await until(viewer, "document.body.dataset.mode === 'replay'")

    # Take the replay down: the viewer page then says the show has ended, the API the same.
    await page.click(f"{ended} button")
    await page.wait_for_selector(f"{ended} >> text=Replay taken down")
    await viewer.reload()
    heading = "document.querySelector('#stage-heading').textContent"
    await until_equal(viewer, heading, "This show has ended")
    assert await viewer.evaluate("document.body.dataset.mode || ''") == ""
    status, body = await run.call("GET", f"/api/streams/{show.stream_id}/replay", show.viewer)
    assert status == 404 and body["error"]["code"] == "replay_unavailable"

    # A platform ban from the console, listed in force, then lifted from the list.
    target = f"u:{me['user_id']}"
    await page.fill("#ban-target", target)
    await page.fill("#ban-reason", "spam links")
    await page.click("#ban-form button[type=submit]")
    await page.wait_for_selector(f"#bans [data-ban='{target}'] >> text=spam links")
    await assert_accessible(page, "staff: a ban in force")
    await page.click(f"#bans [data-ban='{target}'] button")
    await page.wait_for_selector("#bans >> text=No platform bans in force.")
    _, audit = await run.call("GET", "/api/staff/audit", admin)
    actions = [e["action"] for e in audit["entries"]]
    assert actions[:4] == ["platform_unban", "platform_ban", "staff_take_down", "staff_end_show"]
    assert "staff_account" in actions and "edit_platform_words" in actions
    await page.screenshot(path=str(screenshots(tmp_path) / "staff-flow.png"), full_page=True)
