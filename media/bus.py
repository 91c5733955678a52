"""Carries live shows between nodes over Redis, so one ingest feeds viewers on every node.

The node a host publishes to puts each RTP packet once on the show's channel, and keeps a short-
lived key saying the show is live with these codecs. A node whose viewer asks for a show it does
not ingest reads that key, subscribes to the channel and forwards locally; its viewers' keyframe
requests travel back on a second channel. Pub/sub keeps nothing: a node that is not listening
misses packets, exactly as a viewer that is not connected does.

Messages on `<prefix>:media:<stream>`: b"p" + kind, seq, timestamp, marker + payload (a packet),
b"h" + codecs JSON (a host started), b"g" (the host left), b"s" + JSON (an HLS segment
begins at the next packet, media/hls.py); b"e" (the show ended) is still heard
from nodes of the version before. Every node listens on two patterns: `<prefix>:media:pli:*`
(a keyframe wanted) and `<prefix>:media:end:*` (the show ended, whichever node ended it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

PACKET = struct.Struct("!cBHI?")  # b"p", kind, seq, timestamp, marker; the payload follows
KINDS = ("audio", "video")
SHOW_TTL_S = 15  # a crashed ingest node's show disappears after this
REFRESH_S = 5.0
MAX_PENDING = 4096  # packets waiting for Redis; beyond this the oldest are dropped
RECONNECT_S = 1.0


@dataclass
class BusHandlers:
    """What the bus calls on this node's media service, on the event loop."""

    packet: Callable[[str, str, int, int, bool, bytes], None]  # stream, kind, seq, ts, marker, data
    host: Callable[[str, dict[str, RTCRtpCodecParameters]], None]
    host_gone: Callable[[str], None]
    ended: Callable[[str], None]
    keyframe_wanted: Callable[[str], None]
    segment: Callable[[str, bytes], None] = lambda stream, start: None  # HLS (media/hls.py)


