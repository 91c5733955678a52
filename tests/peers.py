"""Real aiortc peers for tests: a publisher with a synthetic camera, viewers that decode."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
from aiortc.rtcrtpsender import RTCRtpSender
from av import VideoFrame

COLOUR = (40, 200, 90)  # an RGB colour the viewers must see again after the relay


class ColourCamera(VideoStreamTrack):
    """A 320x240 camera showing one solid colour, at aiortc's default 30 fps pacing."""

    def __init__(self, rgb: tuple[int, int, int] = COLOUR) -> None:
        super().__init__()
        self._image = np.zeros((240, 320, 3), dtype=np.uint8)
        self._image[:, :] = rgb

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(self._image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def mean_rgb(frame: VideoFrame) -> tuple[int, int, int]:
    pixels = frame.to_ndarray(format="rgb24")
    return tuple(int(c) for c in pixels.reshape(-1, 3).mean(axis=0))  # type: ignore[return-value]


async def publisher_offer(
    codec: str | None = None, audio: bool = True, rgb: tuple[int, int, int] = COLOUR
) -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection()
    video = pc.addTransceiver(ColourCamera(rgb), direction="sendonly")
    if audio:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    if codec:
        caps = RTCRtpSender.getCapabilities("video").codecs
        video.setCodecPreferences([c for c in caps if c.mimeType.lower() == f"video/{codec}"])
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def viewer_offer(
    kinds: tuple[str, ...] = ("video", "audio"),
) -> tuple[RTCPeerConnection, asyncio.Queue]:
    """A viewer whose decoded video frames land on the returned queue."""
    pc = RTCPeerConnection()
    frames: asyncio.Queue = asyncio.Queue()
    for kind in kinds:
        pc.addTransceiver(kind, direction="recvonly")

    pumps: list[asyncio.Task] = []

    @pc.on("track")
    def on_track(track: Any) -> None:
        if track.kind == "video":
            pumps.append(asyncio.ensure_future(_pump(track, frames)))

    await pc.setLocalDescription(await pc.createOffer())
    return pc, frames


async def _pump(track: Any, frames: asyncio.Queue) -> None:
    try:
        while True:
            frames.put_nowait(await track.recv())
    except MediaStreamError:
        return


async def accept(pc: RTCPeerConnection, answer_sdp: str) -> None:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
