"""The relay with real aiortc peers: publishers, viewers that decode, errors, teardown."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection, RTCRtpSender

from media import aiortc_hooks
from media.aiortc_hooks import SrtpPath
from media.broadcast import BroadcastConfig
from media.egress import Egress
from media.exceptions import (
    AlreadyPublishing,
    InvalidOffer,
    NotLive,
    SessionNotFound,
    UnsupportedCodec,
)
from media.service import MediaConfig, MediaService
from tests import peers


def only(mime: str) -> list:
    return [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == mime]


@pytest.fixture
async def media():
    service = MediaService(MediaConfig())
    yield service
    await service.close()


async def live(media: MediaService, key: str = "1", codec: str | None = None, audio: bool = True):
    pc, offer = await peers.publisher_offer(codec, audio)
    session = await media.publish(key, offer)
    await peers.accept(pc, session.sdp)
    return pc, session


async def viewer(media: MediaService, key: str = "1", kinds: tuple[str, ...] = ("video", "audio")):
    pc, frames = await peers.viewer_offer(kinds)
    session = await media.watch(key, pc.localDescription.sdp)
    await peers.accept(pc, session.sdp)
    return pc, frames, session


async def frames_within(frames: asyncio.Queue, count: int, seconds: float = 15.0) -> list:
    async with asyncio.timeout(seconds):
        return [await frames.get() for _ in range(count)]


@pytest.mark.parametrize("codec", ["h264", "vp8"])
async def test_two_viewers_decode_the_hosts_picture(media, codec) -> None:
    host, session = await live(media, codec=codec)
    # Publishers are answered as DTLS server: RSA-certificate encoders (OBS, GStreamer) need it.
    assert "a=setup:passive" in session.sdp and "a=setup:active" not in session.sdp
    show = media._shows["1"]
    assert show.publisher.codecs["video"].mimeType.lower() == f"video/{codec}"
    watchers = [await viewer(media) for _ in range(2)]
    for _, frames, _ in watchers:
        got = await frames_within(frames, 5)
        r, g, b = peers.mean_rgb(got[-1])
        assert abs(r - 40) < 25 and abs(g - 200) < 25 and abs(b - 90) < 25
    # Encode-once: the server decoded nothing. The host's receiver track got no frames.
    receiver_track = show.publisher.transceivers["video"].receiver.track
    assert receiver_track._queue.qsize() == 0
    assert show.broadcast.metrics().packets_in > 0 and media.viewer_count("1") == 2
    for pc, _, _ in watchers:
        await pc.close()
    await host.close()


async def test_video_only_hosts_and_viewers(media) -> None:
    host, _ = await live(media, audio=False)  # a camera without a microphone
    assert set(media._shows["1"].publisher.codecs) == {"video"}
    both, frames, _ = await viewer(media)  # offers audio too: answered for video only
    assert len(await frames_within(frames, 2)) == 2
    only_video, frames, _ = await viewer(media, kinds=("video",))
    assert len(await frames_within(frames, 2)) == 2
    for pc in (host, both, only_video):
        await pc.close()


async def test_a_viewer_that_takes_no_kind_the_show_has_is_refused(media) -> None:
    host, _ = await live(media, audio=False)
    pc, _ = await peers.viewer_offer(("audio",))
    with pytest.raises(UnsupportedCodec):
        await media.watch("1", pc.localDescription.sdp)
    for peer in (host, pc):
        await peer.close()


async def test_h264_is_preferred_when_offered(media) -> None:
    host, _ = await live(media)  # aiortc offers VP8 first, then H.264
    assert media._shows["1"].publisher.codecs["video"].mimeType == "video/H264"
    await host.close()


async def late_viewer(gop_cache_age_s: float):
    """A VP8 show running for a second (aiortc's VP8 keyframes are ~100 s apart), then a late
    viewer: (service, keyframe requests before it joined, its frames, peers)."""
    media = MediaService(MediaConfig(broadcast=BroadcastConfig(gop_cache_age_s=gop_cache_age_s)))
    host, _ = await live(media, codec="vp8")
    first, frames, _ = await viewer(media)
    await frames_within(frames, 3)
    await asyncio.sleep(1.0)
    # (The first viewer may have asked for one: it can connect before the host's media flows.)
    asked = media._shows["1"].broadcast.keyframes.sent
    late, frames, _ = await viewer(media)
    return media, asked, frames, (first, late, host)


async def test_a_joining_viewer_gets_the_cached_gop_without_disturbing_the_host() -> None:
    media, asked, frames, pcs = await late_viewer(gop_cache_age_s=60)
    picture = (await frames_within(frames, 1, seconds=5))[0]
    assert peers.mean_rgb(picture)[1] > 150  # a whole picture, decoded from the cached GOP
    assert media._shows["1"].broadcast.keyframes.sent == asked
    for pc in pcs:
        await pc.close()
    await media.close()


async def test_without_a_young_gop_a_joining_viewer_asks_the_host_for_a_keyframe() -> None:
    media, asked, frames, pcs = await late_viewer(gop_cache_age_s=0)
    # Without the request the late viewer would wait for aiortc's next natural keyframe, about
    # 100 s away: a picture at all within the wait proves the request reached the host.
    await frames_within(frames, 1, seconds=10)
    assert media._shows["1"].broadcast.keyframes.sent == asked + 1
    for pc in pcs:
        await pc.close()
    await media.close()


async def test_a_backed_up_viewer_does_not_hold_back_others(media) -> None:
    host, _ = await live(media, codec="vp8")
    healthy, frames, _ = await viewer(media)
    await frames_within(frames, 2)
    # A second viewer whose socket never drains: it is dropped to keyframes, nothing queues.
    show = media._shows["1"]
    unused = RTCPeerConnection()
    sender = unused.addTransceiver("video", direction="sendonly").sender
    sent: list[bytes] = []
    stuck = Egress(
        "video",
        sender,
        96,
        None,
        0,
        1000,
        show.broadcast.keyframes.request,
        path_of=lambda _: SrtpPath(sent.append, lambda: 10**9),
    )
    show.broadcast.add_viewer("stuck", [stuck])
    await frames_within(frames, 30)  # the healthy viewer keeps getting every frame
    assert stuck.lagged >= 1 and stuck.dropped > 0 and len(sent) < 30
    for pc in (healthy, host, unused):
        await pc.close()


async def test_refusals(media) -> None:
    with pytest.raises(NotLive):
        await media.watch("1", "v=0\r\n")
    with pytest.raises(InvalidOffer):
        await media.publish("1", "not sdp")
    with pytest.raises(InvalidOffer):
        await media.publish("1", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n")
    host, session = await live(media)
    second, offer = await peers.publisher_offer()
    with pytest.raises(AlreadyPublishing):
        await media.publish("1", offer)
    with pytest.raises(SessionNotFound):
        await media.unpublish("1", "nope")
    with pytest.raises(SessionNotFound):
        await media.unwatch("1", "nope")
    with pytest.raises(InvalidOffer):
        await media.watch("1", "garbage")
    await media.unpublish("1", session.session_id)
    assert not media.is_publishing("1")
    for pc in (host, second):
        await pc.close()


async def test_listeners_hear_the_host_come_and_go(media) -> None:
    heard = []
    media.add_listener(lambda key, event: heard.append((key, event)))
    host, session = await live(media, key="7")
    await media.unpublish("7", session.session_id)
    assert heard == [("7", "publisher_connected"), ("7", "publisher_disconnected")]
    await host.close()


async def test_a_host_that_drops_is_noticed_and_can_publish_again(media) -> None:
    heard = []
    dropped = asyncio.Event()

    def listen(key: str, event: str) -> None:
        heard.append(event)
        if event == "publisher_disconnected":
            dropped.set()

    media.add_listener(listen)
    host, _ = await live(media, codec="vp8")
    watcher, frames, _ = await viewer(media)
    await frames_within(frames, 2)
    await host.close()  # no DELETE: the connection just ends
    await asyncio.wait_for(dropped.wait(), 10)
    assert (
        not media.is_publishing("1")
        and heard[-1] == "publisher_disconnected"
        and media.viewer_count("1") == 1
    )
    again, _ = await live(media, codec="vp8")
    assert media.is_publishing("1")
    await watcher.close()
    await again.close()


async def test_a_viewer_that_cannot_take_the_hosts_codec_is_refused(media) -> None:
    host, _ = await live(media, codec="h264", audio=False)
    pc = RTCPeerConnection()
    only_vp8 = [
        c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"
    ]
    pc.addTransceiver("video", direction="recvonly").setCodecPreferences(only_vp8)
    await pc.setLocalDescription(await pc.createOffer())
    with pytest.raises(UnsupportedCodec, match="no codec"):
        await media.watch("1", pc.localDescription.sdp)
    assert media.viewer_count("1") == 0
    for peer in (host, pc):
        await peer.close()


async def test_unpublish_closes_the_hosts_connection_and_keeps_viewers(media) -> None:
    host, session = await live(media, codec="vp8")
    watcher, frames, _ = await viewer(media)
    await frames_within(frames, 1)
    publisher_pc = media._shows["1"].publisher.pc
    await media.unpublish("1", session.session_id)
    assert publisher_pc.connectionState == "closed" and not media.is_publishing("1")
    assert media.viewer_count("1") == 1 and watcher.connectionState == "connected"
    with pytest.raises(SessionNotFound):
        await media.unpublish("1", session.session_id)
    for pc in (host, watcher):
        await pc.close()


async def test_a_returning_host_feeds_the_waiting_viewers_again(media) -> None:
    host, session = await live(media, codec="vp8")
    watcher, frames, _ = await viewer(media)
    assert peers.mean_rgb((await frames_within(frames, 2))[-1])[1] > 150  # green
    await media.unpublish("1", session.session_id)
    await host.close()
    again = RTCPeerConnection()
    camera = again.addTransceiver(peers.ColourCamera((220, 30, 30)), direction="sendonly")
    camera.setCodecPreferences(only("video/VP8"))  # the codec the viewer negotiated
    await again.setLocalDescription(await again.createOffer())
    offer = again.localDescription.sdp
    await peers.accept(again, (await media.publish("1", offer)).sdp)
    async with asyncio.timeout(10):
        while peers.mean_rgb(await frames.get())[0] < 150:
            pass  # frames of the first host still in flight
    for pc in (watcher, again):
        await pc.close()


async def test_a_returning_host_with_another_codec_closes_the_viewers(media) -> None:
    host, session = await live(media, codec="vp8")
    watcher, _, watching = await viewer(media)
    await media.unpublish("1", session.session_id)
    again, _ = await live(media, codec="h264")
    assert media.viewer_count("1") == 0
    with pytest.raises(SessionNotFound):
        await media.unwatch("1", watching.session_id)
    for pc in (host, watcher, again):
        await pc.close()


async def test_end_closes_everyone(media) -> None:
    host, _ = await live(media)
    watcher, frames, session = await viewer(media)
    await frames_within(frames, 1)
    await media.end("1")
    assert not media.is_publishing("1") and media.viewer_count("1") == 0
    with pytest.raises(SessionNotFound):
        await media.unwatch("1", session.session_id)
    for pc in (host, watcher):
        await pc.close()


async def eventually(condition, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not true within {seconds} s")


async def test_a_viewer_that_never_connects_is_reaped() -> None:
    media = MediaService(MediaConfig(connect_timeout_s=0.5))
    host, _ = await live(media)
    pc, _ = await peers.viewer_offer()
    await media.watch("1", pc.localDescription.sdp)  # the answer never reaches the viewer
    assert media.viewer_count("1") == 1
    await eventually(lambda: media.viewer_count("1") == 0, seconds=5)
    for peer in (pc, host):
        await peer.close()
    await media.close()


async def test_a_viewer_that_goes_silent_loses_consent_and_is_reaped() -> None:
    media = MediaService(MediaConfig(consent_interval_s=0.2, consent_failures=2))
    try:
        host, _ = await live(media)
        watcher, frames, _ = await viewer(media)
        await frames_within(frames, 2)
        # The viewer's network goes away without a goodbye: its socket just stops answering.
        connection = watcher.getTransceivers()[0].receiver.transport.transport._connection
        for pair in connection._nominated.values():
            pair.protocol.transport.close()
        await eventually(lambda: media.viewer_count("1") == 0, seconds=10)
        assert media.is_publishing("1")  # the host, who answers, keeps its consent
        for peer in (watcher, host):
            await peer.close()
    finally:
        await media.close()
        aiortc_hooks.consent_timing(5.0, 6)  # aioice's defaults, process-wide


async def test_a_publisher_with_an_rsa_certificate_connects(media) -> None:
    """OBS and GStreamer present RSA certificates. aiortc's DTLS offers only ECDSA suites, so
    such a publisher works only when the relay is the DTLS server (it answers setup:passive).
    The test's publisher is aiortc with an RSA certificate: as DTLS server it could not
    complete any handshake at all, so video flowing proves the relay took the server role."""
    from aiortc.rtcdtlstransport import RTCCertificate, generate_certificate
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pc = RTCPeerConnection()
    pc._RTCPeerConnection__certificates = [RTCCertificate(key, generate_certificate(key))]
    camera = pc.addTransceiver(peers.ColourCamera(), direction="sendonly")
    camera.setCodecPreferences(only("video/VP8"))
    await pc.setLocalDescription(await pc.createOffer())
    assert "a=setup:actpass" in pc.localDescription.sdp
    session = await media.publish("1", pc.localDescription.sdp)
    await peers.accept(pc, session.sdp)
    watcher, frames, _ = await viewer(media)
    assert peers.mean_rgb((await frames_within(frames, 2))[-1])[1] > 150
    for peer in (watcher, pc):
        await peer.close()
