"""LL-HLS: the packager over real H.264/Opus packets, an aiortc host read back by a plain HTTP
LL-HLS client that decodes with PyAV, and the same bytes from two nodes on one Redis."""

from __future__ import annotations

import asyncio
import io
import re
from fractions import Fraction

import av
import numpy as np
import pytest
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.opus import OpusEncoder

from media.hls import PART_TARGET_S, HlsBadRequest, HlsNotFound, Packager, SegmentStart
from media.hls_fmp4 import annexb_to_avcc
from media.hls_h264 import AccessUnit
from server.edge.http.context import MEDIA
from tests import factory, peers
from tests.server.edge.test_media_nodes import node_b, redis_backend  # noqa: F401 (fixtures)
from tests.test_end_to_end import whip

Packet = tuple[str, int, int, bool, bytes]


def encoded_show(frames: int, keyframe_every: int = 45) -> list[Packet]:
    """Packets of a 320x240 30 fps H.264 camera and 20 ms Opus frames, in arrival order."""
    video, audio = H264Encoder(), OpusEncoder()
    image = np.zeros((240, 320, 3), dtype=np.uint8)
    image[:, :] = peers.COLOUR
    out: list[Packet] = []
    seq = sent_audio = 0
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = i * 3000, Fraction(1, 90000)
        payloads, timestamp = video.encode(frame, force_keyframe=i % keyframe_every == 0)
        for j, payload in enumerate(payloads):
            marker = j == len(payloads) - 1
            out.append(("video", seq % 65536, (timestamp + 4_000_000_000) % 2**32, marker, payload))
            seq += 1
        while sent_audio * 0.02 <= i / 30:
            sound = av.AudioFrame.from_ndarray(
                np.zeros((1, 1920), dtype=np.int16), format="s16", layout="stereo"
            )
            sound.sample_rate, sound.pts = 48000, sent_audio * 960
            sound.time_base = Fraction(1, 48000)
            for payload in audio.encode(sound)[0]:
                out.append(("audio", sent_audio, sent_audio * 960 + 77, True, payload))
            sent_audio += 1
    return out


def decoded(data: bytes) -> list[av.VideoFrame]:
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(video=0))


async def test_parts_and_segments_decode_and_follow_the_rules() -> None:
    asked: list[int] = []
    starts: list[SegmentStart] = []
    packager = Packager(True, announce=starts.append, want_keyframe=lambda: asked.append(1))
    for packet in encoded_show(150, keyframe_every=1000):  # one keyframe: the packager asks
        packager.packet(*packet)
    assert asked, "a segment past SEGMENT_ASK_S without a keyframe asks the host for one"
    assert [s.msn for s in starts] == [0]  # no keyframe came: one long segment
    text = await packager.playlist()
    parts = re.findall(r"#EXT-X-PART:DURATION=([\d.]+)", text)
    assert parts and all(0 < float(d) <= PART_TARGET_S for d in parts)
    assert "#EXT-X-PRELOAD-HINT:TYPE=PART" in text and "CAN-BLOCK-RELOAD=YES" in text
    init = re.search(r'#EXT-X-MAP:URI="\w+/(init-\w+)\.mp4"', text)
    assert init is not None
    data = packager.init(init[1]) + b"".join([await packager.part(0, i) for i in range(len(parts))])
    frames = decoded(data)
    assert len(frames) >= 100 and (frames[-1].width, frames[-1].height) == (320, 240)
    r, g, b = peers.mean_rgb(frames[-1])
    assert abs(r - 40) < 25 and abs(g - 200) < 25 and abs(b - 90) < 25
    with pytest.raises(HlsNotFound):
        packager.segment(0)  # still being written
    with pytest.raises(HlsNotFound):
        await packager.part(7, 0)  # far ahead: refused at once, not waited for
    with pytest.raises(HlsBadRequest):
        await packager.playlist(3)  # more than two segments past the last one


