"""Room frames built once (chat/fanout.py): the bytes on the wire, who takes the direct write,
and that it never reorders a socket's events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from aiohttp import WSMsgType
from aiohttp._websocket.writer import WebSocketWriter

from chat.fanout import FanoutManager, text_frame
from server.edge.http.context import SOCKETS
from tests import factory
from tests.chat.test_room import Listener, joined
from tests.conftest import config_for


class _Wire:
    """A transport that keeps what is written: what aiohttp's own writer frames, for comparison."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def is_closing(self) -> bool:
        return False


class _Protocol:
    _paused = False


@pytest.mark.parametrize("size", [0, 1, 125, 126, 4_000, 65_535, 65_536, 200_000])
async def test_text_frame_is_the_frame_aiohttp_writes(size: int) -> None:
    payload = bytes(ord("a") + n % 26 for n in range(size))
    wire = _Wire()
    writer = WebSocketWriter(_Protocol(), wire, use_mask=False, compress=0)  # type: ignore[arg-type]
    await writer.send_frame(payload, WSMsgType.TEXT)
    assert text_frame(payload) == bytes(wire.data)


def _manager(run: Any) -> FanoutManager:
    manager = run.app[SOCKETS].manager
    assert isinstance(manager, FanoutManager)
    return manager


async def test_websocket_viewers_get_the_direct_write_and_polling_ones_the_queue(
    sqlite_backend: Any, start: Any
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    sender, on_sender, _ = await joined(run, show.viewer, show.stream_id, "chat_message")
    polling = socketio.AsyncClient(reconnection=False)
    await polling.connect(run.url, transports=["polling"])
    on_polling = Listener(polling, "chat_message")
    assert (await polling.call("join", {"stream_id": show.stream_id}))["ok"]
    manager = _manager(run)
    direct, queued = manager.frames_direct, manager.frames_queued

    ack = await sender.call("send_message", {"text": "one frame, two paths"})
    assert ack["ok"]
    for events in (on_sender, on_polling):
        assert (await events.next("chat_message"))["text"] == "one frame, two paths"
    assert manager.frames_direct > direct  # the websocket sender's copy
    assert manager.frames_queued > queued  # the long-polling viewer's copy
    async with run.http.get(f"{run.url}/metrics") as resp:
        exported = dict(
            line.rsplit(" ", 1) for line in (await resp.text()).splitlines() if line[:1] != "#"
        )
    assert float(exported["shopcast_chat_socket_writes_direct_total"]) == manager.frames_direct
    assert float(exported["shopcast_chat_socket_writes_queued_total"]) == manager.frames_queued
    assert float(exported["shopcast_chat_frames_total"]) >= 1
    # python-socketio's polling client waits out its pending long-poll on a clean disconnect.
    await polling.eio.disconnect(abort=True)


async def test_a_packet_already_queued_for_a_socket_keeps_its_place(
    sqlite_backend: Any, start: Any
) -> None:
    """A packet waiting in the socket's Engine.IO queue (its writer has not run yet) is sent
    before a room event that comes after it: the room event must queue behind it."""
    run = await start(config_for(sqlite_backend))
    client = await run.sio()
    order: list[str] = []
    arrived = asyncio.Event()

    def seen(name: str) -> Any:
        async def handler(_: Any) -> None:
            order.append(name)
            if len(order) == 2:
                arrived.set()

        return handler

    client.on("first", seen("first"))
    client.on("second", seen("second"))
    sio = run.app[SOCKETS]
    sid = client.get_sid()
    eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
    queued = _manager(run).frames_queued
    # No await in between yields to the loop: the writer has not taken "first" yet.
    await sio.eio.send(eio_sid, '2["first",1]')
    await sio.emit("second", 2, to=sid)
    await asyncio.wait_for(arrived.wait(), 5)
    assert order == ["first", "second"]
    assert _manager(run).frames_queued == queued + 1
