"""LL-HLS benchmark: many HLS clients polling parts from one node, and latency beside WebRTC.

One synthetic H.264 publisher (bench/media.py's pre-encoded clip, 30 fps, restarting at a
keyframe when asked) publishes to a node that serves WHEP and LL-HLS (media/hls.py through
server/edge/http/hls.py's routes), alone in its own process. HLS clients in load processes
each follow the live edge as an LL-HLS player does: a blocking playlist reload for the hinted
part (`_HLS_msn`/`_HLS_part`), then that part, again and again; two aiortc WebRTC viewers (bench/
media.py's) watch beside them.

Each row: HLS clients, requests per second answered, errors, server CPU (cores, and per
1,000 requests), and the latency from the frame leaving the publisher to its part reaching a
client (p50/p99), beside the WebRTC viewers' latency from the publisher's socket to theirs.
HLS frames are timed by the playlist's EXT-X-PROGRAM-DATE-TIME (the node's wall clock when the
segment's keyframe arrived, the same machine's clock the clients read) plus each frame's offset
in its segment. A player that keeps PART-HOLD-BACK (1.5 s) behind the edge shows its picture
that much later than the part reached it: the table says that too (hold-back included).

    .venv/bin/python bench/hls.py                      # 1,000 clients, 20 s
    .venv/bin/python bench/hls.py --clients 50 200 --seconds 8

Prints a table and writes bench/results/hls.json (`--out` elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import struct
import sys
import time
from datetime import datetime
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import processes, report  # noqa: E402
from bench.harness.processes import Child  # noqa: E402
from bench.harness.record import Record  # noqa: E402
from bench.harness.report import Column, quantile  # noqa: E402
from bench.harness.usage import Sample  # noqa: E402
from bench.media import encode_clip, start_publisher  # noqa: E402
from media.hls import PART_TARGET_S  # noqa: E402
from media.service import MediaConfig, MediaService  # noqa: E402

SHOW = "1"
CLIENTS_PER_PROCESS = 500
TIMED_CLIENTS = 20  # per load process: these time every frame they get
HOLD_BACK_S = 3 * PART_TARGET_S
_HINT = re.compile(r'PRELOAD-HINT:TYPE=PART,URI="(\w+)/(\d+)\.(\d+)\.m4s"')


# -- the node ----------------------------------------------------------------------------------


def node_app() -> web.Application:
    """WHIP/WHEP of one show (no accounts: the node's media core only) and its LL-HLS."""
    from server.edge.http import hls
    from server.edge.http.context import MEDIA

    media = MediaService(MediaConfig())

    async def publish(request: web.Request) -> web.Response:
        session = await media.publish(SHOW, await request.text())
        return web.Response(status=201, text=session.sdp)

    async def watch(request: web.Request) -> web.Response:
        session = await media.watch(SHOW, await request.text())
        return web.Response(status=201, text=session.sdp)

    app = web.Application()
    app[MEDIA] = media
    app.router.add_post("/publish", publish)
    app.router.add_post("/watch", watch)
    app.router.add_routes(hls.routes)
    app.on_shutdown.append(lambda _: media.close())
    return app


def serve(port: int) -> None:
    print("listening", flush=True)
    web.run_app(node_app(), host="127.0.0.1", port=port, print=None, access_log=None)


# -- HLS clients -------------------------------------------------------------------------------


def video_sample_offsets(part: bytes) -> list[float]:
    """Seconds from the part's first video sample to each of its video samples (trun, track 1)."""
    offset, found = 0, []
    while offset + 8 <= len(part):
        size, kind = struct.unpack_from(">I4s", part, offset)
        if kind == b"moof":
            found = _traf_offsets(part[offset + 8 : offset + size])
        offset += max(size, 8)
    return found


def _traf_offsets(moof: bytes) -> list[float]:
    at = 0
    while at + 8 <= len(moof):
        size, kind = struct.unpack_from(">I4s", moof, at)
        if kind == b"traf":
            traf = moof[at + 8 : at + size]
            track = struct.unpack_from(">I", traf, 12)[0]  # tfhd comes first
            trun = traf.find(b"trun")
            if track == 1 and trun > 0:
                count = struct.unpack_from(">I", traf, trun + 8)[0]
                durations = [
                    struct.unpack_from(">I", traf, trun + 16 + 12 * i)[0] for i in range(count)
                ]
                starts = [sum(durations[:i]) / 90000 for i in range(count)]
                return starts
        at += max(size, 8)
    return []


def part_start_wall(playlist: str, msn: int, index: int) -> float | None:
    """The wall clock (s) of part `index` of segment `msn`'s first frame, from the playlist."""
    blocks = playlist.split("#EXT-X-PROGRAM-DATE-TIME:")[1:]
    for block in blocks:
        parts = re.findall(r'#EXT-X-PART:DURATION=([\d.]+),URI="\w+/(\d+)\.(\d+)\.m4s"', block)
        if parts and int(parts[0][1]) == msn:
            start = datetime.fromisoformat(block.split("\n", 1)[0]).timestamp()
            return start + sum(float(d) for d, _, i in parts if int(i) < index)
    return None


async def hls_client(
    http: ClientSession, base: str, until: float, timed: bool, tally: dict
) -> None:
    playlist = ""
    while time.monotonic() < until:
        try:
            hint = _HINT.search(playlist)
            query = f"?_HLS_msn={hint[2]}&_HLS_part={hint[3]}" if hint else ""
            async with http.get(f"{base}/playlist.m3u8{query}") as resp:
                tally["requests"] += 1
                if resp.status != 200:
                    tally["errors"] += 1
                    await asyncio.sleep(0.5)
                    playlist = ""
                    continue
                playlist = await resp.text()
            if hint is None:
                continue
            async with http.get(f"{base}/{hint[1]}/{hint[2]}.{hint[3]}.m4s") as resp:
                tally["requests"] += 1
                if resp.status != 200:
                    tally["errors"] += 1
                    continue
                body = await resp.read()
            tally["parts"] += 1
            if timed:
                now = time.time()
                start = part_start_wall(playlist, int(hint[2]), int(hint[3]))
                if start is not None:
                    tally["latency"] += [now - (start + o) for o in video_sample_offsets(body)]
        except (OSError, TimeoutError, ValueError):
            tally["errors"] += 1
            await asyncio.sleep(0.5)


async def run_clients(url: str, count: int, seconds: float) -> dict:
    tally: dict = {"requests": 0, "errors": 0, "parts": 0, "latency": []}
    connector = TCPConnector(limit=0)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=30)) as http:
        base = f"{url}/hls/{SHOW}"
        warm = time.monotonic() + 3.0
        tasks = [
            asyncio.create_task(hls_client(http, base, warm, False, {**tally, "latency": []}))
            for _ in range(count)
        ]
        await asyncio.gather(*tasks)  # everyone connected and at the live edge
        processes.say("ready")
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(hls_client(http, base, until, n < TIMED_CLIENTS, tally) for n in range(count))
        )
    return tally