async def test_a_follower_cuts_where_the_leader_did_and_writes_the_same_bytes() -> None:
    packets = encoded_show(300, keyframe_every=30)
    bus: list[tuple[int, SegmentStart]] = []
    at = [0]  # the packet the leader is given: its decisions go on the bus just before it
    leader = Packager(True, announce=lambda start: bus.append((at[0], start)))
    for at[0], packet in enumerate(packets):
        leader.packet(*packet)
    # The follower joins a third of the way in, and hears each decision before its packet.
    follower = Packager(True)
    decisions = {at: SegmentStart.decode(start.encode()) for at, start in bus}
    for at, packet in enumerate(packets[len(packets) // 3 :], start=len(packets) // 3):
        if decisions.get(at) is not None:
            follower.segment_start(decisions[at])  # type: ignore[arg-type]
        follower.packet(*packet)
    assert follower.run == leader.run
    whole = [s.start.msn for s in follower._segments if s.complete]
    assert len(whole) >= 3
    for msn in whole:
        assert follower.segment(msn) == leader.segment(msn)
    assert len(decoded(leader.init(leader._listed()[0].init or "") + leader.segment(whole[0])))


def test_access_units_from_fragments_and_aggregates() -> None:
    sps, pps, idr = b"\x67\x42\xc0\x1f\xaa", b"\x68\xce\x3c\x80", b"\x65" + bytes(range(200))
    unit = AccessUnit(1, 10, True)
    unit.add(10, b"\x18" + len(sps).to_bytes(2, "big") + sps + len(pps).to_bytes(2, "big") + pps)
    unit.add(11, bytes((0x7C, 0x85)) + idr[1:100])  # FU-A start of an IDR
    unit.add(12, bytes((0x7C, 0x45)) + idr[100:])  # its end
    annex_b = unit.annex_b()
    assert annex_b is not None
    assert annexb_to_avcc(annex_b) == b"".join(
        len(n).to_bytes(4, "big") + n for n in (sps, pps, idr)
    )
    lost = AccessUnit(1, 10, True)
    lost.add(10, bytes((0x7C, 0x85)) + idr[1:100])
    lost.add(12, bytes((0x7C, 0x45)) + idr[100:])  # packet 11 never came
    assert lost.annex_b() is None


def test_segment_starts_from_the_bus_are_checked() -> None:
    assert SegmentStart.decode(b"not json") is None
    assert SegmentStart.decode(b'{"run": 1}') is None
    good = SegmentStart("ab12cd34", 3, 90000, 0, None, None, 1)
    assert SegmentStart.decode(good.encode()) == good


# -- through the server ---------------------------------------------------------------------


async def hls_get(run, path: str) -> tuple[int, bytes, dict]:
    async with run.http.get(run.url + path) as resp:
        return resp.status, await resp.read(), dict(resp.headers)


async def live_h264_show(run):
    show = await factory.show(run)
    host, offer = await peers.publisher_offer("h264")
    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host, answer)
    return show, host


async def first_playlist(run, stream_id: int) -> str:
    for _ in range(100):
        status, body, headers = await hls_get(run, f"/hls/{stream_id}/playlist.m3u8")
        if status == 200:
            assert headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
            return body.decode()
        assert status == 503, body  # no part yet
        await asyncio.sleep(0.2)
    raise AssertionError("no playlist")


async def test_an_ll_hls_client_plays_an_aiortc_host(running) -> None:
    show, host = await live_h264_show(running)
    base = f"/hls/{show.stream_id}"
    text = await first_playlist(running, show.stream_id)
    run = re.search(r'URI="(\w+)/init', text)
    assert run is not None
    # Blocking reload: ask for the part after the hinted one's segment's next part.
    hint = re.search(r'PRELOAD-HINT:TYPE=PART,URI="\w+/(\d+)\.(\d+)\.m4s"', text)
    assert hint is not None
    msn, part = int(hint[1]), int(hint[2])
    status, body, headers = await hls_get(
        running, f"{base}/playlist.m3u8?_HLS_msn={msn}&_HLS_part={part}"
    )
    assert status == 200 and headers["Cache-Control"] == "public, max-age=60"
    reloaded = body.decode()
    assert f"{msn}.{part}.m4s" in reloaded.split("PRELOAD-HINT")[0]
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', reloaded)
    assert init is not None
    status, init_data, headers = await hls_get(running, f"{base}/{init[1]}")
    assert status == 200 and "immutable" in headers["Cache-Control"]
    data = init_data
    for uri in re.findall(r'#EXT-X-PART:[^\n]*URI="([^"]+)"', reloaded):
        status, body, headers = await hls_get(running, f"{base}/{uri}")
        assert status == 200 and "immutable" in headers["Cache-Control"], uri
        data += body
    frames = decoded(data)
    assert len(frames) >= 5 and (frames[-1].width, frames[-1].height) == (320, 240)
    r, g, b = peers.mean_rgb(frames[-1])
    assert abs(r - 40) < 25 and abs(g - 200) < 25 and abs(b - 90) < 25
    await host.close()


async def test_the_same_segments_from_two_nodes_on_one_redis(start, node_b) -> None:  # noqa: F811
    node, config = node_b
    a = await start(config)
    show, host = await live_h264_show(a)
    await first_playlist(a, show.stream_id)
    # B follows the show over the bus from its first HLS request on.
    text_b = ""
    for _ in range(150):
        async with node.http.get(f"{node.url}/hls/{show.stream_id}/playlist.m3u8") as resp:
            text_b = await resp.text()
            if resp.status == 200 and text_b.count("#EXTINF") >= 2:
                break
        await asyncio.sleep(0.2)
    segments = re.findall(r"#EXTINF:[\d.]+,\n(\S+)", text_b)
    assert len(segments) >= 2, text_b
    for uri in segments:
        status, from_a, _ = await hls_get(a, f"/hls/{show.stream_id}/{uri}")
        async with node.http.get(f"{node.url}/hls/{show.stream_id}/{uri}") as resp:
            assert resp.status == 200
            from_b = await resp.read()
        assert status == 200 and from_a == from_b, uri
    packager = a.app[MEDIA].hls_packager(str(show.stream_id))
    assert packager is not None and packager.leader
    await host.close()
