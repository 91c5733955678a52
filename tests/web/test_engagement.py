"""Auctions, giveaways and polls on the pages (issue 16), in Chromium against the demo show:
the host runs each from the studio, two viewer pages (phones) bid, enter and vote through
their room connection, and a moderator console reads the bids and removes a bidder.

- Auction: both pages count down the server's seconds (one phone's clock is 90 minutes
  behind); one viewer sets a maximum (it bids the reserve at once), the other bids by the
  buttons and is outbid by it, then sets a higher maximum and leads at the first maximum plus
  one increment; the console removes
  the outbid bidder, whose next bid is refused in words; the host stops it, and the winner's
  page shows its order at the winning price and pays it.
- Giveaway: both pages enter, the host ends the window, both pages show the revealed seed, and
  the entries JSON the page links to verifies with docs/verify_giveaway.py's own `check`.
- Poll: on two line-up products; each page votes once for a different one; both see their
  titles, 50 % / 50 % and two votes, then the poll closed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from server.edge.demo import ACCOUNTS, PASSWORD, seed
from tests import factory
from tests.conftest import config_for
from tests.web.conftest import assert_accessible, screenshots, sign_in_context, until, until_equal

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
# Ana's phone's clock is an hour and a half behind: her countdowns must not care.
SLOW_CLOCK = "{ const real = Date.now; Date.now = () => real() - 5400000; }"
ROOT = Path(__file__).resolve().parents[2]


def verifier() -> Any:
    """docs/verify_giveaway.py as a module: the test checks the draw with its own function."""
    spec = importlib.util.spec_from_file_location(
        "verify_giveaway", ROOT / "docs" / "verify_giveaway.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def login(run: Any, email: str, password: str = PASSWORD) -> tuple[str, dict]:
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": email, "password": password}
    )
    assert status == 200, body
    return body["token"], body["user"]


async def open_as(
    browser: Any, run: Any, who: tuple[str, dict], path: str, script: str = "", **options: Any
) -> Any:
    context = await browser.new_context(locale="en-US", **options)
    await sign_in_context(context, run.url, *who)
    page = await context.new_page()
    if script:
        await page.add_init_script(script)
    await page.goto(run.url + path)
    return page


def text(selector: str) -> str:
    return f"((document.querySelector({selector!r}) || {{}}).textContent || '')"


@dataclass
class Scene:
    run: Any
    stream_id: int
    studio: Any
    a: Any  # Viewer Ana's page (the demo viewer)
    b: Any  # Bogdan's page
    people: dict  # name -> (token, user)
    shots: Path


async def test_host_runs_an_auction_a_giveaway_and_a_poll_for_two_viewer_pages(
    sqlite_backend, start, browser, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    stream_id = (await seed(run.app)).stream_id
    await factory.go_live(run, stream_id)
    bogdan = {"email": "bogdan@example.test", "password": "correct horse", "display_name": "Bogdan"}
    status, body = await run.call("POST", "/api/accounts", json=bogdan)
    assert status == 201, body
    people = {
        "host": await login(run, ACCOUNTS["host"]),
        "ana": await login(run, ACCOUNTS["viewer"]),
        "bogdan": await login(run, bogdan["email"], bogdan["password"]),
        "moderator": await login(run, ACCOUNTS["moderator"]),
    }
    studio = await open_as(
        browser, run, people["host"], f"/studio/{stream_id}",
        viewport={"width": 1280, "height": 900},
    )  # fmt: skip
    await until(studio, "document.querySelector('#studio-auction-product option')")
    watch = f"/watch/{stream_id}"
    pages = [await open_as(browser, run, people[name], watch, script, viewport=PHONE)
             for name, script in (("ana", SLOW_CLOCK), ("bogdan", ""))]  # fmt: skip
    for page in pages:
        await until(page, "document.querySelector('#status').textContent !== '…'")
    scene = Scene(run, stream_id, studio, *pages, people, screenshots(tmp_path))

    await run_the_auction(scene, browser)
    await run_the_giveaway(scene)
    await run_the_poll(scene)


async def run_the_auction(scene: Scene, browser: Any) -> None:
    run, studio, a, b = scene.run, scene.studio, scene.a, scene.b
    _, stream = await run.call("GET", f"/api/streams/{scene.stream_id}")
    earbuds = next(p for p in stream["lineup"] if p["currency"] == "USD")
    await studio.select_option("#studio-auction-product", f"[{earbuds['id']},null]")
    await studio.fill("#studio-auction-start-price", "10.00")
    await studio.fill("#studio-auction-increment", "1.00")
    await studio.select_option("#studio-auction-duration", "300")
    await studio.fill("#studio-auction-reserve", "15.00")
    await studio.click("#studio-auction-start")
    await until(studio, "document.querySelector('#studio-auction-stop')")
    for page in (a, b):
        await until_equal(page, text("#auction-price"), "$10.00")
    await assert_accessible(b, "watch: an auction running")
    _, found = await run.call("GET", f"/api/streams/{scene.stream_id}/auctions")
    view = found["auctions"][0]
    left_s = datetime.fromisoformat(view["ends_at"]) - datetime.fromisoformat(view["server_time"])
    for page in (a, b):  # the server's countdown, whatever the device's clock says
        shown = await page.evaluate(text("#auction-time"))
        minutes, seconds = shown.split(":")
        assert abs(int(minutes) * 60 + int(seconds) - left_s.total_seconds()) < 3, shown

    # Ana sets a maximum: it bids the reserve at once. Bogdan bids the next minimum, and her
    # maximum outbids him at once.
    await a.fill("#auction-max", "20.00")
    await a.click("#auction-max-set")
    await until(a, f"{text('#auction-status')}.includes('Maximum of $20.00 set')")
    await until_equal(b, text("#auction-leader"), "Leading: Vi***")  # "Viewer Ana", masked
    await until_equal(b, text("#auction-price"), "$15.00")
    assert await b.inner_text("#auction-reserve") == "Reserve price met"
    first = "document.querySelector('#auction-buttons button').dataset.amount"
    await until_equal(b, first, "1600")
    await b.click("#auction-buttons button")
    await until(b, f"{text('#auction-status')}.includes('someone')")
    await until_equal(b, text("#auction-price"), "$17.00")
    await until_equal(a, text("#auction-leader"), "You are leading")

    # Bogdan's own maximum beats hers: he leads at her maximum plus one increment.
    await b.fill("#auction-max", "30.00")
    await b.click("#auction-max-set")
    await until_equal(b, text("#auction-leader"), "You are leading")
    await until_equal(b, text("#auction-price"), "$21.00")
    await until_equal(a, text("#auction-price"), "$21.00")
    await until_equal(studio, text("#studio-auction-price"), "$21.00")
    await until_equal(a, text("#auction-leader"), "Leading: Bo***")
    await a.screenshot(path=scene.shots / "engagement-auction-outbid.png")

    _, found = await run.call("GET", f"/api/streams/{scene.stream_id}/auctions")
    auction_id = found["auctions"][0]["id"]
    await remove_ana(scene, browser, auction_id)

    # The host stops it: the winner's page shows the order at the winning price and pays it.
    await studio.click("#studio-auction-stop")
    await until(studio, "document.querySelector('#studio-auction-result')")
    await until(b, f"{text('#auction-status')}.startsWith('You won at $21.00! Order #')")
    await until(a, f"{text('#auction-status')}.startsWith('Sold to Bo*** for $21.00')")
    assert not await a.is_visible("#auction-pay")
    _, ended = await run.call("GET", f"/api/auctions/{auction_id}")
    assert ended["auction"]["winner_id"] == scene.people["bogdan"][1]["id"]
    assert ended["auction"]["sold_minor"] == 2100
    order_id = ended["auction"]["order_id"]
    await b.click("#auction-pay")
    await until(b, f"{text('#auction-status')}.endsWith('Order #{order_id} is paid.')")
    status, order = await run.call("GET", f"/api/orders/{order_id}", scene.people["bogdan"][0])
    assert status == 200, order
    assert (order["status"], order["total_minor"], order["currency"]) == ("paid", 2100, "USD")
    await assert_accessible(b, "watch: an auction won and paid")


async def remove_ana(scene: Scene, browser: Any, auction_id: int) -> None:
    """The console (the demo's moderator) sees every bid and removes Ana from the auction; her
    next bid is refused, in words on her page, and logged."""
    run, a = scene.run, scene.a
    mod = await open_as(browser, run, scene.people["moderator"], f"/moderate/{scene.stream_id}")
    status, history = await run.call(
        "GET", f"/api/auctions/{auction_id}/bids", scene.people["host"][0]
    )
    assert status == 200, history
    await until_equal(mod, "document.querySelectorAll('#bids tr').length", len(history["bids"]))
    await assert_accessible(mod, "moderate: the bid history")
    ana_id = scene.people["ana"][1]["id"]
    await mod.click(f"#bidders li[data-bidder='{ana_id}'] button")
    await until_equal(mod, text(f"#bidders li[data-bidder='{ana_id}'] button"), "Removed")
    await a.click("#auction-buttons button")
    await until(a, f"{text('#auction-status')}.startsWith('A moderator removed you')")
    _, history = await run.call("GET", f"/api/auctions/{auction_id}/bids", scene.people["host"][0])
    assert history["bids"][-1]["code"] == "bidder_removed"  # refused, and logged
    await until_equal(mod, "document.querySelectorAll('#bids tr').length", len(history["bids"]))
    await mod.context.close()


async def run_the_giveaway(scene: Scene) -> None:
    run, studio, a, b = scene.run, scene.studio, scene.a, scene.b
    await studio.fill("#studio-giveaway-prize-text", "A tote bag")
    await studio.select_option("#studio-giveaway-window", "120")
    await studio.click("#studio-giveaway-start")
    await until(studio, "document.querySelector('#studio-giveaway-end')")
    for page in (a, b):
        await page.wait_for_selector("#giveaway-enter", state="visible")
        commitment = await page.evaluate(text("#giveaway-commitment"))  # in the closed <details>
        await page.click("#giveaway-enter")
        await until_equal(page, text("#giveaway-enter"), "You are in")
    for page in (a, b, studio):
        selector = "#studio-giveaway-entrants" if page is studio else "#giveaway-entrants"
        await until(page, f"{text(selector)}.startsWith('2')")
    await assert_accessible(a, "watch: a giveaway entered")

    await studio.click("#studio-giveaway-end")
    await until(studio, "document.querySelector('#studio-giveaway-winners li')")
    for page in (a, b):
        await until_equal(page, "document.querySelector('#giveaway-card').dataset.phase", "drawn")
    giveaway_id = int((await a.get_attribute("#giveaway-entries", "href")).split("/")[3])
    status, export = await run.call("GET", f"/api/giveaways/{giveaway_id}/entries")
    assert status == 200, export
    assert verifier().check(export) == []  # the documented procedure gives these winners
    assert export["commitment"] == commitment
    assert sorted(export["entries"]) == sorted(
        f"u:{scene.people[name][1]['id']}" for name in ("ana", "bogdan")
    )
    for page in (a, b):
        assert await page.evaluate(text("#giveaway-seed")) == export["seed"]
    winner = a if export["winners"] == [f"u:{scene.people['ana'][1]['id']}"] else b
    await until_equal(winner, text("#giveaway-status"), "You won! The host will be in touch.")
    await winner.screenshot(path=scene.shots / "engagement-giveaway-won.png")


async def run_the_poll(scene: Scene) -> None:
    studio, a, b = scene.studio, scene.a, scene.b
    await studio.fill("#studio-poll-question", "Which product next?")
    _, stream = await scene.run.call("GET", f"/api/streams/{scene.stream_id}")
    dress, shirt = (next(p for p in stream["lineup"] if p["currency"] == c) for c in ("EUR", "UAH"))
    await studio.select_option("#studio-poll-kind", "products")  # "which product next?"
    await studio.select_option("#studio-poll-option-0", str(dress["id"]))
    await studio.select_option("#studio-poll-option-1", str(shirt["id"]))
    await studio.click("#studio-poll-start")
    await until(studio, "document.querySelector('#studio-poll-close')")
    for page, choice in ((a, 0), (b, 1)):
        await until(page, "document.querySelectorAll('#poll-options button:enabled').length === 2")
        await page.click(f"#poll-options button[data-choice='{choice}']")
        await until_equal(page, text("#poll-status"), "Thanks for voting!")
    shares = "[...document.querySelectorAll('#poll-options .poll-share')].map(s => s.textContent)"
    answers = "[...document.querySelectorAll('#poll-options .poll-text')].map(s => s.textContent)"
    titles = [p["titles"].get("en", p["title"]) for p in (dress, shirt)]
    for page in (a, b):
        await until_equal(page, shares, ["50%", "50%"])
        assert await page.evaluate(answers) == titles
        await until_equal(page, text("#poll-total"), "2 votes")
        assert await page.is_disabled("#poll-options button[data-choice='0']")  # voted once
    assert await a.get_attribute("#poll-options button[data-choice='0']", "aria-pressed") == "true"
    await assert_accessible(b, "watch: a poll voted")
    await b.screenshot(path=scene.shots / "engagement-poll.png")

    await studio.click("#studio-poll-close")
    for page in (a, b):
        await until_equal(page, text("#poll-heading"), "Poll closed")
    await until_equal(studio, text("#studio-poll-total"), "2 votes")
    await assert_accessible(studio, "studio: auction, giveaway and poll results")
    await studio.screenshot(path=scene.shots / "engagement-studio.png", full_page=True)