class MediaBus:
    def __init__(self, redis_url: str, prefix: str) -> None:
        self._redis = aioredis.from_url(redis_url)
        self._prefix = f"{prefix}:media"
        self._handlers: BusHandlers | None = None
        self._pubsub: Any = None
        self._followed: set[str] = set()
        self._published: dict[str, bytes] = {}  # stream -> codecs JSON, for the refresher
        self._pending: deque[tuple[str, bytes]] = deque(maxlen=MAX_PENDING)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.dropped = 0

    async def start(self, handlers: BusHandlers) -> None:
        self._handlers = handlers
        self._tasks = [
            asyncio.create_task(self._write(), name="media-bus-writer"),
            asyncio.create_task(self._read(), name="media-bus-reader"),
            asyncio.create_task(self._refresh(), name="media-bus-refresher"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
        await self._redis.aclose()

    # -- the ingest side ----------------------------------------------------------------------

    def announce(self, stream: str, codecs: dict[str, RTCRtpCodecParameters]) -> None:
        """A host started publishing here."""
        encoded = json.dumps({kind: _codec_to_json(c) for kind, c in codecs.items()}).encode()
        self._published[stream] = encoded
        self._queue(stream, b"h" + encoded)
        self._queue_key(stream, encoded)

    def retract(self, stream: str, ended: bool) -> None:
        """The host left (or the show ended): other nodes keep their viewers unless it ended.
        An end goes to every node, the one that ingests the show included: behind one port
        (`--workers`) the request that ends it may reach another worker."""
        if self._published.pop(stream, None) is not None or ended:
            if ended:
                self._pending.append((f"{self._prefix}:end:{stream}", b""))
                self._wake.set()
            else:
                self._queue(stream, b"g")
            self._queue_key(stream, None)

    def segment(self, stream: str, start: bytes) -> None:
        """The ingest's HLS packager begins a segment at the next packet (b"s" + JSON)."""
        self._queue(stream, b"s" + start)

    def packet(
        self, stream: str, kind: str, seq: int, timestamp: int, marker: bool, payload: bytes
    ) -> None:
        head = PACKET.pack(b"p", KINDS.index(kind), seq, timestamp, marker)
        self._queue(stream, head + payload)

    # -- the viewer side ----------------------------------------------------------------------

    async def lookup(self, stream: str) -> dict[str, RTCRtpCodecParameters] | None:
        """The codecs of a show live on another node, or None."""
        try:
            raw = await self._redis.get(self._show_key(stream))
        except (RedisError, OSError) as exc:
            logger.warning("media bus: cannot look up show %s: %r", stream, exc)
            return None
        return _codecs_from_json(raw) if raw else None

    async def follow(self, stream: str) -> None:
        self._followed.add(stream)
        if self._pubsub is not None:
            await self._pubsub.subscribe(self._channel(stream))

    async def unfollow(self, stream: str) -> None:
        self._followed.discard(stream)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(self._channel(stream))

    def want_keyframe(self, stream: str) -> None:
        self._pending.append((f"{self._prefix}:pli:{stream}", b""))
        self._wake.set()

    # -- plumbing -----------------------------------------------------------------------------

    def _channel(self, stream: str) -> str:
        return f"{self._prefix}:{stream}"

    def _show_key(self, stream: str) -> str:
        return f"{self._prefix}:show:{stream}"

    def _queue(self, stream: str, message: bytes) -> None:
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1
        self._pending.append((self._channel(stream), message))
        self._wake.set()

    def _queue_key(self, stream: str, codecs: bytes | None) -> None:
        # Written by the writer task, in order with the messages (None deletes the key).
        self._pending.append((self._show_key(stream), b"\0key" + (codecs or b"")))
        self._wake.set()

    async def _write(self) -> None:
        """Sends everything queued since the last round in one pipeline."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch = list(self._pending)
            self._pending.clear()
            pipe = self._redis.pipeline(transaction=False)
            for target, message in batch:
                if message.startswith(b"\0key"):
                    codecs = message[4:]
                    if codecs:
                        pipe.set(target, codecs, ex=SHOW_TTL_S)
                    else:
                        pipe.delete(target)
                else:
                    pipe.publish(target, message)
            try:
                await pipe.execute()
            except (RedisError, OSError) as exc:
                self.dropped += len(batch)
                logger.warning("media bus: %d messages lost: %r", len(batch), exc)
                await asyncio.sleep(RECONNECT_S)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)
            for stream, codecs in list(self._published.items()):
                self._queue_key(stream, codecs)

    async def _read(self) -> None:
        while True:
            try:
                self._pubsub = self._redis.pubsub()
                await self._pubsub.psubscribe(f"{self._prefix}:pli:*", f"{self._prefix}:end:*")
                for stream in list(self._followed):
                    await self._pubsub.subscribe(self._channel(stream))
                async for message in self._pubsub.listen():
                    self._dispatch(message)
            except (RedisError, OSError) as exc:
                logger.warning("media bus: lost Redis (%r); retrying", exc)
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.aclose()
                self._pubsub = None
                await asyncio.sleep(RECONNECT_S)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if self._handlers is None:
            return
        channel = message["channel"].decode()
        if message["type"] == "pmessage":
            _, what, stream = channel.rsplit(":", 2)
            if what == "end":
                self._handlers.ended(stream)
            else:
                self._handlers.keyframe_wanted(stream)
            return
        if message["type"] != "message":
            return
        stream = channel[len(self._prefix) + 1 :]
        data: bytes = message["data"]
        try:
            self._deliver(stream, data)
        except Exception:  # one bad message must not stop the reader
            logger.exception("media bus: cannot handle a message on %s", channel)

    def _deliver(self, stream: str, data: bytes) -> None:
        handlers = self._handlers
        if handlers is None:
            return
        tag = data[:1]
        if tag == b"p":
            _, kind, seq, timestamp, marker = PACKET.unpack_from(data)
            handlers.packet(stream, KINDS[kind], seq, timestamp, marker, data[PACKET.size :])
        elif tag == b"h":
            codecs = _codecs_from_json(data[1:])
            if codecs:
                handlers.host(stream, codecs)
        elif tag == b"g":
            handlers.host_gone(stream)
        elif tag == b"s":
            handlers.segment(stream, data[1:])
        elif tag == b"e":
            handlers.ended(stream)


def _codec_to_json(codec: RTCRtpCodecParameters) -> dict[str, Any]:
    return {
        "mimeType": codec.mimeType,
        "clockRate": codec.clockRate,
        "channels": codec.channels,
        "payloadType": codec.payloadType,
        "parameters": dict(codec.parameters),
    }


def _codecs_from_json(raw: bytes | str) -> dict[str, RTCRtpCodecParameters] | None:
    try:
        data = json.loads(raw)
        return {
            kind: RTCRtpCodecParameters(
                mimeType=str(c["mimeType"]),
                clockRate=int(c["clockRate"]),
                channels=c.get("channels"),
                payloadType=c.get("payloadType"),
                parameters=dict(c.get("parameters") or {}),
            )
            for kind, c in data.items()
            if kind in KINDS
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        logger.warning("media bus: ignoring a malformed show description")
        return None
