"""The pages' room connection (web/static/js/room.js, on the official socket.io-client): a
burst of chat that the server sends as `batch` frames reaches the page line by line, in order,
over the WebSocket the client upgrades to after its long-polling start."""

from __future__ import annotations

import asyncio
import json

from tests import factory
from tests.conftest import config_for
from tests.web.conftest import until
from tests.web.test_watch import PHONE, demo_show, host_room

BURST = [f"line {n}" for n in range(5)]  # the chat's per-person burst allows five at once


async def test_a_burst_in_batch_frames_reaches_the_page_in_order(
    sqlite_backend, start, browser
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await demo_show(run)
    await factory.go_live(run, show.stream_id)
    host = await host_room(show)
    frames: list[str] = []  # every Engine.IO payload the page got, polled or over WebSocket
    upgraded = asyncio.Event()
    errors: list[str] = []

    async def polled(response) -> None:  # type: ignore[no-untyped-def]
        if "/socket.io/" in response.url and response.request.method == "GET":
            frames.extend((await response.text()).split("\x1e"))

    def watch(ws) -> None:  # type: ignore[no-untyped-def]
        ws.on("framereceived", lambda payload: frames.append(str(payload)))
        ws.on("framesent", lambda payload: upgraded.set() if payload == "5" else None)

    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", polled)
    page.on("websocket", watch)
    await page.goto(show.url)
    await asyncio.wait_for(upgraded.wait(), 20)  # Engine.IO's upgrade packet: on WebSocket now
    # The page's first emit is its join (ack id 0): wait for the answer, so the burst is live.
    for _ in range(100):
        if any(f.startswith('430[{"ok":true') for f in frames):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the page never joined: {frames}")

    sent = await asyncio.gather(*(host.call("send_message", {"text": t}) for t in BURST))
    assert all(ack["ok"] for ack in sent), sent
    shown = await until(
        page,
        """(n) => {
            const lines = [...document.querySelectorAll('#chat .chat-line')].map((line) =>
                [Number(line.dataset.id), line.querySelector('.text').textContent]);
            return lines.length >= n && lines;
        }""",
        len(BURST),
    )
    assert sorted(text for _, text in shown) == BURST, frames
    assert [i for i, _ in shown] == sorted(ack["message"]["id"] for ack in sent)  # in order
    batches = [json.loads(f[2:]) for f in frames if f.startswith('42["batch"')]
    assert any(name == "chat_message" for _, items in batches for name, _ in items), frames
    assert errors == []
