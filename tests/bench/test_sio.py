"""bench/harness/sio.py, the load generators' bare-socket Socket.IO client, against a real
python-socketio server: auth at connect, the room's join, events, acks of any size."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import socketio
from aiohttp import web

from bench.harness import processes, sio


class Recording(sio.BareSocket):
    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.events: asyncio.Queue[bytes] = asyncio.Queue()

    def event(self, data: bytes) -> None:
        self.events.put_nowait(data)


@pytest.fixture
async def server() -> Any:
    sio_server = socketio.AsyncServer(async_mode="aiohttp", transports=["websocket"])
    seen: dict[str, Any] = {}

    async def connect(sid: str, environ: dict, auth: Any) -> None:
        if not isinstance(auth, dict) or auth.get("token") != "good":
            raise socketio.exceptions.ConnectionRefusedError("bad_token")
        seen[sid] = auth

    async def join(sid: str, data: Any) -> dict:
        await sio_server.enter_room(sid, f"stream:{data['stream_id']}")
        return {"ok": True}

    async def echo(sid: str, data: Any) -> dict:
        await sio_server.emit("echoed", data, room="stream:7")
        return {"ok": True, "echo": data}

    sio_server.on("connect", connect)
    sio_server.on("join", join)
    sio_server.on("echo", echo)
    app = web.Application()
    sio_server.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = processes.free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_joins_with_its_token_and_gets_acks_and_events(server: str) -> None:
    sock = await sio.open_socket(server, 7, Recording, {"token": "good"})
    try:
        small, large = {"n": 1}, {"text": "x" * 70_000}  # frame lengths of 7, 16 and 64 bits
        answers = await asyncio.wait_for(
            asyncio.gather(sock.emit("echo", small), sock.emit("echo", large)), 10
        )
        assert answers == [{"ok": True, "echo": small}, {"ok": True, "echo": large}]
        events = [json.loads((await asyncio.wait_for(sock.events.get(), 10))[2:]) for _ in "ab"]
        by_size = sorted(events, key=lambda event: len(json.dumps(event)))
        assert by_size == [["echoed", small], ["echoed", large]]
    finally:
        sock.close()


async def test_a_refused_connect_says_why(server: str) -> None:
    with pytest.raises(sio.Refused, match="bad_token"):
        await sio.open_socket(server, 7, Recording, {"token": "bad"})


async def test_a_lost_connection_fails_the_acks_waiting(server: str) -> None:
    sock = await sio.open_socket(server, 7, Recording, {"token": "good"})
    waiting = sock.emit("never_answered", {})
    sock.close()
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(waiting, 10)