# -- orchestration -----------------------------------------------------------------------------


async def webrtc_viewers(url: str, seconds: float) -> Child:
    """Two aiortc viewers (bench/media.py's), timing each frame's first packet."""
    flags = {"url": url, "count": 2, "seconds": seconds, "codec": "h264"}
    return await Child.start("webrtc viewers", processes.script("bench/media.py", "viewers", flags))


async def measure(clients: int, clip: list, args: argparse.Namespace) -> dict:
    port = processes.free_port()
    url = f"http://127.0.0.1:{port}"
    log = args.out.with_suffix(".server.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    server = await processes.start_server(
        "node", processes.script(__file__, "server", {"port": port}), log, cpus=args.server_cpus
    )
    children = [server]
    try:
        await processes.wait_serving(server, url, health=None, log=log)
        sent: dict[int, float] = {}
        publisher = await start_publisher(url, clip, "h264", sent)
        await asyncio.sleep(3.0)  # the first segments
        viewers = await webrtc_viewers(url, args.seconds)
        children.append(viewers)
        loads = []
        for i in range(math.ceil(clients / CLIENTS_PER_PROCESS)):
            n = min(CLIENTS_PER_PROCESS, clients - i * CLIENTS_PER_PROCESS)
            flags = {"url": url, "count": n, "seconds": args.seconds}
            argv = processes.script(__file__, "clients", flags)
            loads.append(await Child.start(f"clients {i}", argv, cpus=args.load_cpus))
        children += loads
        await viewers.line()  # "ready"
        for load in loads:
            await load.read()  # "ready"
        before, started = Sample.take({"server": [server.pid]}), time.monotonic()
        results = [await load.read() for load in loads]
        elapsed = time.monotonic() - started
        cpu = Sample.take({"server": [server.pid]}).times_since(before, "server").total
        webrtc = await viewers.read()
        await publisher.close()
    finally:
        await processes.stop_all(children)
    requests = sum(r["requests"] for r in results)
    hls_ms = [s * 1000 for r in results for s in r["latency"]]
    rtc_ms = [
        (arrived - sent[int(ts)]) * 1000
        for arrivals in webrtc["arrivals"]
        for ts, arrived in arrivals
        if int(ts) in sent
    ]
    p50, p99 = quantile(hls_ms, 0.5), quantile(hls_ms, 0.99)
    return {
        "clients": clients,
        "requests_per_s": requests / elapsed,
        "errors": sum(r["errors"] for r in results),
        "parts_per_client_per_s": sum(r["parts"] for r in results) / elapsed / clients,
        "server_cpu_cores": cpu / elapsed,
        "server_cpu_ms_per_1k_requests": cpu / requests * 1e6 if requests else None,
        "hls_latency_ms_p50": p50,
        "hls_latency_ms_p99": p99,
        "hls_player_ms_p50": p50 + HOLD_BACK_S * 1000 if p50 is not None else None,
        "hls_player_ms_p99": p99 + HOLD_BACK_S * 1000 if p99 is not None else None,
        "webrtc_latency_ms_p50": quantile(rtc_ms, 0.5),
        "webrtc_latency_ms_p99": quantile(rtc_ms, 0.99),
    }


