"""The pages under their Content-Security-Policy in Chromium: an injected inline script or
style attribute is refused, and the browser fixture's spy catches it (which is what makes every
other page test fail on a violation)."""

from __future__ import annotations

from tests.conftest import config_for
from tests.web.conftest import assert_accessible, until

INJECT = """() => {
  window.seen = new Set();
  addEventListener("securitypolicyviolation", (e) => window.seen.add(e.effectiveDirective));
  const script = document.createElement("script");
  script.textContent = "window.ran = true";
  document.head.append(script);
  document.body.setAttribute("style", "background: red");
  const handler = document.createElement("img");
  handler.setAttribute("onerror", "window.ran = true");
  handler.src = "data:,nope";
  document.body.append(handler);
}"""


async def test_the_policy_refuses_inline_script_and_the_spy_sees_it(
    sqlite_backend, start, browser
) -> None:
    run = await start(config_for(sqlite_backend))
    page = await (await browser.new_context()).new_page()
    await page.goto(run.url + "/")
    await page.wait_for_selector("#shows li")
    assert browser.violations == []  # the page itself needs nothing the policy refuses
    await assert_accessible(page, "home: the shows")
    await page.evaluate(INJECT)
    await until(page, "window.seen.size >= 3")
    assert await page.evaluate("window.ran === undefined")
    assert (
        await page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    )
    seen = "\n".join(browser.violations)
    assert "script-src-elem" in seen and "style-src-attr" in seen and "script-src-attr" in seen
    browser.violations.clear()  # seen on purpose: the fixture must not fail this test


async def test_the_session_cookie_is_out_of_scripts_reach(sqlite_backend, start, browser) -> None:
    run = await start(config_for(sqlite_backend))
    page = await (await browser.new_context()).new_page()
    await page.goto(run.url + "/")
    answer = await page.evaluate(
        """async () => {
            const { continueAsGuest, session } = await import("/static/js/api.js");
            const user = await continueAsGuest("Cookie Cat");
            const me = await (await fetch("/api/me")).json();
            return { user, me, cookie: document.cookie, kept: JSON.stringify(localStorage),
                     signedIn: session.signedIn };
        }"""
    )
    assert answer["me"]["display_name"] == "Cookie Cat" and answer["signedIn"]
    assert "shopcast_session" not in answer["cookie"] and "shopcast_csrf=" in answer["cookie"]
    assert "token" not in answer["kept"] and "Cookie Cat" in answer["kept"]
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert (
        cookies["shopcast_session"]["httpOnly"]
        and cookies["shopcast_session"]["sameSite"] == "Strict"
    )
    signed_out = """async () => {
        const { session } = await import("/static/js/api.js");
        await session.clear();
    }"""
    await page.evaluate(signed_out)
    assert "shopcast_session" not in {c["name"] for c in await page.context.cookies()}
    status = await page.evaluate("async () => (await fetch('/api/me')).status")
    assert status == 401
