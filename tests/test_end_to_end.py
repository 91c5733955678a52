"""The whole slice: a host goes live over WHIP, two viewers watch over WHEP and decode the
picture, chat, the host pins a product, a viewer buys it and everyone sees the stock move."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests import factory, peers
from tests.chat.test_room import joined

pytestmark = pytest.mark.slow


async def whip(run, stream_id: int, key: str, sdp: str) -> tuple[int, str, dict]:
    async with run.http.post(
        f"{run.url}/whip/{stream_id}",
        data=sdp,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"},
    ) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def whep(run, stream_id: int, sdp: str) -> tuple[int, str, dict]:
    async with run.http.post(
        f"{run.url}/whep/{stream_id}", data=sdp, headers={"Content-Type": "application/sdp"}
    ) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def first_frames(frames: asyncio.Queue, count: int, timeout: float = 15.0) -> list:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        got.append(await asyncio.wait_for(frames.get(), deadline - time.monotonic()))
    return got


async def test_host_goes_live_viewers_watch_chat_and_buy(running) -> None:
    show = await factory.show(running, stocks=(2, 5))
    host_pc, offer = await peers.publisher_offer()
    status, answer, headers = await whip(running, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    assert headers["Content-Type"].startswith("application/sdp")
    assert headers["Location"].startswith(f"/whip/{show.stream_id}/")
    await peers.accept(host_pc, answer)
    _, stream = await running.call("GET", f"/api/streams/{show.stream_id}")
    assert stream["status"] == "live"

    viewers = []
    for _ in range(2):
        pc, frames = await peers.viewer_offer()
        status, answer, _ = await whep(running, show.stream_id, pc.localDescription.sdp)
        assert status == 201, answer
        await peers.accept(pc, answer)
        viewers.append((pc, frames))
    for _, frames in viewers:
        decoded = await first_frames(frames, 5)
        assert (decoded[-1].width, decoded[-1].height) == (320, 240)
        r, g, b = peers.mean_rgb(decoded[-1])
        assert abs(r - 40) < 25 and abs(g - 200) < 25 and abs(b - 90) < 25, (r, g, b)

    ana, ana_events, _ = await joined(
        running, show.viewer, show.stream_id, "chat_message", "product_pinned", "order_confirmed"
    )
    bo, bo_events, _ = await joined(
        running, show.viewer2, show.stream_id, "chat_message", "stock_changed"
    )
    host, _, _ = await joined(running, show.host, show.stream_id)
    assert (await ana.call("send_message", {"text": "is the dress linen?"}))["ok"]
    assert (await bo_events.next("chat_message"))["text"] == "is the dress linen?"
    said = await bo.call("send_message", {"text": "oui, en lin !", "language": "fr"})
    assert said["ok"] and said["message"]["language"] == "fr"
    assert said["message"]["offset_ms"] >= 0  # placed on the show's timeline for replays
    assert (await ana_events.next("chat_message"))["text"] == "is the dress linen?"
    assert (await ana_events.next("chat_message"))["text"] == "oui, en lin !"

    assert (await host.call("pin_product", {"product_id": show.product_ids[0]}))["ok"]
    pinned = (await ana_events.next("product_pinned"))["product"]
    ack = await ana.call(
        "buy", {"product_id": pinned["id"], "quantity": 1, "idempotency_key": "e2e-buy-0001"}
    )
    assert ack["ok"] and ack["order"]["total_minor"] == pinned["price_minor"]
    assert (await ana_events.next("order_confirmed"))["order"]["id"] == ack["order"]["id"]
    assert await bo_events.next("stock_changed") == {"product_id": pinned["id"], "stock": 1}

    # The host ends the show over WHIP: the stream is over and purchases close.
    whip_session = running.url + headers["Location"]
    async with running.http.delete(whip_session) as resp:
        assert resp.status == 401
    async with running.http.delete(
        whip_session, headers={"Authorization": f"Bearer {show.stream_key}"}
    ) as resp:
        assert resp.status == 200
    _, stream = await running.call("GET", f"/api/streams/{show.stream_id}")
    assert stream["status"] == "ended"
    ack = await bo.call(
        "buy", {"product_id": pinned["id"], "quantity": 1, "idempotency_key": "e2e-buy-0002"}
    )
    assert ack["error"]["code"] == "not_live"
    pc, _ = await peers.viewer_offer()
    status, body, _ = await whep(running, show.stream_id, pc.localDescription.sdp)
    assert status == 409 and "ended" in body
    await pc.close()
    for client in (ana, bo, host):
        await client.disconnect()
    for pc, _ in viewers:
        await pc.close()
    await host_pc.close()
