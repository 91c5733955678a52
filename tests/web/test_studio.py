"""The host studio in a real browser: Debian's Chromium with its fake camera and microphone,
driven by Playwright, against the demo show (four products, four currencies).

Each test opens the studio as the demo host; viewers are python-socketio clients and HTTP calls,
as a phone would make them. Screenshots land in $SHOPCAST_SCREENSHOTS (default: tmp dir).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from server.edge.demo import ACCOUNTS, PASSWORD, seed
from server.edge.http.context import MEDIA
from tests import factory
from tests.conftest import Running, config_for
from tests.web.conftest import assert_accessible, screenshots, sign_in, until, until_equal

pytestmark = pytest.mark.slow

# Every peer connection the page makes, and every WHIP session it opens, kept for the test.
SPY = """
window.__pcs = [];
const NativePeer = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePeer {
  constructor(...args) { super(...args); window.__pcs.push(this); }
};
window.__whip = [];
const nativeFetch = window.fetch.bind(window);
window.fetch = async (...args) => {
  const response = await nativeFetch(...args);
  if (String(args[0]).includes("/whip/") && response.status === 201) {
    window.__whip.push(response.headers.get("Location"));
  }
  return response;
};
"""
LIVE = "document.querySelector('#status').textContent === 'LIVE'"
PINNED = (
    "[...document.querySelectorAll('#lineup li[data-product-id]')]"
    ".map(li => li.dataset.pinned === 'true')"
)


@dataclass
class Studio:
    run: Running
    stream_id: int
    page: Any
    host: str  # the host's token

    def text(self, selector: str) -> Any:
        return self.page.inner_text(selector)


async def login(run: Running, email: str) -> str:
    status, body = await run.call(
        "POST", "/api/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert status == 200, body
    return body["token"]


async def open_studio(start, backend, browser, locale: str = "en-US", query: str = "") -> Studio:
    run = await start(config_for(backend))
    show = await seed(run.app)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=run.url)
    page = await context.new_page()
    await page.add_init_script(SPY)
    await page.goto(f"{run.url}/studio/{show.stream_id}{query}")
    await page.wait_for_selector("dialog[open] #signin-email")
    await assert_accessible(page, "studio: the sign-in dialog")
    await sign_in(page, ACCOUNTS["host"])
    await until(page, "document.querySelector('#preview').videoWidth > 0")
    await until(page, "document.querySelectorAll('#lineup li[data-product-id]').length === 4")
    await assert_accessible(page, "studio: signed in, before going live")
    return Studio(run, show.stream_id, page, await login(run, ACCOUNTS["host"]))


async def viewer_joins(studio: Studio, token: str | None = None) -> tuple[Any, dict]:
    client = await studio.run.sio(token)
    ack = await client.call("join", {"stream_id": studio.stream_id})
    assert ack["ok"], ack
    return client, ack["state"]


async def buy(studio: Studio, token: str, product_id: int) -> dict:
    status, order = await studio.run.call(
        "POST",
        f"/api/streams/{studio.stream_id}/orders",
        token,
        json={"product_id": product_id, "idempotency_key": uuid.uuid4().hex, "pay": True},
    )
    assert status == 201, order
    return order


async def test_devices_preview_go_live_switch_microphone_and_end(
    sqlite_backend, start, browser, tmp_path
) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page = studio.page
    cameras = await page.locator("#camera option").all_inner_texts()
    microphones = await page.locator("#microphone option").all_inner_texts()
    assert cameras and all("fake" in c.lower() for c in cameras), cameras
    assert len(microphones) >= 2 and all("fake" in m.lower() for m in microphones), microphones
    assert await page.get_attribute("label[for=camera]", "for") == "camera"
    assert await page.inner_text("#status") == "Scheduled"

    await page.click("#golive")
    await until(page, LIVE)
    assert await page.is_disabled("#golive")
    await assert_accessible(page, "studio: live")
    status, stream = await studio.run.call("GET", f"/api/streams/{studio.stream_id}")
    assert status == 200 and stream["status"] == "live"

    # Another microphone while live: its track goes on the same sender, no new connection.
    other = await page.eval_on_selector(
        "#microphone", "s => [...s.options].find(o => o.value !== s.value).value"
    )
    await page.select_option("#microphone", other)
    await until(
        page,
        """id => {
          const senders = window.__pcs[0].getSenders();
          const sender = senders.find(s => s.track && s.track.kind === 'audio');
          return sender && sender.track.getSettings().deviceId === id;
        }""",
        arg=other,
    )
    assert await page.evaluate("window.__pcs.length") == 1
    await page.screenshot(path=screenshots(tmp_path) / "studio-live.png")

    await page.click("#end")
    await page.wait_for_selector("#end-dialog[open]")
    await assert_accessible(page, "studio: the end-the-show dialog")
    await page.click("#end-dialog button[value=end]")
    await until(page, "document.querySelector('#status').textContent === 'Ended'")
    assert await page.is_disabled("#golive") and await page.is_disabled("#end")
    await assert_accessible(page, "studio: ended")
    status, stream = await studio.run.call("GET", f"/api/streams/{studio.stream_id}")
    assert status == 200 and stream["status"] == "ended"


async def test_a_dropped_whip_session_reconnects(sqlite_backend, start, browser) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page = studio.page
    await page.click("#golive")
    await until(page, LIVE)
    first = await page.evaluate("window.__whip[0]")
    media = studio.run.app[MEDIA]
    await media.unpublish(str(studio.stream_id), first.rsplit("/", 1)[-1])  # the server loses us

    await until(page, "window.__whip.length === 2", timeout=20_000)
    await until(page, LIVE)
    assert media.is_publishing(str(studio.stream_id))
    assert await page.evaluate("window.__pcs.length") == 2
    status, stream = await studio.run.call("GET", f"/api/streams/{studio.stream_id}")
    assert status == 200 and stream["status"] == "live"  # a reconnect never ends the show


async def pinned_markers(page) -> list[bool]:
    return await page.evaluate(PINNED)


async def test_pin_three_and_a_fourth_unpins_the_oldest(
    sqlite_backend, start, browser, tmp_path
) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page = studio.page
    for n in (1, 2, 3):
        await page.click(f"#lineup li:nth-child({n}) .studio-pin")
        await until_equal(page, PINNED, [True] * n + [False] * (4 - n))
    await until(page, "document.querySelector('#pin-count').textContent.includes('3 of 3')")
    assert await pinned_markers(page) == [True, True, True, False]
    assert "3 of 3 pinned" in await page.inner_text("#pin-count")
    assert await page.inner_text("#lineup li:nth-child(1) .studio-pin-marker") == (
        "Pinned · unpins next"
    )

    await page.focus("#lineup li:nth-child(4) .studio-pin")  # from the keyboard
    await page.keyboard.press("Enter")
    # The room unpins the oldest and pins the fourth in two events: wait for both.
    await until_equal(page, PINNED, [False, True, True, True])
    assert await pinned_markers(page) == [False, True, True, True]
    assert await page.get_attribute("#lineup li:nth-child(4) .studio-pin", "aria-pressed") == "true"
    _, state = await viewer_joins(studio)
    lineup = [p["id"] for p in state["stream"]["lineup"]]
    assert [p["id"] for p in state["pins"]] == lineup[1:]

    await page.click("#lineup li:nth-child(3) .studio-pin")  # one click unpins
    await until_equal(page, PINNED, [False, True, False, True])
    assert await pinned_markers(page) == [False, True, False, True]
    await page.screenshot(path=screenshots(tmp_path) / "studio-pins.png")
    await assert_accessible(page, "studio: two products pinned")


async def test_a_flash_deal_counts_down_sells_and_ends(
    sqlite_backend, start, browser, tmp_path
) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page = studio.page
    item = "#lineup li:nth-child(3)"  # wireless earbuds, USD 49.99
    await page.click(f"{item} summary")
    await page.fill(f"{item} input[inputmode=decimal]", "60")
    await page.click(f"{item} button[type=submit]")
    error = page.locator(f"{item} .studio-form-error")
    await error.wait_for()
    assert await error.inner_text() == "The deal price must be below the regular price."
    await assert_accessible(page, "studio: the deal form with an error")

    await page.fill(f"{item} input[inputmode=decimal]", "39.99")
    await page.select_option(f"{item} select", "60")
    await page.fill(f"{item} input[type=number] >> nth=0", "5")
    await page.click(f"{item} button[type=submit]")
    countdown = page.locator(f"{item} .studio-countdown")
    await countdown.wait_for()
    first = await countdown.inner_text()
    assert re.fullmatch(r"Ends in (1:00|0:[45]\d)", first), first  # a 60-second deal
    await until(
        page,
        f"document.querySelector('{item} .studio-countdown').textContent !== {json.dumps(first)}",
    )
    assert "5 of 5 left" in await page.inner_text(f"{item} .studio-deal")
    assert "$39.99" in await page.inner_text(f"{item} .studio-deal")

    await factory.go_live(studio.run, studio.stream_id)
    ana = await login(studio.run, ACCOUNTS["viewer"])
    product_id = int(await page.get_attribute(item, "data-product-id"))
    order = await buy(studio, ana, product_id)
    assert order["total_minor"] == 3999
    await until(
        page, f"document.querySelector('{item} .studio-deal').textContent.includes('4 of 5 left')"
    )
    await page.screenshot(path=screenshots(tmp_path) / "studio-deal.png")
    await assert_accessible(page, "studio: a flash deal running")

    await page.click(f"{item} .studio-deal button")
    await page.locator(f"{item} summary").wait_for()
    assert await page.locator(f"{item} .studio-deal").count() == 0
    status, deals = await studio.run.call("GET", f"/api/streams/{studio.stream_id}/deals")
    assert status == 200 and deals["deals"] == []


async def test_a_viewers_question_is_queued_and_answered(
    sqlite_backend, start, browser, tmp_path
) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page = studio.page
    ana, _ = await viewer_joins(studio, await login(studio.run, ACCOUNTS["viewer"]))
    markup = "<b>Does it</b> come in blue?"
    ack = await ana.call("send_message", {"text": markup, "question": True})
    assert ack["ok"], ack
    question = page.locator("#questions li")
    await question.wait_for()
    assert await question.locator(".text").inner_text() == markup  # as text, never as HTML
    assert await page.locator("#questions b, #chat b").count() == 0
    assert await page.inner_text("#question-count") == "1 waiting"
    await page.locator("#chat li", has_text="come in blue").wait_for()
    await assert_accessible(page, "studio: a question waiting")

    await question.get_by_role("button", name="Answer").click()
    # The answer's ack, the room's question_answered and message_pinned: wait for all they do.
    await until(
        page,
        "!document.querySelector('#pinned-message').hidden"
        " && document.querySelectorAll('#questions li').length === 0",
    )
    assert await page.inner_text("#pinned-message-text .text") == markup
    assert await page.locator("#questions li").count() == 0
    _, state = await viewer_joins(studio)
    assert state["questions"] == []
    assert state["pinned_message"]["id"] == ack["message"]["id"]
    assert state["pinned_message"]["answered"] is True
    await page.screenshot(path=screenshots(tmp_path) / "studio-questions.png")
    await assert_accessible(page, "studio: an answered question pinned")

    await page.click("#unpin-message")
    await page.wait_for_selector("#pinned-message", state="hidden")


async def test_stats_follow_viewers_and_paid_orders(
    sqlite_backend, start, browser, tmp_path
) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page = studio.page
    await until(page, "document.querySelector('#stat-viewers').textContent === '1'")
    samples = int(await page.get_attribute("#sparkline", "data-samples"))
    assert await page.inner_text("#revenue") == "No sales yet"

    await viewer_joins(studio)
    await until(
        page,
        "document.querySelector('#stat-viewers').textContent === '2'"
        " && document.querySelector('#viewers').textContent === '2 watching'"
        " && document.querySelector('#sparkline').dataset.last === '2'",
    )
    assert await page.get_attribute("#sparkline", "data-last") == "2"
    assert int(await page.get_attribute("#sparkline", "data-samples")) > samples
    assert await page.locator("#sparkline path.spark-line").count() == 1
    assert await page.inner_text("#viewers") == "2 watching"

    await factory.go_live(studio.run, studio.stream_id)
    ana = await login(studio.run, ACCOUNTS["viewer"])
    earbuds = int(await page.get_attribute("#lineup li:nth-child(3)", "data-product-id"))
    await buy(studio, ana, earbuds)
    # The ledger (polled) and stock_changed (an event) each bring part of it: wait for both.
    await until_equal(
        page,
        "['#revenue', '#commission', '#stat-sales', '#stat-live-units']"
        ".map(s => document.querySelector(s).textContent)",
        ["$49.99", "$4.99", "1", "Ordered live: +1"],
    )
    # The shop's default commission is 10 %, rounded down to the cent.
    assert await page.inner_text("#commission") == "$4.99"
    assert await page.inner_text("#stat-sales") == "1"
    assert await page.inner_text("#stat-live-units") == "Ordered live: +1"
    await page.screenshot(path=screenshots(tmp_path) / "studio-stats.png")
    await assert_accessible(page, "studio: stats after a sale")


async def test_the_stream_key_panel_reveals_and_copies_the_key(
    sqlite_backend, start, browser
) -> None:
    studio = await open_studio(start, sqlite_backend, browser)
    page = studio.page
    status, key = await studio.run.call("GET", f"/api/streams/{studio.stream_id}/key", studio.host)
    assert status == 200
    assert key["stream_key"] not in await page.inner_text("#stream-key")  # hidden by default
    assert await page.inner_text("#whip-url") == key["whip_url"]

    await page.click("#key-reveal")
    assert await page.inner_text("#stream-key") == key["stream_key"]
    assert await page.get_attribute("#key-reveal", "aria-pressed") == "true"
    await assert_accessible(page, "studio: the stream key shown")
    await page.click("#copy-key")
    assert await page.evaluate("navigator.clipboard.readText()") == key["stream_key"]
    await page.click("#key-reveal")
    assert key["stream_key"] not in await page.inner_text("#stream-key")


async def test_a_french_studio_speaks_french(sqlite_backend, start, browser, tmp_path) -> None:
    studio = await open_studio(start, sqlite_backend, browser, locale="fr-FR")
    page = studio.page
    assert await page.evaluate("document.documentElement.lang") == "fr"
    assert await page.inner_text("#golive") == "Passer en direct"
    assert await page.inner_text("#lineup-heading") == "Sélection"
    assert await page.inner_text("label[for=camera]") == "Caméra"
    assert await page.inner_text("#key-reveal") == "Afficher la clé"
    dress = "#lineup li:nth-child(4)"
    assert await page.inner_text(f"{dress} .studio-product-title") == "Robe d'été en lin"
    assert "59,90\u00a0€" in await page.inner_text(f"{dress} .price")
    await page.click(f"{dress} summary")
    assert await page.inner_text(f"{dress} button[type=submit]") == "Lancer la vente"
    await page.screenshot(path=screenshots(tmp_path) / "studio-fr.png")
    await assert_accessible(page, "studio: in French, the deal form open")

    await page.select_option("#language", "pl")  # the switcher: Polish, plural forms and all
    await until(page, "document.querySelector('#golive').textContent === 'Rozpocznij transmisję'")
    assert await page.inner_text("#lineup-heading") == "Produkty w transmisji"


async def test_only_the_shows_host_gets_in(sqlite_backend, start, browser) -> None:
    run = await start(config_for(sqlite_backend))
    show = await seed(run.app)
    page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
    await page.goto(f"{run.url}/studio/{show.stream_id}")
    await page.get_by_role("button", name="Cancel").click()  # sign-in cancelled
    await page.wait_for_selector("#gate:not([hidden])")
    assert await page.is_hidden("#studio")
    assert await page.inner_text("#gate-text") == (
        "Sign in with the host's account to open the studio."
    )
    await assert_accessible(page, "studio: the gate, signed out")

    await page.click("#gate-signin")
    await sign_in(page, ACCOUNTS["viewer"])  # signed in, but not as this show's host
    await until(page, "document.querySelector('#gate-text').textContent.includes('another host')")
    assert await page.is_hidden("#studio")
    await assert_accessible(page, "studio: the gate, signed in as a viewer")
    assert await page.evaluate("document.querySelector('#preview').srcObject") is None
