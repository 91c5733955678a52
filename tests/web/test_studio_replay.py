"""The studio's replay setting in Chromium (web/static/js/studio_replay.js): the demo host turns
the show's replay unlisted, then, once the show has ended with a recording, off; the API keeps
each choice, and a viewer of the ended show is offered no replay."""

from __future__ import annotations

import pytest

from server.edge.demo import ACCOUNTS
from tests import factory
from tests.server.edge.test_replays import record_show
from tests.web.conftest import assert_accessible, until, until_equal
from tests.web.test_replay import open_signed_in
from tests.web.test_studio import Studio, login, open_studio

pytestmark = pytest.mark.slow

HELP = "document.querySelector('#replay-help').textContent"


async def choose(studio: Studio, setting: str, help_text: str) -> None:
    """Pick `setting` in the studio; wait until the server has it and the page says so."""
    page = studio.page
    await page.select_option("#replay-setting", setting)
    await until_equal(page, HELP, help_text)
    await until(page, "!document.querySelector('#replay-setting').disabled")
    status, stream = await studio.run.call("GET", f"/api/streams/{studio.stream_id}")
    assert status == 200 and stream["replay"] == setting


async def test_the_host_sets_the_replay_and_an_off_replay_is_not_offered(
    sqlite_backend, start, browser, tmp_path
) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page, run = studio.page, studio.run
    await until(page, "!document.querySelector('#replay-setting').disabled")
    assert await page.eval_on_selector("#replay-setting", "s => s.value") == "on"  # the default
    assert await page.inner_text("label[for=replay-setting]") == "Replay after the show"
    assert await page.evaluate(HELP) == (
        "After the show, anyone can watch the replay and buy from it;"
        " it is listed on the home page."
    )
    assert await page.locator("#replay-setting option").all_inner_texts() == [
        "On: listed",
        "Unlisted: by link only",
        "Off: no replay",
    ]
    await assert_accessible(page, "studio: the replay setting")
    await choose(
        studio, "unlisted", "After the show, only people with the show's link can watch the replay."
    )

    # The show runs and ends with a recording: unlisted, its replay plays by its link.
    await factory.go_live(run, studio.stream_id)
    assert (await run.call("POST", f"/api/streams/{studio.stream_id}/end", studio.host))[0] == 200
    await record_show(run, studio.stream_id, tmp_path / "recordings", seconds=2)
    status, _ = await run.call("GET", f"/api/streams/{studio.stream_id}/replay")
    assert status == 200

    await choose(studio, "off", "No replay: viewers see that the show has ended.")
    await assert_accessible(page, "studio: the replay turned off")
    status, body = await run.call("GET", f"/api/streams/{studio.stream_id}/replay")
    assert status == 404, body
    _, listed = await run.call("GET", "/api/replays")
    assert studio.stream_id not in [r["stream_id"] for r in listed["replays"]]
    viewer = await login(run, ACCOUNTS["viewer"])
    watch = await open_signed_in(browser, run, f"{run.url}/watch/{studio.stream_id}", viewer)
    await until_equal(
        watch, "document.querySelector('#stage-heading').textContent", "This show has ended"
    )
    assert await watch.evaluate("document.body.dataset.mode || ''") == ""
    assert await watch.evaluate("document.querySelector('#video').getAttribute('src')") is None

    # In French, the control speaks French.
    await page.select_option("#language", "fr")
    await until_equal(
        page, "document.querySelector('label[for=replay-setting]').textContent",
        "Rediffusion après l'émission",
    )  # fmt: skip
    assert await page.locator("#replay-setting option:checked").inner_text() == (
        "Désactivée : pas de rediffusion"
    )
