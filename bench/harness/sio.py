"""A lightweight Socket.IO client for load generators: Engine.IO v4 / Socket.IO v5 over a bare
socket, with its own WebSocket upgrade and frame parser.

Many frames per `data_received`, no task or coroutine per frame: an aiohttp WebSocket client
costs a load process about 20 µs a frame, which at thousands of clients takes more of a small
machine's cores than the server under test; this one costs a few. A benchmark subclasses
`BareSocket` and overrides `event` (every `42…` packet after the handshake) and, if it must,
`connection_lost`; `emit` sends an event with an ack id and returns a future of the ack.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

SOCKET_PATH = "/socket.io/?EIO=4&transport=websocket"
HANDSHAKE_TIMEOUT_S = 20.0
S = TypeVar("S", bound="BareSocket")


class Refused(Exception):
    """The handshake did not end in a joined room; the message is the reason counted."""


def reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, Refused) else type(exc).__name__


class BareSocket(asyncio.Protocol):
    """One Socket.IO client on the default namespace: `join` connects (with `auth`) and joins a
    show's room; then `event` gets every event packet and `emit` sends with an ack."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.buffer = bytearray()
        self.upgraded = False
        self.handshake: asyncio.Queue[bytes] | None = asyncio.Queue()  # None once joined
        self.transport: asyncio.Transport | None = None
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.next_ack = 1  # 0 is the join's

    # -- the wire --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {SOCKET_PATH} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        at = 0
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.closed(Refused("websocket upgrade refused"))
                return
            self.upgraded, at = True, end + 4
        size = len(buffer)
        while size - at >= 2:
            opcode, length, start = buffer[at] & 0x0F, buffer[at + 1] & 0x7F, at + 2
            if length == 126:
                length, start = int.from_bytes(buffer[at + 2 : at + 4]), at + 4
            elif length == 127:
                length, start = int.from_bytes(buffer[at + 2 : at + 10]), at + 10
            if start > size or size - start < length:
                break
            at = start + length
            if opcode == 1:
                self.text(bytes(buffer[start:at]))
            elif opcode == 8:
                self.closed(Refused("closed by the server"))
        del buffer[:at]

    def text(self, data: bytes) -> None:
        if self.handshake is not None:
            self.handshake.put_nowait(data)
        elif data.startswith(b"42"):
            self.event(data)
        elif data.startswith(b"43"):
            self.acked(data)
        elif data == b"2":
            self.send(b"3")

    def send(self, payload: bytes) -> None:
        """A client frame: masked, as RFC 6455 requires of clients."""
        assert self.transport is not None
        n, mask = len(payload), os.urandom(4)
        key = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload) ^ int.from_bytes(key)).to_bytes(n) if n else b""
        if n < 126:
            head = bytes((0x81, 0x80 | n))
        elif n < 1 << 16:
            head = bytes((0x81, 0x80 | 126)) + n.to_bytes(2)
        else:
            head = bytes((0x81, 0x80 | 127)) + n.to_bytes(8)
        self.transport.write(head + mask + masked)

    def closed(self, why: BaseException) -> None:
        if self.handshake is not None:
            self.handshake.put_nowait(b"")  # wakes the handshake, which sees it refused
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.handshake is not None:
            self.handshake.put_nowait(b"")
        for future in self.acks.values():
            if not future.done():
                future.set_exception(ConnectionResetError("connection lost"))
        self.acks.clear()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # -- Socket.IO ---------------------------------------------------------------------------

    def event(self, data: bytes) -> None:
        """A `42…` packet after the handshake (the server's events); ignored unless overridden."""

    def acked(self, data: bytes) -> None:
        split = data.index(b"[")
        future = self.acks.pop(int(data[2:split]), None)
        if future is not None and not future.done():
            future.set_result(json.loads(data[split:])[0])

    def emit(self, event: str, payload: Any) -> asyncio.Future[Any]:
        """Send `event` with an ack id; the future is the ack's first argument."""
        ack, self.next_ack = self.next_ack, self.next_ack + 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[ack] = future
        self.send(f"42{ack}".encode() + json.dumps([event, payload]).encode())
        return future

    async def next(self, prefixes: tuple[bytes, ...]) -> bytes:
        assert self.handshake is not None
        while True:
            data = await self.handshake.get()
            if not data:
                raise Refused("closed during handshake")
            if data == b"2":
                self.send(b"3")
            elif data.startswith(prefixes):
                return data

    async def join(self, stream_id: int, auth: dict | None = None) -> None:
        """Engine.IO open, Socket.IO connect to "/" with `auth`, `join` with ack id 0; then every
        packet goes to `text` (those that came with the ack too)."""
        await self.next((b"0",))
        self.send(b"40" + json.dumps(auth or {}).encode())
        reply = await self.next((b"40", b"44"))
        if reply.startswith(b"44"):
            raise Refused(json.loads(reply[2:] or b"{}").get("message", "connect refused"))
        self.send(b"420" + json.dumps(["join", {"stream_id": stream_id}]).encode())
        answer = json.loads((await self.next((b"430",)))[3:])[0]
        if not answer.get("ok"):
            raise Refused(answer.get("error", {}).get("code", "join refused"))
        waiting, self.handshake = self.handshake, None
        while waiting is not None and not waiting.empty():
            self.text(waiting.get_nowait())


async def open_socket(
    url: str, stream_id: int, make: Callable[[str], S], auth: dict | None = None
) -> S:
    """Connect `make(host)` (a BareSocket) to the server at `url` and join the show's room."""
    address = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = address.rpartition(":")
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
        _, protocol = await loop.create_connection(lambda: make(address), host, int(port))
        try:
            await protocol.join(stream_id, auth)
        except BaseException:
            protocol.close()
            raise
    return protocol
