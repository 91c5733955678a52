"""Media relay benchmark: Shopcast's encode-once relay against aiortc's MediaRelay, one run.

One synthetic publisher sends a pre-encoded clip (H.264 or VP8, 30 fps, ~1 Mbps); N viewers in
separate load-generator processes receive it and count packets and frames without decoding.
The relay under test runs alone in its own process; its CPU time and memory come from /proc.

    .venv/bin/python bench/media.py                       # defaults below, a few minutes
    .venv/bin/python bench/media.py --viewers 10 50 --baseline-viewers 5 --codec vp8

Prints a table and writes bench/results/media.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from aiohttp import ClientConnectorError, ClientSession, web
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from media import aiortc_hooks  # noqa: E402
from media.service import MediaConfig, MediaService  # noqa: E402

FPS = 30
CLOCK = 90_000
CLIP_SECONDS = 4
VIEWERS_PER_PROCESS = 25
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- the synthetic publisher -------------------------------------------------------------------


def encode_clip(codec: str, width: int, height: int, bitrate: int) -> list[tuple[bytes, bool]]:
    """A moving pattern encoded once: (frame bytes, is keyframe), first frame a keyframe."""
    encoder = av.CodecContext.create("libx264" if codec == "h264" else "libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base, encoder.framerate = Fraction(1, FPS), Fraction(FPS, 1)
    encoder.bit_rate = bitrate
    encoder.gop_size = FPS * CLIP_SECONDS
    if codec == "h264":
        encoder.profile = "Baseline"
        encoder.options = {"tune": "zerolatency", "preset": "veryfast"}
    else:
        encoder.options = {"deadline": "realtime", "cpu-used": "8"}
    y, x = np.mgrid[0:height, 0:width]
    frames = []
    for n in range(FPS * CLIP_SECONDS):
        image = ((x + 4 * n) ^ (y + 2 * n)).astype(np.uint8)
        rgb = np.stack([image, np.roll(image, n, axis=0), 255 - image], axis=-1)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = n
        frames += [(bytes(p), bool(p.is_keyframe)) for p in encoder.encode(frame)]
    frames += [(bytes(p), bool(p.is_keyframe)) for p in encoder.encode(None)]
    return frames


class ClipTrack(MediaStreamTrack):
    """Plays the clip in a loop at 30 fps as encoded packets; a keyframe request restarts it."""

    kind = "video"

    def __init__(self, clip: list[tuple[bytes, bool]]) -> None:
        super().__init__()
        self._clip = clip
        self._n = 0
        self._index = 0
        self._start = time.monotonic()

    def restart(self) -> None:
        self._index = 0

    async def recv(self) -> av.Packet:  # type: ignore[override]
        self._n += 1
        await asyncio.sleep(max(0.0, self._start + self._n / FPS - time.monotonic()))
        data, _ = self._clip[self._index % len(self._clip)]
        self._index += 1
        packet = av.Packet(data)
        packet.pts, packet.time_base = self._n * CLOCK // FPS, Fraction(1, CLOCK)
        return packet


async def start_publisher(url: str, clip: list, codec: str) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    track = ClipTrack(clip)
    transceiver = pc.addTransceiver(track, direction="sendonly")
    caps = [c for c in RTCRtpSender.getCapabilities("video").codecs if codec in c.mimeType.lower()]
    transceiver.setCodecPreferences(caps)
    aiortc_hooks.on_keyframe_request(transceiver.sender, track.restart)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await post(url + "/publish", pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    return pc


async def post(url: str, sdp: str) -> str:
    for attempt in range(50):  # the relay process may still be binding its port
        try:
            async with ClientSession() as http, http.post(url, data=sdp) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"{url}: {resp.status} {await resp.text()}")
                return await resp.text()
        except ClientConnectorError:
            await asyncio.sleep(0.1 * (attempt + 1))
    raise RuntimeError(f"{url}: nothing listens")


# -- the relays under test ---------------------------------------------------------------------


def shopcast_app() -> web.Application:
    media = MediaService(MediaConfig())

    async def publish(request: web.Request) -> web.Response:
        session = await media.publish("bench", await request.text())
        return web.Response(status=201, text=session.sdp)

    async def watch(request: web.Request) -> web.Response:
        session = await media.watch("bench", await request.text())
        return web.Response(status=201, text=session.sdp)

    app = web.Application()
    app.router.add_post("/publish", publish)
    app.router.add_post("/watch", watch)
    return app


def aiortc_app() -> web.Application:
    from aiortc.contrib.media import MediaRelay  # the per-viewer re-encoding baseline

    relay, source, peers = MediaRelay(), {}, set()

    async def publish(request: web.Request) -> web.Response:
        pc = RTCPeerConnection()
        peers.add(pc)
        pc.on("track", lambda track: source.setdefault("video", track))
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.Response(status=201, text=pc.localDescription.sdp)

    async def watch(request: web.Request) -> web.Response:
        pc = RTCPeerConnection()
        peers.add(pc)
        pc.addTrack(relay.subscribe(source["video"]))
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.Response(status=201, text=pc.localDescription.sdp)

    app = web.Application()
    app.router.add_post("/publish", publish)
    app.router.add_post("/watch", watch)
    return app


# -- viewers: receive and count, never decode --------------------------------------------------


async def run_viewers(url: str, count: int, seconds: float) -> dict:
    stats = {"packets": 0, "frames": 0, "bytes": 0, "first_frame_ms": []}
    peers = []
    for _ in range(count):
        pc = RTCPeerConnection()
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        connected_at: list[float] = []
        seen: list[float] = []

        def on_frame(codec, frame, connected_at=connected_at, seen=seen) -> None:
            stats["frames"] += 1
            stats["bytes"] += len(frame.data)
            if not seen and connected_at:
                seen.append(time.monotonic())
                stats["first_frame_ms"].append((seen[0] - connected_at[0]) * 1000)

        aiortc_hooks.tap_encoded_frames(receiver, on_frame)
        original = receiver._handle_rtp_packet

        async def counted(packet, arrival_time_ms, original=original) -> None:
            stats["packets"] += 1
            await original(packet, arrival_time_ms)

        receiver._handle_rtp_packet = counted  # type: ignore[method-assign]
        pc.on(
            "connectionstatechange",
            lambda pc=pc, c=connected_at: (
                pc.connectionState == "connected" and c.append(time.monotonic())
            ),
        )
        await pc.setLocalDescription(await pc.createOffer())
        answer = await post(url + "/watch", pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        peers.append(pc)
    await asyncio.sleep(3.0)  # let everyone connect and reach a keyframe
    print("ready", flush=True)
    for key in ("packets", "frames", "bytes"):
        stats[key] = 0
    await asyncio.sleep(seconds)
    result = dict(stats)
    for pc in peers:
        await pc.close()
    return result


# -- orchestration -----------------------------------------------------------------------------


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def proc_rss(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )


async def measure(relay: str, viewers: int, codec: str, clip: list, seconds: float, port: int):
    server = spawn("--role", "server", "--relay", relay, "--port", str(port))
    assert server.stdout is not None
    server.stdout.readline()  # "listening"
    url = f"http://127.0.0.1:{port}"
    publisher = await start_publisher(url, clip, codec)
    await asyncio.sleep(1.0)
    rss_before = proc_rss(server.pid)
    loads = []
    for i in range(math.ceil(viewers / VIEWERS_PER_PROCESS)):
        n = min(VIEWERS_PER_PROCESS, viewers - i * VIEWERS_PER_PROCESS)
        loads.append(
            spawn("--role", "viewers", "--url", url, "--count", str(n), "--seconds", str(seconds))
        )
    for load in loads:
        await asyncio.to_thread(load.stdout.readline)  # "ready"
    cpu_before, started = proc_cpu_s(server.pid), time.monotonic()
    results = [json.loads(await asyncio.to_thread(load.stdout.read)) for load in loads]
    elapsed = time.monotonic() - started
    cpu = proc_cpu_s(server.pid) - cpu_before
    rss = proc_rss(server.pid)
    await publisher.close()
    server.terminate()
    server.wait()
    packets = sum(r["packets"] for r in results)
    frames = sum(r["frames"] for r in results)
    first = sorted(ms for r in results for ms in r["first_frame_ms"])
    expected = FPS * seconds * viewers
    return {
        "relay": relay,
        "codec": codec,
        "viewers": viewers,
        "server_cpu_cores": cpu / elapsed,
        "server_cpu_per_viewer_cores": cpu / elapsed / viewers,
        "server_cpu_us_per_packet": cpu / packets * 1e6 if packets else None,
        "packets_forwarded": packets,
        "frames_received_ratio": frames / expected,
        "first_frame_ms_p50": statistics.median(first) if first else None,
        "first_frame_ms_p99": first[min(len(first) - 1, int(len(first) * 0.99))] if first else None,
        "server_rss_per_viewer_kib": (rss - rss_before) / viewers / 1024,
        "mbps_per_viewer": sum(r["bytes"] for r in results) * 8 / seconds / viewers / 1e6,
    }


def table(rows: list[dict]) -> str:
    cols = [
        ("relay", "{}"),
        ("codec", "{}"),
        ("viewers", "{}"),
        ("server_cpu_cores", "{:.2f}"),
        ("server_cpu_per_viewer_cores", "{:.4f}"),
        ("server_cpu_us_per_packet", "{:.1f}"),
        ("frames_received_ratio", "{:.3f}"),
        ("first_frame_ms_p50", "{:.0f}"),
        ("first_frame_ms_p99", "{:.0f}"),
        ("server_rss_per_viewer_kib", "{:.0f}"),
        ("mbps_per_viewer", "{:.2f}"),
    ]
    lines = [" | ".join(name for name, _ in cols)]
    for row in rows:
        lines.append(
            " | ".join("-" if row[name] is None else fmt.format(row[name]) for name, fmt in cols)
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    clip = encode_clip(args.codec, args.width, args.height, args.bitrate)
    rows = []
    plan = [("shopcast", n) for n in args.viewers] + [("aiortc", n) for n in args.baseline_viewers]
    for i, (relay, n) in enumerate(plan):
        rows.append(await measure(relay, n, args.codec, clip, args.seconds, 18700 + i))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    ours = {r["viewers"]: r for r in rows if r["relay"] == "shopcast"}
    base = [r for r in rows if r["relay"] == "aiortc"]
    ratios = {
        f"aiortc_{b['viewers']}_vs_shopcast_{n}": b["server_cpu_per_viewer_cores"]
        / r["server_cpu_per_viewer_cores"]
        for b in base
        for n, r in ours.items()
        if r["server_cpu_per_viewer_cores"] > 0
    }
    print("\n" + table(rows))
    for name, ratio in ratios.items():
        print(f"CPU per viewer, {name}: {ratio:.1f}x")
    out = ROOT / "bench" / "results" / "media.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "role"}
    out.write_text(json.dumps({"settings": settings, "rows": rows, "ratios": ratios}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


def serve(relay: str, port: int) -> None:
    app = shopcast_app() if relay == "shopcast" else aiortc_app()
    print("listening", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="main", choices=["main", "server", "viewers"])
    parser.add_argument("--relay", default="shopcast")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--url", default="")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--viewers", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--baseline-viewers", type=int, nargs="+", default=[10])
    parser.add_argument("--codec", choices=["h264", "vp8"], default="h264")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--bitrate", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    if args.role == "server":
        serve(args.relay, args.port)
    elif args.role == "viewers":
        print(json.dumps(asyncio.run(run_viewers(args.url, args.count, args.seconds))), flush=True)
    else:
        asyncio.run(main(args))
