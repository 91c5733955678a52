"""Browser fixtures: Debian's Chromium with its fake camera, driven by Playwright, and the
helpers every page test shares. Screenshots go to $SHOPCAST_SCREENSHOTS (default: tmp dir)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.demo import PASSWORD
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/lib/chromium/chromium")
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


@pytest.fixture
async def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        await browser.close()


async def sign_in(page, email: str) -> None:
    await page.fill("#signin-email", email)
    await page.fill("#signin-password", PASSWORD)
    await page.click("dialog form:first-of-type button[type=submit]")


def screenshots(tmp_path: Path) -> Path:
    """Where a test saves its screenshots (CI keeps $SHOPCAST_SCREENSHOTS as artifacts)."""
    shots = Path(os.environ.get("SHOPCAST_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    return shots
