"""Fails loudly when a python-socketio, python-engineio or aiohttp upgrade moves the internals
chat/fanout.py and chat/inline_acks.py rely on (all three pinned exactly in pyproject.toml).

Each test names the hook it guards. They run a bare `socketio.AsyncServer` served by aiohttp
with real python-socketio clients, so a failure here points at the library, not at Shopcast.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import inspect
import secrets
from collections.abc import AsyncIterator
from typing import Any

import engineio
import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio import packet as sio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from chat.fanout import (
    DirectWebSocket,
    FanoutManager,
    FanoutRedisManager,
    TrackedQueue,
    text_frame,
    use_direct_websockets,
)
from chat.inline_acks import InlineAckServer, InlineEngineIO
from tests.conftest import REDIS_URL, _require

PINNED = {"python-socketio": "5.18.1", "python-engineio": "4.15.1", "aiohttp": "3.14.5"}
ROOM = "room"


@pytest.mark.parametrize(("name", "version"), sorted(PINNED.items()))
def test_the_library_is_the_pinned_version(name: str, version: str) -> None:
    assert importlib.metadata.version(name) == version, (
        f"re-check chat/fanout.py (and this file) before upgrading {name}"
    )


class Served:
    def __init__(self, sio: socketio.AsyncServer, url: str) -> None:
        self.sio, self.url = sio, url
        self.clients: list[socketio.AsyncClient] = []

    @property
    def manager(self) -> Any:
        return self.sio.manager

    async def client(self, transport: str = "websocket") -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(self.url, transports=[transport])
        self.clients.append(client)
        return client

    def engineio_socket(self, client: socketio.AsyncClient) -> Any:
        eio_sid = self.manager.eio_sid_from_sid(client.get_sid(), "/")
        return self.sio.eio.sockets[eio_sid]


@contextlib.asynccontextmanager
async def served(
    manager: FanoutManager, server_class: type[socketio.AsyncServer] = socketio.AsyncServer
) -> AsyncIterator[Served]:
    """A Socket.IO server set up as chat/realtime.py sets up Shopcast's, with one `join` event."""
    sio = server_class(
        async_mode="aiohttp", client_manager=manager, logger=False, engineio_logger=False
    )
    use_direct_websockets(sio)

    async def join(sid: str, _: Any) -> bool:
        await sio.enter_room(sid, ROOM)
        return True

    sio.on("join", join)
    app = web.Application()
    sio.attach(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    run = Served(sio, str(server.make_url("")).rstrip("/"))
    try:
        yield run
    finally:
        for client in run.clients:
            if client.transport() == "polling":
                await client.eio.disconnect(abort=True)  # no wait for the pending long-poll
            else:
                await asyncio.wait_for(client.disconnect(), 10)
        await sio.shutdown()
        listener = getattr(manager, "thread", None)
        if isinstance(listener, asyncio.Task):  # as server/edge/app.py stops it
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        await server.close()


def _events(client: socketio.AsyncClient, name: str) -> asyncio.Queue[Any]:
    got: asyncio.Queue[Any] = asyncio.Queue()

    async def handler(data: Any) -> None:
        got.put_nowait(data)

    client.on(name, handler)
    return got


# python-engineio: the aiohttp driver table and the socket's queue (use_direct_websockets).


def test_engineio_keeps_its_driver_table_on_the_server_and_it_can_be_copied() -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    table = sio.eio._async
    assert isinstance(table, dict) and table.get("websocket") is eio_aiohttp.WebSocket, (
        "engineio moved AsyncServer._async['websocket']: use_direct_websockets is broken"
    )
    assert list(inspect.signature(eio_aiohttp.WebSocket.__init__).parameters) == [
        "self",
        "handler",
        "server",
    ], "engineio's aiohttp WebSocket(handler, server) changed: DirectWebSocket is broken"
    use_direct_websockets(sio)
    assert sio.eio._async["websocket"] is DirectWebSocket
    assert isinstance(sio.eio.create_queue(), TrackedQueue)
    other = socketio.AsyncServer(async_mode="aiohttp")  # the driver table was copied
    assert other.eio._async["websocket"] is eio_aiohttp.WebSocket
    assert not isinstance(other.eio.create_queue(), TrackedQueue)


async def test_a_websocket_socket_is_built_through_the_hooks() -> None:
    """AsyncSocket builds `_async['websocket'](self._websocket_handler, server)`, takes its
    queue from `server.create_queue()` and keeps `upgraded`/`closed`; the driver's wrapper keeps
    aiohttp's WebSocketResponse as `_sock`, whose `_writer.transport` takes a ready frame."""
    async with served(FanoutManager()) as run:
        client = await run.client()
        engineio_socket = run.engineio_socket(client)
        assert isinstance(engineio_socket, AsyncSocket)
        assert engineio_socket.upgraded is True and engineio_socket.closed is False
        assert isinstance(engineio_socket.queue, TrackedQueue), (
            "engineio no longer makes a socket's queue with server.create_queue()"
        )
        ws = getattr(engineio_socket, "direct_ws", None)
        assert isinstance(ws, DirectWebSocket), (
            "engineio no longer hands the driver's WebSocket its bound _websocket_handler"
        )
        assert isinstance(ws._sock, web.WebSocketResponse), "engineio's WebSocket._sock moved"
        writer = ws._sock._writer
        assert writer is not None, "aiohttp's WebSocketResponse._writer moved"
        transport = writer.transport
        assert isinstance(transport, asyncio.Transport), "aiohttp's WebSocketWriter.transport"
        assert isinstance(transport.get_write_buffer_size(), int)
        got = _events(client, "direct")
        encoded = sio_packet.Packet(sio_packet.EVENT, namespace="/", data=["direct", 1]).encode()
        frame = eio_packet.Packet(eio_packet.MESSAGE, encoded).encode().encode()
        assert ws.write(text_frame(frame)) is True
        assert await asyncio.wait_for(got.get(), 5) == 1

        polling = await run.client("polling")
        polling_socket = run.engineio_socket(polling)
        assert polling_socket.upgraded is False
        assert getattr(polling_socket, "direct_ws", None) is None


async def test_engineios_writer_takes_each_packet_with_task_done_and_sends_through_ws() -> None:
    """TrackedQueue counts on the writer calling `task_done()` as it takes a packet, and
    DirectWebSocket.sending on the writer sending through the wrapper's `send`."""
    sent: list[Any] = []

    class Recording(DirectWebSocket):
        async def send(self, message: Any) -> None:
            sent.append(message)
            await super().send(message)

    async with served(FanoutManager()) as run:
        run.sio.eio._async["websocket"] = Recording  # this server's copy of the table
        client = await run.client()
        got = _events(client, "queued")
        engineio_socket = run.engineio_socket(client)
        # No await in between yields to the loop: the writer has not taken the packet yet.
        await run.sio.eio.send(engineio_socket.sid, '2["queued",1]')
        assert engineio_socket.queue.untaken == 1
        assert await asyncio.wait_for(got.get(), 5) == 1
        assert engineio_socket.queue.untaken == 0, "engineio's writer no longer calls task_done()"
        assert '42["queued",1]' in sent, "engineio's writer no longer sends through ws.send()"


# python-socketio: the manager's emit, participants, rooms and packet class (FanoutManager).


def test_the_managers_emit_has_the_signature_fanout_overrides() -> None:
    assert list(inspect.signature(socketio.AsyncManager.emit).parameters) == [
        "self",
        "event",
        "data",
        "namespace",
        "room",
        "skip_sid",
        "callback",
        "to",
        "kwargs",
    ], "socketio.AsyncManager.emit changed: FanoutManager.emit overrides it"
    assert inspect.iscoroutinefunction(socketio.AsyncServer(async_mode="aiohttp").eio.send_packet)


def test_packets_encode_once_as_fanout_frames_them() -> None:
    assert socketio.AsyncServer(async_mode="aiohttp").packet_class is sio_packet.Packet
    text = sio_packet.Packet(sio_packet.EVENT, namespace="/", data=["e", {"a": 1}]).encode()
    assert text == '2["e",{"a":1}]'
    binary = sio_packet.Packet(sio_packet.EVENT, namespace="/", data=["e", b"\x00"]).encode()
    assert isinstance(binary, list), "binary events must stay several packets (fanout queues them)"
    assert eio_packet.Packet(eio_packet.MESSAGE, text).encode() == '42["e",{"a":1}]'


async def test_participants_and_rooms_are_where_fanout_and_the_room_read_them() -> None:
    """FanoutManager reads `get_participants(namespace, room)` as (sid, eio_sid) pairs, and
    chat/room_base.py counts `manager.rooms[namespace][room]`."""
    async with served(FanoutManager()) as run:
        client = await run.client()
        assert await client.call("join", {}) is True
        sid = client.get_sid()
        eio_sid = run.manager.eio_sid_from_sid(sid, "/")
        assert list(run.manager.get_participants("/", ROOM)) == [(sid, eio_sid)]
        assert len(run.manager.rooms["/"][ROOM]) == 1
        got = _events(client, "to_room")
        direct = run.manager.frames_direct
        await run.sio.emit("to_room", {"n": 1}, room=ROOM)  # AsyncServer.emit -> manager.emit
        assert await asyncio.wait_for(got.get(), 5) == {"n": 1}
        assert run.manager.frames_direct == direct + 1


async def test_the_redis_managers_local_delivery_reaches_fanout_emit() -> None:
    """AsyncPubSubManager delivers what it hears on Redis with `super().emit(...)`, which the
    MRO of FanoutRedisManager resolves to FanoutManager.emit; its listener task is `thread`."""
    mro = FanoutRedisManager.__mro__
    assert mro.index(AsyncPubSubManager) < mro.index(FanoutManager)
    assert mro.index(FanoutManager) < mro.index(socketio.AsyncManager)
    _require("Redis", "127.0.0.1", 6379)
    manager = FanoutRedisManager(REDIS_URL, channel=f"shopcast-hooks-{secrets.token_hex(4)}")
    async with served(manager) as run:
        client = await run.client()
        assert await client.call("join", {}) is True
        assert isinstance(getattr(manager, "thread", None), asyncio.Task), (
            "AsyncPubSubManager's listener is no longer `thread`: server/edge/app.py stops it"
        )
        got = _events(client, "over_redis")
        direct = manager.frames_direct
        await run.sio.emit("over_redis", 1, room=ROOM)  # published, heard back, delivered
        assert await asyncio.wait_for(got.get(), 5) == 1
        assert manager.frames_direct == direct + 1, "Redis delivery skipped FanoutManager.emit"


# python-engineio's message dispatch and python-socketio's event path (chat/inline_acks.py).


def test_socketio_builds_its_engineio_server_from_the_class_inline_acks_gives() -> None:
    assert inspect.signature(socketio.AsyncServer._engineio_server_class).parameters.keys() == {
        "self"
    }, "socketio.AsyncServer._engineio_server_class changed: InlineAckServer overrides it"
    sio = InlineAckServer(async_mode="aiohttp")
    assert type(sio.eio) is InlineEngineIO and sio.eio.inline == sio._answer_inline
    assert isinstance(sio._binary_packet, dict), "socketio.AsyncServer._binary_packet moved"
    assert list(inspect.signature(engineio.AsyncServer._trigger_event).parameters) == [
        "self",
        "event",
        "args",
        "kwargs",
    ], "engineio.AsyncServer._trigger_event changed: InlineEngineIO overrides it"
    assert list(inspect.signature(socketio.AsyncServer._handle_event).parameters) == [
        "self",
        "eio_sid",
        "namespace",
        "id",
        "data",
    ], "socketio.AsyncServer._handle_event changed: InlineAckServer hands events on to it"
    assert inspect.iscoroutinefunction(socketio.AsyncServer._handle_event)
    assert inspect.iscoroutinefunction(socketio.AsyncServer._handle_eio_message), (
        "socketio no longer handles Engine.IO messages in _handle_eio_message"
    )
    ack = sio.packet_class(sio_packet.ACK, namespace="/", data=[{"ok": False}], id=7).encode()
    assert ack == '37[{"ok":false}]', "socketio's ACK packet no longer encodes as 3<id>[...]"
    decoded = sio.packet_class(encoded_packet='212["buy",{"a":1}]')
    assert (decoded.packet_type, decoded.namespace, decoded.id) == (sio_packet.EVENT, None, 12)
    assert decoded.data == ["buy", {"a": 1}]
    # InlineAckServer reads and writes that layout itself with the packet class's json module.
    assert sio.packet_class.json.loads('212["buy",{"a":1}]'[3:]) == decoded.data
    assert f"37{sio.packet_class.json.dumps([{'ok': False}], separators=(',', ':'))}" == ack


async def test_engineio_offers_each_message_and_socketio_takes_the_ones_handed_on() -> None:
    """AsyncSocket.receive calls `server._trigger_event("message", eio_sid, data, ...)` for
    every message, over WebSocket and long-polling; the manager finds the sid of an eio_sid;
    an event handed to `_handle_event` reaches its handler and its ack goes back."""
    async with served(FanoutManager(), InlineAckServer) as run:
        seen: list[Any] = []

        async def slow(sid: str, data: Any) -> Any:
            return {"slow": data}

        def answer(sid: str, data: Any) -> Any:
            seen.append((sid, data))
            return {"inline": data} if data != "pass" else None

        run.sio.on("ask", slow)
        run.sio.answer_inline("ask", answer)
        dispatched: list[Any] = []
        trigger = run.sio.eio._trigger_event

        async def counted(event: str, *args: Any, **kwargs: Any) -> Any:
            dispatched.append(event)
            return await trigger(event, *args, **kwargs)

        run.sio.eio._trigger_event = counted
        for transport in ("websocket", "polling"):
            client = await run.client(transport)
            sid = client.get_sid()
            assert run.manager.sid_from_eio_sid(run.manager.eio_sid_from_sid(sid, "/"), "/") == sid
            assert run.manager.is_connected(sid, "/")
            before = run.sio.inline_acks
            assert await client.call("ask", 1, timeout=5) == {"inline": 1}
            assert await client.call("ask", "pass", timeout=5) == {"slow": "pass"}
            assert await client.call("join", {}, timeout=5) is True  # not offered: not answered
            assert run.sio.inline_acks == before + 1
            assert seen[-2:] == [(sid, 1), (sid, "pass")]
        # Over WebSocket the read loop saw only Socket.IO's connect and the join: the two asks
        # were answered or handed on by DirectWebSocket.wait. Over polling Engine.IO offered
        # all four (connect, the two asks, the join).
        assert dispatched.count("message") == 2 + 4, dispatched