COLUMNS = [
    Column("clients", "clients"),
    Column("req/s", "requests_per_s", "{:.0f}"),
    Column("errors", "errors"),
    Column("parts/client/s", "parts_per_client_per_s", "{:.2f}"),
    Column("server cores", "server_cpu_cores", "{:.2f}"),
    Column("CPU ms/1k req", "server_cpu_ms_per_1k_requests", "{:.0f}"),
    Column("HLS part p50 ms", "hls_latency_ms_p50", "{:.0f}"),
    Column("HLS part p99 ms", "hls_latency_ms_p99", "{:.0f}"),
    Column("HLS player p50 ms", "hls_player_ms_p50", "{:.0f}"),
    Column("HLS player p99 ms", "hls_player_ms_p99", "{:.0f}"),
    Column("WebRTC p50 ms", "webrtc_latency_ms_p50", "{:.0f}"),
    Column("WebRTC p99 ms", "webrtc_latency_ms_p99", "{:.0f}"),
]


async def main(args: argparse.Namespace) -> None:
    record = Record.begin()
    clip = encode_clip("h264", args.width, args.height, args.bitrate)
    rows: list[dict] = []
    for clients in args.clients:
        rows.append(await measure(clients, clip, args))
        report.progress(COLUMNS, rows, header=len(rows) == 1)
    print("\n" + report.table(COLUMNS, rows))
    settings = {k: v for k, v in vars(args).items() if k not in ("role", "out")}
    settings["out"] = str(args.out)
    report.write_json(args.out, {"settings": settings, "rows": rows}, record)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--role", default="main", choices=["main", "server", "clients"])
    add("--port", type=int, default=0)
    add("--url", default="")
    add("--count", type=int, default=1)
    add("--clients", type=int, nargs="+", default=[1000])
    add("--seconds", type=float, default=20.0)
    add("--width", type=int, default=640)
    add("--height", type=int, default=360)
    add("--bitrate", type=int, default=800_000)
    processes.add_run_options(parser, "hls")
    args = parser.parse_args()
    if args.role == "server":
        serve(args.port)
    elif args.role == "clients":
        processes.say(asyncio.run(run_clients(args.url, args.count, args.seconds)))
    else:
        asyncio.run(main(args))
