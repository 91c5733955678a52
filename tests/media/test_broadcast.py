"""The fan-out without peers: shared packets, keyframe gating, timestamps across hosts."""

from fractions import Fraction

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.broadcast import Broadcast
from media.forwarded_track import ForwardedTrack

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
KEY, DELTA = b"\x10\x02\x00", b"\x11\x02\x00"  # VP8 frame tag bit 0: 0 = keyframe


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def broadcast(clock: Clock | None = None) -> tuple[Broadcast, list[int]]:
    asked: list[int] = []
    return Broadcast(0.5, lambda: asked.append(1), clock or Clock()), asked


async def test_every_viewer_gets_the_same_packet_object() -> None:
    show, _ = broadcast()
    tracks = [ForwardedTrack("video", 4) for _ in range(3)]
    for n, track in enumerate(tracks):
        show.add_viewer(str(n), [track])
    show.forward("video", VP8, JitterFrame(KEY, timestamp=3000))
    packets = [track._queue.get_nowait() for track in tracks]
    assert all(p is packets[0] for p in packets)
    assert bytes(packets[0]) == KEY and packets[0].pts == 3000
    assert packets[0].time_base == Fraction(1, 90000)
    show.close()


async def test_a_joining_viewer_asks_once_and_starts_at_a_keyframe() -> None:
    show, asked = broadcast()
    track = ForwardedTrack("video", 4)
    show.add_viewer("v", [track])
    assert asked == [1]
    show.forward("video", VP8, JitterFrame(DELTA, timestamp=0))  # skipped, request coalesced
    show.forward("video", VP8, JitterFrame(KEY, timestamp=3000))
    assert asked == [1] and show.keyframes.coalesced == 1
    assert track._queue.qsize() == 1 and track._queue.get_nowait().pts == 3000
    show.close()


async def test_a_returning_host_continues_the_timeline_and_restarts_at_a_keyframe() -> None:
    clock = Clock()
    show, _ = broadcast(clock)
    video, audio = ForwardedTrack("video", 8), ForwardedTrack("audio", 8)
    show.add_viewer("v", [video, audio])
    show.forward("video", VP8, JitterFrame(KEY, timestamp=90000))
    show.forward("audio", OPUS, JitterFrame(b"a", timestamp=48000))
    clock.now = 2.0  # the host is away for two seconds, then a new one numbers from 0
    show.new_host()
    assert video.needs_keyframe and not audio.needs_keyframe
    show.forward("video", VP8, JitterFrame(DELTA, timestamp=0))  # not decodable: skipped
    show.forward("video", VP8, JitterFrame(KEY, timestamp=3000))
    show.forward("audio", OPUS, JitterFrame(b"b", timestamp=0))
    video_pts = [video._queue.get_nowait().pts for _ in range(2)]
    audio_pts = [audio._queue.get_nowait().pts for _ in range(2)]
    assert video_pts == [90000, 90000 + 2 * 90000 + 1 + 3000]
    assert audio_pts == [48000, 48000 + 2 * 48000 + 1]
    show.close()


async def test_frames_without_viewers_are_counted_and_dropped() -> None:
    show, _ = broadcast()
    show.forward("video", VP8, JitterFrame(KEY, timestamp=0))
    assert show.frames_in == 1 and show.viewer_count == 0
