"""Room frames built once: an event to a room is encoded and framed once, then written to
every WebSocket in the room with one `transport.write` each.

python-socketio delivers a room event by creating one asyncio task per recipient, which puts
the packet on that socket's Engine.IO queue, whose writer task (woken through `wait_for`, a
third task) encodes and frames it again: about 50 µs of one core per recipient, which caps a
node near 20,000 deliveries a second. Here the Socket.IO packet, the Engine.IO packet and the
WebSocket frame header are made once per room event; a recipient costs a dict lookup, a few
checks and a write.

A socket takes the direct write only when that cannot reorder it: upgraded to WebSocket, open,
nothing waiting in its Engine.IO queue, its writer not inside a send and its transport not
backed up. Anything else (long-polling, a slow reader, a binary payload, acks with callbacks)
goes through python-socketio's own path, unchanged. Frames written directly are never
compressed: with permessage-deflate's context takeover a compressed frame the connection's own
compressor did not make would desynchronise it, while an uncompressed frame (RSV1 clear) never
enters the client's window.

This relies on python-socketio's manager (`emit`, `get_participants`, `server.packet_class`)
and python-engineio's aiohttp driver (`_async['websocket']`, `socket.queue`), pinned in
pyproject.toml; tests/chat/test_fanout.py fails if they move.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from socketio import packet as sio_packet

logger = logging.getLogger(__name__)

# Above this many unsent bytes in a socket's transport, the reader is behind: its frames take
# the queued path, which waits for the transport to drain, instead of piling up in memory here.
BACKLOG_BYTES = 256 * 1024
INLINE_TURN = 32  # messages one socket may have answered inline in a row before others run
_TEXT_FIN = 0x81  # FIN + text opcode; server frames are never masked (RFC 6455 5.1)


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (RFC 6455 5.2)."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _TEXT_FIN, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", _TEXT_FIN, 126, size)
    else:
        header = struct.pack("!BBQ", _TEXT_FIN, 127, size)
    return header + payload


class TrackedQueue(asyncio.Queue[Any]):
    """An Engine.IO socket's send queue that knows whether its writer has taken every packet
    put on it: an empty queue is not enough, as the writer's `get` empties it one loop turn
    before the writer itself runs and sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.untaken = 0

    def put_nowait(self, item: Any) -> None:  # `put` ends here too
        super().put_nowait(item)
        self.untaken += 1

    def task_done(self) -> None:  # Engine.IO's writer calls it as it takes each packet
        super().task_done()
        self.untaken -= 1


class DirectWebSocket(eio_aiohttp.WebSocket):
    """Engine.IO's aiohttp WebSocket wrapper, made findable from its Engine.IO socket and
    telling whether its writer is in the middle of a send."""

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self.sending = False
        # The handler is the Engine.IO socket's bound `_websocket_handler`.
        engineio_socket = getattr(handler, "__self__", None)
        if engineio_socket is not None:
            engineio_socket.direct_ws = self
        self._engineio_socket = engineio_socket

    async def send(self, message: Any) -> None:
        self.sending = True
        try:
            await super().send(message)
        finally:
            self.sending = False

    async def wait(self) -> Any:
        """The next message for Engine.IO's read loop. A Socket.IO message the server answers
        inline (chat/inline_acks.py: its engineio server's `inline(eio_sid, data) -> bool`) is
        answered here and the next one read, sparing the loop's task and timer per message.
        Engine.IO's pings still come back through the loop, so its liveness check stays."""
        inline = getattr(self.server, "inline", None)
        answered = 0
        while True:
            data = await super().wait()
            engineio_socket = self._engineio_socket
            if (
                inline is None
                or not isinstance(data, str)
                or not data.startswith("4")  # an Engine.IO MESSAGE
                or engineio_socket is None
                or not engineio_socket.upgraded
                or engineio_socket.closed
                or not inline(engineio_socket.sid, data[1:])
            ):
                return data
            answered += 1
            if answered % INLINE_TURN == 0:  # messages already buffered are read without a
                await asyncio.sleep(0)  # pause: let the other sockets have their turn

    def write(self, frame: bytes) -> bool:
        """Write a ready frame now, if nothing can be reordered by it; False: use the queue."""
        if self.sending or self._sock is None:
            return False
        writer = self._sock._writer
        if writer is None or self._sock.closed:
            return False
        transport = writer.transport
        if transport.is_closing() or transport.get_write_buffer_size() > BACKLOG_BYTES:
            return False
        transport.write(frame)
        return True


def use_direct_websockets(sio: socketio.AsyncServer) -> None:
    """Make this server's Engine.IO sockets use DirectWebSocket and TrackedQueue (this server
    only: the driver table is copied, not changed)."""
    driver = dict(sio.eio._async)
    driver["websocket"] = DirectWebSocket
    sio.eio._async = driver
    sio.eio.create_queue = TrackedQueue


class FanoutManager(socketio.AsyncManager):
    """Delivers to this node's sockets; room events without a callback are framed once."""

    frames_direct = 0  # recipients reached with a direct write (read by /metrics and tests)
    frames_queued = 0  # recipients that took python-socketio's path

    async def emit(  # type: ignore[override]
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or namespace not in self.rooms:
            await super().emit(event, data, namespace, room, skip_sid, callback, **kwargs)
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        if not isinstance(encoded, str):  # binary attachments: several Engine.IO packets
            await super().emit(event, data, namespace, room, skip_sid, callback, **kwargs)
            return
        await self._deliver(namespace, room, _skipped(skip_sid), encoded)

    async def _deliver(self, namespace: str, room: Any, skip: set[Any], encoded: str) -> None:
        message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        frame = text_frame(message.encode().encode())
        sockets = self.server.eio.sockets
        queued: list[str] = []
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            engineio_socket = sockets.get(eio_sid)
            if engineio_socket is None:
                continue
            if write_direct(engineio_socket, frame):
                self.frames_direct += 1
            else:
                queued.append(eio_sid)
        self.frames_queued += len(queued)
        for eio_sid in queued:
            await self.server.eio.send_packet(eio_sid, message)


class FanoutRedisManager(socketio.AsyncRedisManager, FanoutManager):
    """python-socketio's Redis pub/sub across nodes; each node frames its own sockets' copy
    once (AsyncPubSubManager's local delivery resolves to FanoutManager.emit)."""


def write_direct(engineio_socket: Any, frame: bytes) -> bool:
    """Write a ready frame straight to an Engine.IO socket's WebSocket when that cannot reorder
    it (see the module's docstring); False: send it through Engine.IO's queue instead."""
    ws: DirectWebSocket | None = getattr(engineio_socket, "direct_ws", None)
    if ws is None or not engineio_socket.upgraded or engineio_socket.closed:
        return False
    queue = engineio_socket.queue
    if not isinstance(queue, TrackedQueue) or queue.untaken:
        return False
    return ws.write(frame)


def _skipped(skip_sid: Any) -> set[Any]:
    if skip_sid is None:
        return set()
    if isinstance(skip_sid, list | tuple | set):
        return set(skip_sid)
    return {skip_sid}
