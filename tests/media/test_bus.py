"""The media bus on a real Redis: what one node puts on it another node gets, and garbage is
ignored without stopping the reader."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import redis.asyncio as aioredis
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.bus import BusHandlers, MediaBus
from tests.conftest import REDIS_URL, _require

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


class Heard:
    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple] = asyncio.Queue()

    def handlers(self) -> BusHandlers:
        put = self.events.put_nowait
        return BusHandlers(
            packet=lambda *args: put(("packet", *args)),
            host=lambda stream, codecs: put(("host", stream, codecs["video"].mimeType)),
            host_gone=lambda stream: put(("gone", stream)),
            ended=lambda stream: put(("ended", stream)),
            keyframe_wanted=lambda stream: put(("keyframe", stream)),
        )

    async def next(self) -> tuple:
        return await asyncio.wait_for(self.events.get(), 5)


@pytest.fixture
async def nodes():
    _require("Redis", "127.0.0.1", 6379)
    prefix = f"shopcast-test-bus-{secrets.token_hex(4)}"
    a, b = MediaBus(REDIS_URL, prefix), MediaBus(REDIS_URL, prefix)
    heard_a, heard_b = Heard(), Heard()
    await a.start(heard_a.handlers())
    await b.start(heard_b.handlers())
    await asyncio.sleep(0.2)  # both readers subscribed
    yield a, b, heard_a, heard_b, prefix
    await a.close()
    await b.close()


async def test_a_show_travels_from_the_ingest_node_to_a_viewer_node(nodes) -> None:
    a, b, heard_a, heard_b, _ = nodes
    assert await b.lookup("7") is None
    a.announce("7", {"video": VP8})
    await asyncio.sleep(0.2)
    codecs = await b.lookup("7")
    assert codecs is not None and codecs["video"].mimeType == "video/VP8"
    assert codecs["video"].clockRate == 90000 and codecs["video"].payloadType == 96
    await b.follow("7")
    await asyncio.sleep(0.2)
    for seq in (65535, 0, 1):  # across the wrap, in order
        a.packet("7", "video", seq, 4_000_000_000 + seq, seq == 1, b"payload-%d" % seq)
    for seq in (65535, 0, 1):
        assert await heard_b.next() == (
            "packet", "7", "video", seq, 4_000_000_000 + seq, seq == 1, b"payload-%d" % seq
        )  # fmt: skip
    b.want_keyframe("7")
    assert await heard_a.next() == ("keyframe", "7")
    assert await heard_b.next() == ("keyframe", "7")  # every node hears it; the ingest acts
    a.retract("7", ended=False)
    assert await heard_b.next() == ("gone", "7")
    await asyncio.sleep(0.2)
    assert await b.lookup("7") is None  # the key went with the host
    a.announce("7", {"video": VP8})
    assert await heard_b.next() == ("host", "7", "video/VP8")
    a.retract("7", ended=True)
    assert await heard_b.next() == ("ended", "7")


async def test_garbage_on_the_channel_is_ignored_and_the_reader_goes_on(nodes) -> None:
    a, b, _, heard_b, prefix = nodes
    await b.follow("9")
    await asyncio.sleep(0.2)
    client = aioredis.from_url(REDIS_URL)
    for garbage in (b"", b"p\x01", b"p" + b"\xff" * 9, b"h{not json", b'h{"video": 1}', b"zz"):
        await client.publish(f"{prefix}:media:9", garbage)
    await client.set(f"{prefix}:media:show:9", b"[1, 2")
    assert await b.lookup("9") is None  # a malformed show description is no show
    await client.aclose()
    a.packet("9", "audio", 5, 960, False, b"opus")
    assert await heard_b.next() == ("packet", "9", "audio", 5, 960, False, b"opus")
    assert heard_b.events.empty()


async def test_without_redis_lookups_find_nothing_and_sending_does_not_raise() -> None:
    bus = MediaBus("redis://127.0.0.1:1/0", "nowhere")
    await bus.start(Heard().handlers())
    assert await bus.lookup("1") is None
    bus.announce("1", {"video": VP8})
    bus.packet("1", "video", 1, 1, True, b"x")
    await asyncio.sleep(0.3)
    assert bus.dropped >= 2
    await bus.close()
