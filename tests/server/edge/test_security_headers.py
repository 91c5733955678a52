"""Headers every answer carries, and the pages' Content-Security-Policy: exact, and matched by
pages that need nothing it forbids (no inline script, no handlers or styles in attributes)."""

from __future__ import annotations

import re

import aiohttp
import pytest

from server.core.config import STRIPE_ORIGINS
from server.edge.http.security import NOT_A_PAGE_POLICY, page_policy
from tests.conftest import config_for
from web import STATIC_DIR

EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
PAGES = ["/", "/seller", "/watch/1", "/studio/1", "/moderate/1", "/static/watch.html"]


def expected_page_policy(host: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: https: http:; media-src 'self' blob:; "
        f"connect-src 'self' ws://{host} wss://{host}; frame-src 'none'; worker-src 'none'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@pytest.mark.parametrize("path", PAGES)
async def test_pages_carry_the_policy(sqlite_backend, start, path) -> None:
    run = await start(config_for(sqlite_backend))
    async with run.http.get(run.url + path) as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        host = f"127.0.0.1:{run.server.port}"
        assert resp.headers["Content-Security-Policy"] == expected_page_policy(host)
        for name, value in EVERY_ANSWER.items():
            assert resp.headers[name] == value


async def test_a_revalidated_page_keeps_its_policy(sqlite_backend, start) -> None:
    """Regression: a reload answered 304 carried the non-page policy, which Chromium merged
    into the stored page: the reloaded studio could load none of its own files."""
    run = await start(config_for(sqlite_backend))
    async with run.http.get(run.url + "/studio/1") as resp:
        stored = resp.headers["Last-Modified"]
    headers = {"If-Modified-Since": stored}
    async with run.http.get(run.url + "/studio/1", headers=headers) as resp:
        assert resp.status == 304
        assert "Content-Security-Policy" not in resp.headers
        assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/streams", 200),
        ("GET", "/api/nowhere", 404),
        ("POST", "/api/auth/login", 400),
        ("GET", "/static/js/api.js", 200),
        ("GET", "/static/favicon.svg", 200),
        ("GET", "/metrics", 200),
        ("GET", "/socket.io/?EIO=4&transport=polling", 200),
        ("OPTIONS", "/whep/1", 204),
    ],
)
async def test_every_answer_carries_the_headers(sqlite_backend, start, method, path, status):
    run = await start(config_for(sqlite_backend))
    async with run.http.request(method, run.url + path, data=b"{") as resp:
        assert resp.status == status
        for name, value in EVERY_ANSWER.items():
            assert resp.headers[name] == value
        assert resp.headers["Content-Security-Policy"] == NOT_A_PAGE_POLICY


async def test_the_websocket_upgrade_carries_them(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{run.url}/socket.io/?EIO=4&transport=websocket") as ws:
            assert (await ws.receive_str()).startswith("0{")
            headers = ws._response.headers
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["X-Frame-Options"] == "DENY"


async def test_a_forged_host_header_never_reaches_the_policy(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    headers = {"Host": "evil.test; script-src *"}
    async with run.http.get(run.url + "/", headers=headers) as resp:
        policy = resp.headers["Content-Security-Policy"]
    assert "evil" not in policy and "script-src 'self';" in policy


def test_payment_origins_may_load_scripts_frames_and_calls() -> None:
    policy = dict(
        directive.split(" ", 1)
        for directive in page_policy(STRIPE_ORIGINS, "shop.test").split("; ")
    )
    stripe = " ".join(STRIPE_ORIGINS)
    assert policy["script-src"] == f"'self' {stripe}"
    assert policy["frame-src"] == stripe
    assert policy["connect-src"] == f"'self' ws://shop.test wss://shop.test {stripe}"
    assert policy["style-src"] == "'self'"  # Stripe.js styles its frames itself
    assert "unsafe" not in page_policy(STRIPE_ORIGINS, "shop.test")


def test_the_pages_need_no_inline_script_or_style() -> None:
    """What the policy would refuse, the pages never do: checked in the source, and by the
    browser tests (tests/web/conftest.py fails any page that meets a violation)."""
    for html in STATIC_DIR.glob("*.html"):
        text = html.read_text()
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S):
            assert not script.strip(), f"{html.name}: inline script"
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", text), html.name
    for js in (STATIC_DIR / "js").glob("*.js"):
        text = js.read_text()
        # el()'s `style: "flex:1"` is a style attribute; Intl's `style: "unit"` is not.
        inline_style = r"\bstyle:\s*\"[^\"]*:"
        for pattern in (inline_style, r"setAttribute\(\"style", r"\beval\(", r"new Function"):
            assert not re.search(pattern, text), f"{js.name}: {pattern}"
        assert not re.search(r"innerHTML\s*=|insertAdjacentHTML|document\.write", text), js.name
