"""Every door reads a bounded body and answers a larger one `413 payload_too_large`, over real
HTTP, a real Socket.IO client and raw long-polling (docs/protocol.md, "Size limits")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from chat.config import ChatConfig
from server.edge.http.limits import MAX_REQUEST_BYTES, MAX_SDP_BYTES, MAX_SIGN_IN_BYTES
from tests import factory, peers
from tests.conftest import config_for

ROOT = Path(__file__).resolve().parents[3]


async def pieces(*parts: bytes, pause_s: float = 0.2) -> AsyncIterator[bytes]:
    """A chunked body that arrives in parts, as a slow phone's would."""
    for i, part in enumerate(parts):
        if i:
            await asyncio.sleep(pause_s)
        yield part


async def post(run: Any, path: str, data: Any, **headers: str) -> tuple[int, Any]:
    async with run.http.post(run.url + path, data=data, headers=headers) as resp:
        text = await resp.text()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text


def refused(answer: tuple[int, Any]) -> bool:
    status, body = answer
    return status == 413 and body["error"]["code"] == "payload_too_large"


@pytest.fixture
async def run(sqlite_backend, start):
    return await start(config_for(sqlite_backend))


async def test_json_bodies_past_the_limit(run) -> None:
    seller = await factory.account(run, "seller")
    big = json.dumps({"name": "x" * MAX_REQUEST_BYTES, "country": "PL"}).encode()
    bearer = {"Authorization": f"Bearer {seller}", "Content-Type": "application/json"}
    assert refused(await post(run, "/api/sellers", big, **bearer))
    # Without a declared length (chunked), reading stops where the limit is passed.
    half = len(big) // 2
    assert refused(await post(run, "/api/sellers", pieces(big[:half], big[half:]), **bearer))
    # Just under it is read, and answered on its merits.
    status, body = await post(run, "/api/sellers", b" " * (MAX_REQUEST_BYTES - 2) + b"{}", **bearer)
    assert status == 400 and body["error"]["code"] != "payload_too_large"


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/guest", "/api/accounts"])
async def test_the_sign_in_doors_take_little(run, path) -> None:
    body = json.dumps({"display_name": "x" * MAX_SIGN_IN_BYTES}).encode()
    assert refused(await post(run, path, body, **{"Content-Type": "application/json"}))
    assert refused(await post(run, path, pieces(body[:100], body[100:])))


async def test_sdp_offers_past_the_limit(run) -> None:
    show = await factory.show(run)
    pc, offer = await peers.publisher_offer()
    padded = offer + "a=x-padding:" + "x" * MAX_SDP_BYTES + "\r\n"
    key = {"Authorization": f"Bearer {show.stream_key}", "Content-Type": "application/sdp"}
    assert refused(await post(run, f"/whip/{show.stream_id}", padded, **key))
    chunked = pieces(padded.encode()[:1000], padded.encode()[1000:])
    assert refused(await post(run, f"/whip/{show.stream_id}", chunked, **key))
    sdp = {"Content-Type": "application/sdp"}
    assert refused(await post(run, f"/whep/{show.stream_id}", padded, **sdp))
    await pc.close()


async def test_an_offer_that_arrives_in_pieces_is_read_whole(run) -> None:
    """Regression: the offer was read with one `content.read(n)`, which returns what has
    arrived so far; an offer in two TCP segments was cut at the first and refused bad_sdp."""
    show = await factory.show(run)
    pc, offer = await peers.publisher_offer()
    raw = offer.encode()
    key = {"Authorization": f"Bearer {show.stream_key}", "Content-Type": "application/sdp"}
    status, answer = await post(run, f"/whip/{show.stream_id}", pieces(raw[:300], raw[300:]), **key)
    assert status == 201, answer
    await peers.accept(pc, answer)
    await pc.close()


async def polling_session(run: Any) -> str:
    async with run.http.get(f"{run.url}/socket.io/?EIO=4&transport=polling") as resp:
        opened = await resp.text()
    assert opened.startswith("0{")
    return json.loads(opened[1:])["sid"]


async def test_long_polling_posts_past_the_limit(run) -> None:
    limit = ChatConfig().max_payload_bytes
    sid = await polling_session(run)
    path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    event = '42["send_message",{"text":"' + "x" * limit + '"}]'
    assert refused(await post(run, path, event.encode(), **{"Content-Type": "text/plain"}))
    # The session is still there: a frame within the limit is taken.
    assert await post(run, path, b"40", **{"Content-Type": "text/plain"}) == (200, "OK")


async def test_a_websocket_message_past_the_limit_closes_the_socket(run) -> None:
    """aiohttp closes a WebSocket whose message passes max_msg_size (1009, message too big)."""
    limit = ChatConfig().max_payload_bytes
    client = socketio.AsyncClient(reconnection=False)
    gone = asyncio.Event()
    client.on("disconnect", lambda *_: gone.set())
    await client.connect(run.url, transports=["websocket"])
    run.clients.append(client)
    assert (await client.call("join", {"stream_id": 1}))["ok"] is False  # it answers
    await client.emit("send_message", {"text": "x" * limit})
    await asyncio.wait_for(gone.wait(), 10)
    assert not client.connected


async def test_a_raw_websocket_frame_past_the_limit_is_refused(run) -> None:
    limit = ChatConfig().max_payload_bytes
    async with aiohttp.ClientSession() as http:
        url = f"{run.url}/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(url) as ws:
            assert (await ws.receive_str()).startswith("0")
            await ws.send_str("40")
            assert (await ws.receive_str()).startswith("40")
            await ws.send_str('42["like",' + json.dumps("x" * limit) + "]")
            closed = await ws.receive()
            while closed.type == aiohttp.WSMsgType.TEXT:  # a ping may come first
                closed = await ws.receive()
            assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 1009


async def test_webhooks_past_the_limit(run) -> None:
    status, config = await run.call("GET", "/api/payments/config")
    gateway = config["provider"] if status == 200 else "test"
    big = b"{" + b" " * (64 * 1024) + b"}"
    assert refused(await post(run, f"/api/payments/{gateway}/webhook", big))
    assert refused(await post(run, f"/api/payments/{gateway}/webhook", pieces(big[:10], big[10:])))


def test_no_door_reads_the_raw_stream() -> None:
    """`request.content` has no bound of its own (and one read() may return part of a body):
    every door reads through aiohttp's bounded read() or server/edge/http/limits.py."""
    for source in (ROOT / "server").rglob("*.py"):
        if source.name == "limits.py":
            continue
        assert "request.content." not in source.read_text(), source
