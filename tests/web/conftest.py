"""Browser fixtures: Debian's Chromium with its fake camera, driven by Playwright, and the
helpers every page test shares. Screenshots go to $SHOPCAST_SCREENSHOTS (default: tmp dir).

Every page a test opens is watched for Content-Security-Policy violations (the
`securitypolicyviolation` event and Chromium's console reports): a test whose pages met one
fails, so the pages keep working under the policy server/edge/http/security.py sends.

`assert_accessible(page, state)` runs axe-core (from npm, pinned in tests/js/package-lock.json)
in the page as it is at that moment: a test calls it at each state its page reaches, and any
`serious` or `critical` violation fails the test."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from server.core.auth import SESSION_COOKIE
from server.edge.demo import PASSWORD
from server.edge.http.security import CSRF_COOKIE
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/lib/chromium/chromium")
JS = Path(__file__).resolve().parent.parent / "js"
AXE = JS / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(autouse=True)
def _fresh_mdns_state():
    """aioice keeps its mDNS resolver and the lock guarding it per thread, bound to the first
    event loop that used them. Chromium names its host candidates with mDNS, and each test runs
    its own loop: without this, a second test that publishes from the browser meets a lock of a
    closed loop ("bound to a different event loop"). Each test starts afresh."""
    from aioice import ice

    state = getattr(ice, "_mdns", None)  # aioice 0.13 (under aiortc==1.16.0)
    if state is not None:
        state.__dict__.clear()
    yield
    if state is not None:
        state.__dict__.clear()


# Runs in every page before its own scripts: reports each violation to the test.
CSP_SPY = """
window.addEventListener("securitypolicyviolation", (e) => {
  window.__shopcastCsp(`${e.effectiveDirective} refused ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
}, true);
"""


class CheckedBrowser:
    """The Playwright browser, whose every context reports CSP violations to `violations`."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    async def new_context(self, **options: Any) -> Any:
        context = await self._browser.new_context(**options)
        await context.expose_binding("__shopcastCsp", self._report)
        await context.add_init_script(CSP_SPY)
        context.on("console", self._console)
        return context

    async def new_page(self, **options: Any) -> Any:
        return await (await self.new_context(**options)).new_page()

    def _report(self, source: dict, violation: str) -> None:
        self.violations.append(f"{source['frame'].url}: {violation}")

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url')}: {message.text}")


@cache
def axe_source() -> str:
    """axe-core's script, installed from tests/js's lockfile (`npm ci`) when it is missing."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install axe-core (tests/js/package-lock.json)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS, check=True, timeout=300, capture_output=True,
        )  # fmt: skip
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
async def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    if shutil.which("npm") is None and not AXE.is_file():
        if IN_CI:
            pytest.fail("npm is needed for the accessibility checks (axe-core, tests/js)")
        pytest.skip("npm is not installed: axe-core cannot be installed")
    axe_source()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        checked = CheckedBrowser(browser)
        yield checked
        await browser.close()
    assert not checked.violations, "the pages broke their Content-Security-Policy:\n" + (
        "\n".join(checked.violations)
    )


async def until(page: Any, expression: str, arg: Any = None, timeout: float = 30_000) -> Any:
    """Wait until `expression` (or the function `expression` called with `arg`) is truthy in the
    page, and return its value. Playwright's wait_for_function evals its predicate inside the
    page, which the pages' policy rightly refuses (no 'unsafe-eval'); `evaluate` runs through
    the DevTools protocol, outside the policy, so poll with that."""
    from playwright.async_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            value = await (
                page.evaluate(expression) if arg is None else page.evaluate(expression, arg)
            )
        except PlaywrightError as exc:  # a navigation replaced the page's context: ask again
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout:.0f} ms: {expression}")
        await asyncio.sleep(0.1)


# axe-core's rules, run on the whole document; what it finds is shortened to what a reader needs.
AXE_RUN = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => [n.target.join(" "), n.failureSummary]),
    }));
}"""


async def assert_accessible(page: Any, state: str) -> None:
    """No serious or critical axe-core violation on `page` as it is now (`state` names it in
    the failure). axe goes in through the DevTools protocol, like `until`'s polls, so the page's
    own policy stays as the server sends it."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    violations = await page.evaluate(AXE_RUN)
    found = [
        f"{v['impact']} {v['id']}: {v['help']}"
        + "".join(f"\n    {target}\n      {summary}" for target, summary in v["nodes"])
        for v in violations
    ]
    assert not found, f"{state} ({page.url}) has accessibility violations:\n" + "\n".join(found)


async def until_equal(page: Any, expression: str, expected: Any, timeout: float = 30_000) -> Any:
    """Wait until `expression`'s value in the page equals `expected` (compared in Python), and
    return it. For a state that several events build (an unpin and a pin, a sale and its
    ledger): waiting for one of them and asserting all of them is a race."""
    deadline = time.monotonic() + timeout / 1000
    while (value := await page.evaluate(expression)) != expected:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{expression} is {value!r}, not {expected!r}, after {timeout:.0f} ms"
            )
        await asyncio.sleep(0.1)
    return value


async def sign_in_context(context: Any, url: str, token: str, user: dict) -> None:
    """Sign a browser context in the way the pages end up after a sign-in: the session and
    CSRF cookies the server sets, and who it is in localStorage (web/static/js/api.js)."""
    cookies = {SESSION_COOKIE: token, CSRF_COOKIE: secrets.token_urlsafe(32)}
    await context.add_cookies(
        [
            {"name": name, "value": value, "url": url, "sameSite": "Strict"}
            | ({"httpOnly": True} if name == SESSION_COOKIE else {})
            for name, value in cookies.items()
        ]
    )
    kept = {"user": user, "until": int((time.time() + 3600) * 1000)}
    await context.add_init_script(
        f"localStorage.setItem('shopcast.user', {json.dumps(json.dumps(kept))});"
    )


async def sign_in(page, email: str) -> None:
    await page.fill("#signin-email", email)
    await page.fill("#signin-password", PASSWORD)
    await page.click("dialog form:first-of-type button[type=submit]")


def screenshots(tmp_path: Path) -> Path:
    """Where a test saves its screenshots (CI keeps $SHOPCAST_SCREENSHOTS as artifacts)."""
    shots = Path(os.environ.get("SHOPCAST_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    return shots
