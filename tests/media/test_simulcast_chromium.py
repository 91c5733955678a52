"""Simulcast with real peers: Chromium's fake camera publishes q/h/f layers into the relay,
two aiortc viewers decode; one whose link is throttled (its receiver's REMB says 100 kbps)
gets the low layer, and the higher ones again once the limit lifts. Frames decode
continuously across every switch (aiortc logs each frame that fails to decode)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiortc.rtp import RtcpPsfbPacket, pack_remb_fci

from media.broadcast import BroadcastConfig
from media.layer_selector import SelectorConfig
from media.service import MediaConfig, MediaService
from tests import peers
from tests.conftest import IN_CI

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/lib/chromium/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Plain host candidates: aiortc then needs no mDNS resolution of Chromium's.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
PUBLISH = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia(
    {audio: true, video: {width: 960, height: 540, frameRate: 15}});
  const pc = new RTCPeerConnection();
  window.pc = pc;
  pc.addTransceiver(stream.getVideoTracks()[0], {direction: "sendonly", sendEncodings: [
    {rid: "q", scaleResolutionDownBy: 4, maxBitrate: 60000},
    {rid: "h", scaleResolutionDownBy: 2, maxBitrate: 250000},
    {rid: "f", maxBitrate: 600000}]});
  pc.addTransceiver(stream.getAudioTracks()[0], {direction: "sendonly"});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
  });
  return pc.localDescription.sdp;
}"""
SENDING = """async () => {
  const stats = await window.pc.getStats();
  const out = {};
  stats.forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "video") out[s.rid] = s.frameWidth || 0;
  });
  return out;
}"""


class RembCap:
    """The viewer's receiver tells the relay, in REMB packets every quarter second, that its
    link carries `bps` (a congested cellular link would say so by itself)."""

    def __init__(self, pc: Any, show_ssrc: int) -> None:
        self._receiver = pc.getTransceivers()[0].receiver
        self._ssrc = show_ssrc
        self.bps: int | None = None
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            if self.bps is not None:
                fci = pack_remb_fci(self.bps, [self._ssrc])
                remb = RtcpPsfbPacket(fmt=15, ssrc=1, media_ssrc=0, fci=fci)
                await self._receiver._send_rtcp(remb)

    def stop(self) -> None:
        self._task.cancel()


class Watched:
    """A viewer's decoded frames: the widths seen, counted as they come."""

    def __init__(self, frames: asyncio.Queue) -> None:
        self.widths: list[int] = []
        self.at: list[float] = []
        self._task = asyncio.ensure_future(self._pump(frames))

    async def _pump(self, frames: asyncio.Queue) -> None:
        while True:
            frame = await frames.get()
            self.widths.append(frame.width)
            self.at.append(time.monotonic())

    async def width(self, predicate: Any, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.widths and all(predicate(w) for w in self.widths[-10:]):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"last widths {self.widths[-20:]}")

    def longest_gap_since(self, start: float) -> float:
        times = [t for t in self.at if t >= start]
        return max((b - a for a, b in itertools.pairwise(times)), default=99.0)

    def stop(self) -> None:
        self._task.cancel()


@pytest.fixture
async def page():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed")
    from playwright.async_api import async_playwright

    async def blank(_: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>simulcast</title>")

    app = web.Application()
    app.router.add_get("/", blank)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        tab = await browser.new_page()
        await tab.goto(f"http://127.0.0.1:{port}/")
        yield tab
        await browser.close()
    await runner.cleanup()


async def test_a_throttled_viewer_gets_the_low_layer_and_steps_back_up(page, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="aiortc.rtcrtpreceiver")
    selector = SelectorConfig(up_after_s=2.0, probe_s=2.0, longest_up_after_s=4.0)
    media = MediaService(MediaConfig(broadcast=BroadcastConfig(selector=selector)))
    try:
        session = await media.publish("1", await page.evaluate(PUBLISH))
        assert "a=simulcast:recv q;h;f" in session.sdp and "rtp-stream-id" in session.sdp
        await page.evaluate("(sdp) => window.pc.setRemoteDescription({type: 'answer', sdp})",
                            session.sdp)  # fmt: skip
        show = media._shows["1"]
        assert show.publisher is not None and show.publisher.layers == ("q", "h", "f")

        healthy_pc, healthy_frames = await peers.viewer_offer()
        throttled_pc, throttled_frames = await peers.viewer_offer()
        watchers = []
        for pc, frames in ((healthy_pc, healthy_frames), (throttled_pc, throttled_frames)):
            answer = await media.watch("1", pc.localDescription.sdp)
            await peers.accept(pc, answer.sdp)
            watchers.append(Watched(frames))
        healthy, throttled = watchers
        cap = RembCap(throttled_pc, show.broadcast.ssrcs("video")[0])

        # Chromium ramps its layers up as its bandwidth estimate grows.
        # Both start on the middle layer and probe up when the host sends the top one (this
        # shared machine's CPU decides whether Chromium's encoder keeps it going).
        await healthy.width(lambda w: w >= 480, seconds=45)
        sending = await page.evaluate(SENDING)
        assert {"q", "h"} <= set(sending), sending

        cap.bps = 100_000  # the middle layer does not fit; the low one does
        await throttled.width(lambda w: w <= 240, seconds=30)
        low_since = time.monotonic()
        await asyncio.sleep(3)
        assert throttled.longest_gap_since(low_since) < 1.5  # it keeps decoding the low layer
        assert min(healthy.widths[-10:]) >= 480

        errors_before = len(caplog.records)
        lifted = time.monotonic()
        cap.bps = 10_000_000
        await throttled.width(lambda w: w >= 480, seconds=30)
        assert throttled.longest_gap_since(lifted) < 1.5  # continuous across the switch up
        assert len(caplog.records) == errors_before, [r.getMessage() for r in caplog.records]

        layers = show.broadcast.metrics().layers
        assert sum(layers.viewers.values()) + layers.audio_only == 2
        assert layers.switches_down >= 1 and layers.switches_up >= 1
        for watcher in watchers:
            watcher.stop()
        cap.stop()
        await healthy_pc.close()
        await throttled_pc.close()
    finally:
        await media.close()
