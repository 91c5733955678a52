import asyncio

import av
import pytest
from aiortc.mediastreams import MediaStreamError

from media.forwarded_track import ForwardedTrack, Pushed


def packet(n: int) -> av.Packet:
    p = av.Packet(bytes([n]))
    p.pts = n
    return p


async def test_video_starts_at_a_keyframe() -> None:
    track = ForwardedTrack("video", capacity=4)
    assert track.push(packet(1), keyframe=False) is Pushed.WAITING_FOR_KEYFRAME
    assert track.push(packet(2), keyframe=True) is Pushed.QUEUED
    assert track.push(packet(3), keyframe=False) is Pushed.QUEUED
    assert [(await track.recv()).pts for _ in range(2)] == [2, 3]


async def test_a_slow_viewer_drops_to_the_next_keyframe() -> None:
    track = ForwardedTrack("video", capacity=3)
    track.push(packet(0), keyframe=True)
    track.push(packet(1), keyframe=False)
    track.push(packet(2), keyframe=False)
    assert track.push(packet(3), keyframe=False) is Pushed.OVERFLOWED
    assert track.dropped == 3 + 0  # the three queued frames
    assert track.push(packet(4), keyframe=False) is Pushed.WAITING_FOR_KEYFRAME
    assert track.push(packet(5), keyframe=True) is Pushed.QUEUED
    assert (await track.recv()).pts == 5


async def test_audio_never_waits_for_keyframes() -> None:
    track = ForwardedTrack("audio", capacity=2)
    assert track.push(packet(1), keyframe=False) is Pushed.QUEUED


async def test_stop_wakes_a_waiting_sender() -> None:
    track = ForwardedTrack("video", capacity=2)
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await waiting
