"""Acks answered from memory as the message arrives, before Socket.IO's dispatch.

Once a flash deal sells out, most `buy` events are losers that the node can refuse from memory
(chat/namespace.py `buy_refused_inline`). Through python-socketio each one would still cost an
Engine.IO task, a Socket.IO task per event, the handler, then the ack's trip through the
socket's queue and writer task: about 400 µs of one core for a 30 µs answer. Here Engine.IO
hands each message to `InlineAckServer` first: a text packet `2<ack id>["<event>",payload]` on
the default namespace whose event has an answerer is decoded once and answered at once, the
ack written straight to the WebSocket (chat/fanout.py `write_direct`). When the answerer is
unsure (None) the decoded packet goes on to python-socketio's `_handle_event`, as Engine.IO
would have sent it. Every other message is untouched but for a look at its first bytes.

Over WebSocket the answer comes even earlier: the driver's read (chat/fanout.py
`DirectWebSocket.wait`) offers each message to `inline` and reads the next one, so Engine.IO's
read loop never sees an answered message (no task, no timer for it). Long-polling messages are
offered as Engine.IO dispatches them (`InlineEngineIO`).

This relies on python-engineio's `AsyncServer._trigger_event("message", eio_sid, data)`, its
WebSocket read loop calling the driver's `wait()` and python-socketio's `_engineio_server_class`,
`_binary_packet`, `_handle_event`, `manager.sid_from_eio_sid`/`is_connected` and
`packet_class.json` with its packet layout, pinned in pyproject.toml;
tests/chat/test_socketio_hooks.py fails if they move.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import engineio
import socketio
from engineio import packet as eio_packet

from chat.acks import Ack
from chat.fanout import text_frame, write_direct

logger = logging.getLogger(__name__)

Answerer = Callable[[str, Any], Ack | None]  # (sid, payload) -> the ack, or None: dispatch it


class InlineEngineIO(engineio.AsyncServer):
    """Engine.IO's server offering each message to `inline` before its own dispatch (a task per
    message); `inline` returns True when it has dealt with the message."""

    inline: Callable[[str, Any], bool] | None = None

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message" and self.inline is not None and self.inline(*args):
            return None
        return await super()._trigger_event(event, *args, **kwargs)


class InlineAckServer(socketio.AsyncServer):
    """python-socketio's server, with events that may be answered as they arrive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answerers: dict[str, Answerer] = {}
        self._handing_on: set[asyncio.Task[Any]] = set()
        self.inline_acks = 0  # acks answered inline (read by /metrics and tests)
        self.eio.inline = self._answer_inline

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return InlineEngineIO

    def answer_inline(self, event: str, answerer: Answerer) -> None:
        """Offer `event`'s packets on the default namespace to `answerer` first. It runs on the
        Engine.IO socket's read loop: it must be quick and must not block."""
        self._answerers[event] = answerer

    def _answer_inline(self, eio_sid: str, data: Any) -> bool:
        if not isinstance(data, str) or eio_sid in self._binary_packet:
            return False
        head = _event_head(data)
        answerer = self._answerers.get(head[2]) if head is not None else None
        if head is None or answerer is None:
            return False
        ack_id, at, name = head
        try:  # the packet's JSON, decoded once: a text EVENT has no binary placeholders
            args = self.packet_class.json.loads(data[at:])
        except ValueError:
            return False  # python-socketio's own path refuses it as it always has
        if not isinstance(args, list) or not args or args[0] != name:
            return False
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        ack = None
        if sid is not None and self.manager.is_connected(sid, "/"):
            try:
                ack = answerer(sid, args[1] if len(args) > 1 else None)
            except Exception:  # the handler's own path answers it, and logs its own faults
                logger.exception("inline answer to %s from %s failed", name, sid)
        if ack is None:  # python-socketio's own path, from the packet already decoded
            self._in_background(self._handle_event(eio_sid, "/", ack_id, args))
        else:
            self._send_ack(eio_sid, ack_id, ack)
        return True

    def _send_ack(self, eio_sid: str, ack_id: int, ack: Ack) -> None:
        """The ACK packet `3<id>[ack]` as `packet_class` encodes it (checked by
        tests/chat/test_socketio_hooks.py), inside an Engine.IO MESSAGE (`4`)."""
        encoded = f"3{ack_id}{self.packet_class.json.dumps([ack], separators=(',', ':'))}"
        self.inline_acks += 1
        engineio_socket = self.eio.sockets.get(eio_sid)
        if engineio_socket is not None:
            if write_direct(engineio_socket, text_frame(f"4{encoded}".encode())):
                return
        message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        self._in_background(self.eio.send_packet(eio_sid, message))  # polling, or a backlog

    def _in_background(self, step: Any) -> None:
        task = asyncio.ensure_future(step)
        self._handing_on.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._handing_on.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("an inline-handled message failed", exc_info=task.exception())


def _event_head(data: str) -> tuple[int, int, str] | None:
    """(ack id, where its JSON starts, event name) of a default-namespace EVENT packet with an
    ack id, `2<id>["name",...`, read without decoding it; None for any other packet."""
    if not data.startswith("2"):
        return None
    at = 1
    while at < len(data) and data[at].isdigit():
        at += 1
    if at == 1 or not data.startswith('["', at):
        return None
    end = data.find('"', at + 2)
    return (int(data[1:at]), at, data[at + 2 : end]) if end > 0 else None
