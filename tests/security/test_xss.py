"""Script payloads in everything people type that others see — chat lines, questions, held
messages, display names, show titles, product titles and descriptions, shop names — rendered
on every page that shows them (/, /watch, /studio, /moderate, /seller) in Chromium. Each
payload calls a trap the test defines before the page's own scripts; the test fails if any
payload runs (a dialog too), and the payloads must show as plain text.

The pages run with their Content-Security-Policy bypassed here: rendering must be safe on its
own, the policy (tests/web/test_csp.py) is the second wall, not the first. Coupon codes and
image URLs are refused at the door when they carry markup or a `javascript:` URL.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import factory
from tests.conftest import Running
from tests.security.world import config, key
from tests.web.conftest import screenshots, sign_in_context, until

pytestmark = pytest.mark.slow

# Payloads call __xss: it tells the test (a binding) and keeps the call in the page.
TRAP = "window.__xssSeen = []; window.__xss = (n) => { __xssSeen.push(n); __xssHit(n); };"


def payloads(field: str) -> list[str]:
    """Short markup (display names take 40 characters) that calls the trap with its field."""
    return [
        f"<img src=x onerror=__xss('{field}')>",
        f"<script>__xss('{field}')</script>",
        f"\"><svg onload=__xss('{field}')>",
        f"javascript:__xss('{field}')",
    ]


def one(field: str, i: int = 0) -> str:
    return payloads(field)[i]


async def register(run: Running, role: str, name: str, admin: str | None = None) -> str:
    body = {
        "email": f"x{key()}@example.test",
        "password": "correct horse",
        "display_name": name,
        "role": role,
    }
    status, answer = await run.call("POST", "/api/accounts", admin, json=body)
    assert status == 201, answer
    return str(answer["token"])


async def said(client: Any, text: str, question: bool = False) -> dict:
    ack = await client.call("send_message", {"text": text, "question": question}, timeout=10)
    assert ack["ok"], ack
    return ack


async def world(run: Running) -> dict[str, Any]:
    """A show whose every typed text is a payload; the tokens of who looks at each page."""
    seller = await register(run, "seller", one("seller_name", 2))
    status, body = await run.call(
        "POST", "/api/sellers", seller, json={"name": one("shop_name"), "country": "PL"}
    )
    assert status == 201, body
    product = {
        "title": one("product_title", 0),
        "description": " ".join(payloads("product_description")),
        "price_minor": 1999,
        "currency": "EUR",
        "stock": 50,
    }
    status, body = await run.call("POST", "/api/products", seller, json=product)
    assert status == 201, body
    product_id = body["id"]
    bad_image = await run.call(
        "PATCH", f"/api/products/{product_id}", seller, json={"image_url": one("image_url", 3)}
    )
    assert bad_image[0] == 400, bad_image

    host = await register(run, "host", one("host_name", 0))
    status, body = await run.call(
        "POST",
        "/api/streams",
        host,
        json={"title": one("show_title", 2), "product_ids": [product_id]},
    )
    assert status == 201, body
    stream_id = body["id"]
    await factory.go_live(run, stream_id)
    bad_code = await run.call(
        "POST",
        "/api/coupons",
        host,
        json={"code": one("coupon"), "percent_bp": 1000, "stream_id": stream_id},
    )
    assert (bad_code[0], bad_code[1]["error"]["code"]) == (400, "bad_coupon_code"), bad_code

    host_socket = await run.sio(host)
    assert (await host_socket.call("join", {"stream_id": stream_id}, timeout=10))["ok"]
    assert (await host_socket.call("pin_product", {"product_id": product_id}, timeout=10))["ok"]
    hold = {"term": "zorp", "action": "hold"}
    assert (await host_socket.call("add_word", hold, timeout=10))["ok"]

    viewer = await register(run, "viewer", one("viewer_name", 2))
    status, guest = await run.call(
        "POST", "/api/auth/guest", json={"display_name": one("guest_name", 0)}
    )
    assert status == 200, guest
    for token, field in ((viewer, "viewer_chat"), (guest["token"], "guest_chat")):
        client = await run.sio(token)
        assert (await client.call("join", {"stream_id": stream_id}, timeout=10))["ok"]
        for text in payloads(field):
            await said(client, text)
    chatter = run.clients[-1]
    await said(chatter, one("question", 0), question=True)
    held = await said(chatter, "zorp " + one("held", 0))
    assert held.get("held"), held
    buy = {"product_id": product_id, "quantity": 1, "idempotency_key": key(), "pay": True}
    status, order = await run.call("POST", f"/api/streams/{stream_id}/orders", viewer, json=buy)
    assert status == 201, order

    admin = await factory.admin_token(run)
    moderator = await register(run, "moderator", "Mod", admin=admin)
    return {
        "stream_id": stream_id,
        "tokens": {"seller": seller, "host": host, "viewer": viewer, "moderator": moderator},
    }


# The payload of each field the pages must show as typed (one of several sent for chat lines).
TEXTS = {
    "show_title": one("show_title", 2),
    "viewer_chat": one("viewer_chat", 0),
    "guest_chat": one("guest_chat", 1),
    "guest_name": one("guest_name", 0),
    "viewer_name": one("viewer_name", 2),
    "product_title": one("product_title", 0),
    "question": one("question", 0),
    "held": one("held", 0),
    "shop_name": one("shop_name", 0),
}
# page, who looks at it, and the fields whose payloads it must show as text
PAGES = [
    ("/", None, ["show_title"]),
    ("/watch/{id}", "viewer", ["viewer_chat", "guest_chat", "guest_name", "product_title"]),
    ("/studio/{id}", "host", ["viewer_chat", "question", "product_title", "show_title"]),
    ("/moderate/{id}", "moderator", ["viewer_chat", "guest_chat", "held", "viewer_name"]),
    ("/seller", "seller", ["shop_name", "product_title"]),
]


PROBE = "document.body.insertAdjacentHTML('beforeend', `<img src=x onerror=__xss('probe')>`)"


async def test_no_payload_runs_on_any_page(sqlite_backend, start, browser, tmp_path) -> None:
    run = await start(config(sqlite_backend))
    made = await world(run)
    shots = screenshots(tmp_path)
    for path, who, shown in PAGES:
        page, hits = await visit(browser, run, made, path.format(id=made["stream_id"]), who, shown)
        await page.screenshot(path=shots / f"xss{path.split('/')[1] or 'index'}.png")
        assert hits == [], path
        # The trap is live: markup that does become an element is caught.
        await page.evaluate(PROBE)
        await until(page, "window.__xssSeen.includes('probe')")
        await page.context.close()


async def visit(
    browser: Any, run: Running, made: dict[str, Any], path: str, who: str | None, shown: list[str]
) -> tuple[Any, list[str]]:
    """Open the page as `who`; once the fields' payloads show as text, what ran of them."""
    hits: list[str] = []
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    await context.expose_binding("__xssHit", lambda _source, field: hits.append(str(field)))
    await context.add_init_script(TRAP)
    if who is not None:
        token = made["tokens"][who]
        _, me = await run.call("GET", "/api/me", token)
        await sign_in_context(context, run.url, token, me)
    page = await context.new_page()
    page.on("dialog", lambda dialog: hits.append(f"dialog: {dialog.message}"))
    await page.goto(run.url + path)
    texts = [TEXTS[field] for field in shown]
    await until(page, "(texts) => texts.every((t) => document.body.innerText.includes(t))", texts)
    await page.wait_for_load_state("networkidle")
    hits += [f"ran: {field}" for field in await page.evaluate("window.__xssSeen")]
    injected = "document.querySelector('img[src=x], svg[onload], script:not([src])')"
    if await page.evaluate(f"() => !!{injected}"):
        hits.append(f"markup became elements: {await page.evaluate(f'() => {injected}.outerHTML')}")
    return page, hits
