"""The staff console (/staff) in Chromium: an admin sees the live show with its viewer count,
ends it, takes its replay down, and finds both in the audit log; axe-clean; in Polish too; a
host is turned away at the gate."""

from __future__ import annotations

import pytest

from server.core.domain.roles import Role
from tests import factory
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, screenshots, until
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
