"""Media relay benchmark: Shopcast's encode-once relay against aiortc's MediaRelay, one run.

One synthetic publisher sends a pre-encoded clip (H.264 or VP8, 30 fps, ~1 Mbps); N viewers in
separate load-generator processes receive it and count packets and frames without decoding.
The relay under test runs alone in its own process; its CPU time and memory come from /proc.
`--server-cpus 0 --load-cpus 1` puts the relay and the viewers' processes on cores of their own
(taskset); the publisher runs in this process, which stays where it is.

    .venv/bin/python bench/media.py                       # defaults below, a few minutes
    .venv/bin/python bench/media.py --viewers 10 50 --baseline-viewers 5 --codec vp8
    .venv/bin/python bench/media.py --viewers 50 100 --workers 2   # each also on 2 workers

Simulcast: the forwarding path alone (in this process, no load generators) forwards the same
full-layer packets once from a single-layer host and once from a q/h/f simulcast host (whose
half and quarter layers also arrive, and whose viewers' layers are chosen twice a second),
interleaved three times (medians); the table gives CPU per viewer per full-layer packet and
the extra simulcast costs per viewer (target < 15 %). `--only-simulcast` runs just that.

`--workers N` also runs the Shopcast relay, for each viewer count, as N worker processes on one
port (SO_REUSEPORT, kept by the Supervisor `shopcast serve --workers N` uses), sharing the show
through the media bus (media/bus.py) on a flushed Redis database: the publisher lands on one
worker and the viewers, connecting to the one port, on either; the row beside it is one process
without Redis, and the notes compare CPU per viewer, loss and each process's CPU.

Prints a table and writes bench/results/media.json (`--out` elsewhere), with the machine, the
commit and the time of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from aiohttp import ClientSession, web
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtp import RtpPacket, is_rtcp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout import (  # noqa: E402
    SIMULCAST_COLUMNS,
    fanout_only,
    simulcast_against_single,
    simulcast_notes,
)
from bench.harness import backends, processes, report, usage  # noqa: E402
from bench.harness.processes import Child  # noqa: E402
from bench.harness.record import Record  # noqa: E402
from bench.harness.report import Column, quantile  # noqa: E402
from bench.harness.report import shown_number as number  # noqa: E402
from bench.harness.usage import Sample  # noqa: E402
from media import aiortc_hooks  # noqa: E402
from media.bus import MediaBus  # noqa: E402
from media.keyframes import starts_keyframe  # noqa: E402
from media.service import MediaConfig, MediaService  # noqa: E402

FPS = 30
CLOCK = 90_000
CLIP_SECONDS = 4
VIEWERS_PER_PROCESS = 25


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


async def start_publisher(
    url: str, clip: list, codec: str, sent: dict[int, float]
) -> RTCPeerConnection:
    """Publish the clip; `sent` gets each frame's RTP timestamp -> when its first packet left."""
    pc = RTCPeerConnection()
    track = ClipTrack(clip)
    transceiver = pc.addTransceiver(track, direction="sendonly")
    caps = [c for c in RTCRtpSender.getCapabilities("video").codecs if codec in c.mimeType.lower()]
    transceiver.setCodecPreferences(caps)
    aiortc_hooks.on_keyframe_request(transceiver.sender, track.restart)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await post(url + "/publish", pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    dtls = transceiver.sender.transport
    send_rtp = dtls._send_rtp

    async def timed(data: bytes) -> None:
        if not is_rtcp(data):
            sent.setdefault(int.from_bytes(data[4:8], "big"), time.monotonic())
        await send_rtp(data)

    dtls._send_rtp = timed  # type: ignore[method-assign]
    return pc


async def post(url: str, sdp: str) -> str:
    async with ClientSession() as http, http.post(url, data=sdp) as resp:
        if resp.status != 201:
            raise RuntimeError(f"{url}: {resp.status} {await resp.text()}")
        return await resp.text()


# -- the relays under test ---------------------------------------------------------------------


def shopcast_app(bus: MediaBus | None = None, worker: int = 0) -> web.Application:
    """The relay; with a bus, one node of several that share shows through Redis (a worker)."""
    media = MediaService(MediaConfig(), bus)

    async def publish(request: web.Request) -> web.Response:
        session = await media.publish("bench", await request.text())
        return web.Response(status=201, text=session.sdp)

    async def watch(request: web.Request) -> web.Response:
        session = await media.watch("bench", await request.text())
        return web.Response(status=201, text=session.sdp)

    async def stats(request: web.Request) -> web.Response:
        metrics = media.metrics().get("bench")
        if metrics is None:
            return web.json_response({})
        return web.json_response(
            {
                "latency": metrics.latency.cumulative()[:-1],
                "latency_count": metrics.latency.count,
                "latency_total": metrics.latency.total,
                "packets_in": metrics.packets_in,
                "packets_out": metrics.out.packets,
                "dropped": metrics.out.dropped,
            }
        )

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({}, headers={"Shopcast-Worker": f"{worker}/{os.getpid()}"})

    async def start(_: web.Application) -> None:
        await media.start()

    app = web.Application()
    app.router.add_post("/publish", publish)
    app.router.add_post("/watch", watch)
    app.router.add_get("/stats", stats)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(start)
    app.on_shutdown.append(lambda _: media.close())
    return app


def aiortc_app() -> web.Application:
    from aiortc.contrib.media import MediaRelay  # the per-viewer re-encoding baseline

    relay, source, peers = MediaRelay(), dict[str, MediaStreamTrack](), set()

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


class ViewerCounts:
    """One viewer's tally, taken where aiortc hands over each decrypted RTP packet."""

    def __init__(self, mime: str, sample: bool) -> None:
        self.mime = mime
        self.sample = sample  # keep per-frame arrival times for the latency figures
        self.packets = self.frames = self.bytes = 0
        self.first_seq: int | None = None
        self.highest = 0  # extended sequence number
        self.connected_at: float | None = None
        self.first_frame_ms: float | None = None
        self.keyframe_seen = False
        self.arrivals: dict[int, float] = {}

    def reset(self) -> None:
        self.packets = self.frames = self.bytes = 0
        self.first_seq = None
        self.arrivals = {}

    def packet(self, packet: RtpPacket) -> None:
        """A decrypted packet, through aiortc: used until the first picture is complete."""
        if not self.keyframe_seen and starts_keyframe(self.mime, packet.payload):
            self.keyframe_seen = True
        self.count(packet.sequence_number, packet.timestamp, bool(packet.marker), packet.payload)

    def datagram(self, data: bytes) -> None:
        """An SRTP datagram straight off the socket: the RTP header is in the clear."""
        if len(data) >= 22:
            self.count(
                int.from_bytes(data[2:4], "big"),
                int.from_bytes(data[4:8], "big"),
                bool(data[1] & 0x80),
                data[12:-10],  # minus the 10-byte SRTP auth tag; still encrypted, counted only
            )

    def count(self, seq: int, timestamp: int, marker: bool, payload: bytes) -> None:
        now = time.monotonic()
        self.packets += 1
        self.bytes += len(payload)
        if self.first_seq is None:
            self.first_seq = self.highest = seq
        else:  # unwrap relative to the highest seen
            delta = (seq - self.highest) % 65536
            if delta < 32768:
                self.highest += delta
        if self.sample:
            self.arrivals.setdefault(timestamp, now)
        if marker:
            self.frames += 1
            if self.keyframe_seen and self.first_frame_ms is None and self.connected_at:
                self.first_frame_ms = (now - self.connected_at) * 1000

    def lost(self) -> int:
        if self.first_seq is None:
            return 0
        return max(0, self.highest - self.first_seq + 1 - self.packets)


def take_over_socket(pc: RTCPeerConnection, tally: ViewerCounts) -> None:
    """Once a viewer has its first picture, count its RTP right where the socket delivers it,
    skipping aiortc's per-packet decrypt and dispatch, so one load process carries dozens of
    viewers. STUN and RTCP still go to aiortc (the relay's consent checks need answers)."""
    dtls = pc.getTransceivers()[0].receiver.transport
    protocol = dtls.transport._connection._nominated[1].protocol
    if getattr(protocol, "counted", False):
        return
    original = protocol.datagram_received

    def datagram_received(data: bytes, addr: tuple) -> None:
        if 127 < data[0] < 192 and not 192 <= data[1] <= 223:  # RTP, not RTCP
            tally.datagram(data)
        else:
            original(data, addr)

    setattr(protocol, "datagram_received", datagram_received)  # noqa: B010 (a method, replaced)
    setattr(protocol, "counted", True)  # noqa: B010


async def run_viewers(url: str, count: int, seconds: float, codec: str) -> dict:
    mime = f"video/{codec}"
    tallies, peers = [], []
    for n in range(count):
        pc = RTCPeerConnection()
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        tally = ViewerCounts(mime, sample=n < 2)

        async def count_only(packet, arrival_time_ms, tally=tally, pc=pc) -> None:
            tally.packet(packet)  # no jitter buffer, no decoding: a load generator, not a player
            if tally.first_frame_ms is not None:
                take_over_socket(pc, tally)

        receiver._handle_rtp_packet = count_only  # type: ignore[method-assign]

        def connected(pc: RTCPeerConnection = pc, tally: ViewerCounts = tally) -> None:
            if pc.connectionState == "connected":
                tally.connected_at = time.monotonic()

        pc.on("connectionstatechange", connected)
        await pc.setLocalDescription(await pc.createOffer())
        answer = await post(url + "/watch", pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        tallies.append(tally)
        peers.append(pc)
    await asyncio.sleep(3.0)  # let everyone connect and reach a keyframe
    print("ready", flush=True)
    for tally in tallies:
        tally.reset()
    await asyncio.sleep(seconds)
    result = {
        "packets": sum(t.packets for t in tallies),
        "frames": sum(t.frames for t in tallies),
        "bytes": sum(t.bytes for t in tallies),
        "lost": [t.lost() for t in tallies],
        "first_frame_ms": [t.first_frame_ms for t in tallies if t.first_frame_ms is not None],
        "arrivals": [list(t.arrivals.items()) for t in tallies if t.sample],
    }
    for pc in peers:
        await pc.close()
    return result


# -- orchestration -----------------------------------------------------------------------------


async def server_stats(url: str) -> dict:
    try:
        async with ClientSession() as http, http.get(url + "/stats") as resp:
            return await resp.json() if resp.status == 200 else {}
    except Exception:
        return {}


def histogram_quantile(cumulative: list[list[float]], count: int, q: float) -> float | None:
    """The upper bound of the bucket holding the q-quantile (an upper estimate)."""
    for bound, seen in cumulative:
        if count and seen >= q * count:
            return bound
    return None


async def measure(relay: str, viewers: int, codec: str, clip: list, args: argparse.Namespace,
                  workers: int = 0):  # fmt: skip
    """One relay with `viewers`; `workers` > 0: the Shopcast relay as that many worker
    processes on one port, sharing the show through the media bus on a flushed Redis database."""
    port = processes.free_port()
    flags: dict[str, object] = {"relay": relay, "port": port}
    async with contextlib.AsyncExitStack() as stack:
        role = "server"
        if workers:
            redis_url = await backends.flushed_redis(args.redis_url, args.redis_db, stack)
            role = "pool"
            flags |= {"workers": workers, "redis-url": redis_url,
                      "prefix": f"bench-media-{os.getpid()}-{port}"}  # fmt: skip
        server = await Child.start(
            "relay", processes.script(__file__, role, flags), cpus=args.server_cpus
        )
        loads: list[Child] = []
        try:
            url = f"http://127.0.0.1:{port}"
            row = await run_load(url, server, loads, viewers, codec, clip, args, workers)
        finally:
            await asyncio.gather(server.stop(grace_s=5.0), *(load.stop() for load in loads))
        head: dict[str, object] = {"relay": relay}
        if args.workers > 1:
            head["workers"] = workers or 1
        return head | row
    raise AssertionError("unreachable")  # for type checkers: the stack never swallows errors


async def run_load(url: str, server: Child, loads: list[Child], viewers: int, codec: str,
                   clip: list, args: argparse.Namespace, workers: int = 0) -> dict:  # fmt: skip
    await server.line()  # "listening"
    await processes.wait_serving(server, url, health=None)
    await processes.wait_workers(server, url, workers)

    def pids() -> list[int]:
        return usage.family(server.pid) if workers else [server.pid]

    async def stats() -> dict:  # one worker's figures would pass for all of them: none then
        return {} if workers else await server_stats(url)

    seconds = args.seconds
    sent: dict[int, float] = {}
    publisher = await start_publisher(url, clip, codec, sent)
    await asyncio.sleep(1.0)
    rss_before = sum(usage.rss(pid) for pid in pids())
    for i in range(math.ceil(viewers / VIEWERS_PER_PROCESS)):
        n = min(VIEWERS_PER_PROCESS, viewers - i * VIEWERS_PER_PROCESS)
        flags = {"url": url, "count": n, "seconds": seconds, "codec": codec}
        argv = processes.script(__file__, "viewers", flags)
        loads.append(await Child.start(f"viewers {i}", argv, cpus=args.load_cpus))
    for load in loads:
        await load.line()  # "ready"
    before = await stats()
    cpu_before, started = Sample.take({"server": pids()}), time.monotonic()
    results = [await load.read() for load in loads]
    elapsed = time.monotonic() - started
    cpu_after = Sample.take({"server": pids()})
    user, system = cpu_after.times_since(cpu_before, "server")
    cpu = user + system
    was = cpu_before.cpu["server"]
    per_process = [(now.total - was[pid].total if pid in was else now.total) / elapsed
                   for pid, now in cpu_after.cpu["server"].items()]  # fmt: skip
    rss = sum(usage.rss(pid) for pid in pids())
    after = await stats()
    await publisher.close()
    packets = sum(r["packets"] for r in results)
    frames = sum(r["frames"] for r in results)
    lost = [n for r in results for n in r["lost"]]
    first = [ms for r in results for ms in r["first_frame_ms"]]
    latency = [
        (arrived - sent[ts]) * 1000
        for r in results
        for arrivals in r["arrivals"]
        for ts, arrived in arrivals
        if ts in sent
    ]
    inside = {}
    if after.get("latency") and before.get("latency"):
        window = [
            [bound, seen - was]
            for (bound, seen), (_, was) in zip(after["latency"], before["latency"], strict=True)
        ]
        count = after["latency_count"] - before["latency_count"]
        inside = {
            "relay_latency_ms_p50": histogram_quantile(window, count, 0.5),
            "relay_latency_ms_p99": histogram_quantile(window, count, 0.99),
        }
        inside = {k: v * 1000 if v is not None else None for k, v in inside.items()}
        sends = after["packets_out"] - before["packets_out"]
        # Wall time inside the fan-out loop per packet sent: the forwarding path's own cost.
        inside["fanout_us_per_send"] = (
            (after["latency_total"] - before["latency_total"]) / sends * 1e6 if sends else None
        )
    expected_frames = FPS * seconds * viewers
    pool = {"server_cpu_cores_per_process": per_process} if args.workers > 1 else {}
    return pool | {
        "codec": codec,
        "viewers": viewers,
        "server_cpu_cores": cpu / elapsed,
        "server_cpu_per_viewer_cores": cpu / elapsed / viewers,
        "server_cpu_us_per_packet": cpu / packets * 1e6 if packets else None,
        # Python's share; the kernel's sendto (on loopback it also wakes the receiving process)
        "server_user_us_per_packet": user / packets * 1e6 if packets else None,
        "server_system_us_per_packet": system / packets * 1e6 if packets else None,
        "packets_forwarded": packets,
        "frames_received_ratio": frames / expected_frames,
        "loss_per_viewer_max": max(lost) if lost else None,
        "loss_ratio": sum(lost) / (sum(lost) + packets) if packets else None,
        "latency_ms_p50": quantile(latency, 0.5),
        "latency_ms_p99": quantile(latency, 0.99),
        "relay_latency_ms_p50": inside.get("relay_latency_ms_p50"),
        "relay_latency_ms_p99": inside.get("relay_latency_ms_p99"),
        "fanout_us_per_send": inside.get("fanout_us_per_send"),
        "first_frame_ms_p50": quantile(first, 0.5),
        "first_frame_ms_p99": quantile(first, 0.99),
        "server_rss_per_viewer_kib": (rss - rss_before) / viewers / 1024,
        "mbps_per_viewer": sum(r["bytes"] for r in results) * 8 / seconds / viewers / 1e6,
    }


COLUMNS = [  # titled by their JSON field, not aligned
    Column(key, key, fmt)
    for key, fmt in [
        ("relay", "{}"),
        ("codec", "{}"),
        ("viewers", "{}"),
        ("server_cpu_cores", "{:.2f}"),
        ("server_cpu_per_viewer_cores", "{:.4f}"),
        ("server_cpu_us_per_packet", "{:.1f}"),
        ("server_user_us_per_packet", "{:.1f}"),
        ("fanout_us_per_send", "{:.1f}"),
        ("frames_received_ratio", "{:.3f}"),
        ("loss_ratio", "{:.4f}"),
        ("latency_ms_p50", "{:.2f}"),
        ("latency_ms_p99", "{:.2f}"),
        ("relay_latency_ms_p99", "{:.2f}"),
        ("first_frame_ms_p50", "{:.0f}"),
        ("first_frame_ms_p99", "{:.0f}"),
        ("server_rss_per_viewer_kib", "{:.0f}"),
        ("mbps_per_viewer", "{:.2f}"),
    ]
]


F4 = "{:.4f}"


def pool_notes(rows: list[dict], args: argparse.Namespace) -> list[str]:
    """--workers: each pool against one process with as many viewers, and how the pool's
    CPU spread over its processes (the supervisor first)."""
    if args.workers <= 1:
        return []
    lines = []
    for one in (r for r in rows if r["relay"] == "shopcast" and r["workers"] == 1):
        for pool in (r for r in rows if r["relay"] == "shopcast" and r["workers"] > 1
                     and (r["codec"], r["viewers"]) == (one["codec"], one["viewers"])):  # fmt: skip
            spread = ", ".join(f"{c:.2f}" for c in pool["server_cpu_cores_per_process"])
            lines.append(
                f"{one['codec']} {one['viewers']} viewers, --workers {pool['workers']} against 1:"
                f" server CPU per viewer {one['server_cpu_per_viewer_cores']:.4f} ->"
                f" {pool['server_cpu_per_viewer_cores']:.4f} cores, loss"
                f" {number(one['loss_ratio'], F4)} -> {number(pool['loss_ratio'], F4)}, frames"
                f" received {number(one['frames_received_ratio'], F4)} ->"
                f" {number(pool['frames_received_ratio'], F4)};"
                f" CPU per process (cores, the supervisor first): {spread}"
            )
    lines.append(
        "workers: the relay as worker processes on one port (SO_REUSEPORT, the Supervisor of"
        " server/edge/workers.py) sharing the show through the media bus on Redis; the viewers"
        " land on either worker; relay_latency and fanout are not measured for a pool ('-')"
    )
    return lines


async def simulcast_only(args: argparse.Namespace) -> None:
    record = Record.begin()
    rows = await simulcast_against_single(args.simulcast_viewers)
    print(report.table(SIMULCAST_COLUMNS, rows, align=False))
    notes = simulcast_notes(rows)
    print("\n".join(notes))
    out = (
        args.out
        if args.out != ROOT / "bench" / "results" / "media.json"
        else (args.out.with_name("media_simulcast.json"))
    )
    report.write_json(out, {"settings": {"viewers": args.simulcast_viewers}, "simulcast": rows,
                            "notes": notes}, record)  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    if args.only_simulcast:
        await simulcast_only(args)
        return
    record = Record.begin()
    columns = (
        [COLUMNS[0], Column("workers", "workers"), *COLUMNS[1:]] if args.workers > 1 else COLUMNS
    )
    rows: list[dict] = []
    for codec in args.codecs:
        clip = encode_clip(codec, args.width, args.height, args.bitrate)
        pools = [0, args.workers] if args.workers > 1 else [0]
        plan = [("shopcast", n, w) for n in args.viewers for w in pools]
        plan += [("aiortc", n, 0) for n in args.baseline_viewers]
        for relay, n, workers in plan:
            rows.append(await measure(relay, n, codec, clip, args, workers))
            report.progress(columns, rows, header=False, align=False)
    ratios = {}
    for codec in args.codecs:
        ours = [r for r in rows if r["relay"] == "shopcast" and r["codec"] == codec
                and r.get("workers", 1) == 1]  # fmt: skip
        base = [r for r in rows if r["relay"] == "aiortc" and r["codec"] == codec]
        for b in base:
            for r in ours:
                if r["server_cpu_per_viewer_cores"] > 0:
                    name = f"{codec}: MediaRelay {b['viewers']} / shopcast {r['viewers']}"
                    ratios[name] = (
                        b["server_cpu_per_viewer_cores"] / r["server_cpu_per_viewer_cores"]
                    )
    micro = await fanout_only(max(args.viewers), packets=max(400, 80_000 // max(args.viewers)))
    print("\n" + report.table(columns, rows, align=False))
    print(
        f"forwarding path alone ({micro['viewers']} viewers, {micro['sends']} sends, in-process):"
        f" {micro['us_per_send_cpu']:.1f} us CPU per packet sent"
        f" ({micro['us_per_send_user']:.1f} us user), {micro['us_per_send_wall']:.1f} us wall"
    )
    for name, ratio in ratios.items():
        print(f"server CPU per viewer, {name}: {ratio:.1f}x")
    for line in pool_notes(rows, args):
        print(line)
    simulcast = await simulcast_against_single(args.simulcast_viewers)
    print(report.table(SIMULCAST_COLUMNS, simulcast, align=False))
    print("\n".join(simulcast_notes(simulcast)))
    settings = {k: v for k, v in vars(args).items() if k not in ("role", "out")}
    result = {"settings": settings, "rows": rows, "ratios": ratios, "forwarding_path": micro,
              "simulcast": simulcast}  # fmt: skip
    if args.workers > 1:
        result["notes"] = pool_notes(rows, args)
    report.write_json(args.out, result, record)


def serve(relay: str, port: int) -> None:
    app = shopcast_app() if relay == "shopcast" else aiortc_app()
    print("listening", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_pool(args: argparse.Namespace) -> None:
    """`--workers N` relay processes on one port (SO_REUSEPORT), kept by the Supervisor that
    `shopcast serve --workers N` uses, sharing the show through the media bus on Redis."""
    from server.edge.workers import Supervisor

    flags = {"port": args.port, "redis-url": args.redis_url, "prefix": args.prefix}

    def command(index: int) -> list[str]:
        return processes.script(__file__, "worker", flags | {"worker": index})

    print("listening", flush=True)
    sys.exit(Supervisor(command, args.workers).run())


def serve_worker(args: argparse.Namespace) -> None:
    app = shopcast_app(MediaBus(args.redis_url, args.prefix), args.worker)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None,
                reuse_port=True)  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="main",
                        choices=["main", "server", "pool", "worker", "viewers"])  # fmt: skip
    parser.add_argument("--workers", type=int, default=1,
                        help="also run the Shopcast relay as this many worker processes on"
                        " one port sharing the show through Redis, beside one process")  # fmt: skip
    parser.add_argument("--redis-url", default=backends.REDIS_URL)
    parser.add_argument("--redis-db", type=int, default=9,
                        help="the Redis database --workers flushes and uses (never 0)")  # fmt: skip
    parser.add_argument("--prefix", default="")
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--relay", default="shopcast")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--url", default="")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--viewers", type=int, nargs="+", default=[10, 50, 100, 200])
    # MediaRelay encodes 720p once per viewer: 4 of them already take most of the 2 cores.
    parser.add_argument("--baseline-viewers", type=int, nargs="+", default=[4])
    parser.add_argument("--codecs", "--codec", nargs="+", choices=["h264", "vp8"],
                        default=["h264", "vp8"])  # fmt: skip
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--bitrate", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--simulcast-viewers", type=int, nargs="+", default=[50, 200],
                        help="simulcast fan-out against one layer, in this process")  # fmt: skip
    parser.add_argument(
        "--only-simulcast",
        action="store_true",
        help="only that comparison (bench/results/media_simulcast.json)",
    )
    processes.add_run_options(parser, "media")
    args = parser.parse_args()
    if args.role == "server":
        serve(args.relay, args.port)
    elif args.role == "pool":
        serve_pool(args)
    elif args.role == "worker":
        serve_worker(args)
    elif args.role == "viewers":
        result = asyncio.run(run_viewers(args.url, args.count, args.seconds, args.codecs[0]))
        print(json.dumps(result), flush=True)
    else:
        asyncio.run(main(args))
