"""The relay's forwarding path alone, in one process (bench/media.py's in-process rows):
Broadcast -> each viewer's Egress -> its own SRTP session -> a real UDP socket, drained here.
`fanout_only`: one layer, CPU per packet sent. `simulcast_against_single`: the same full-layer
packets from a single-layer host and from a q/h/f simulcast host, CPU per viewer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import time

from aiortc import RTCDtlsTransport, RTCPeerConnection

from bench.harness.report import Column

CLOCK = 90_000


class FanoutRig:
    """The forwarding path alone, in this process: Broadcast -> each viewer's Egress -> its own
    SRTP session -> a real UDP socket, drained by this process (so no receiver wake-ups are
    counted). Separates the relay's own cost from the loopback load generators'."""

    def __init__(self, layers: tuple[str, ...] = (), selector: object = None) -> None:
        from media.broadcast import Broadcast, BroadcastConfig

        self.sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sink.bind(("127.0.0.1", 0))
        self.sink.setblocking(False)
        config = BroadcastConfig() if selector is None else BroadcastConfig(selector=selector)
        self.broadcast = Broadcast(config, lambda: None)
        self.broadcast.new_host({"video": ("video/H264", CLOCK)}, layers)
        self.pc = RTCPeerConnection()
        self.transport: asyncio.DatagramTransport | None = None

    async def add_viewers(self, viewers: int) -> None:
        from pylibsrtp import Policy, Session

        from media.aiortc_hooks import SrtpPath
        from media.egress import Egress

        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        transport, address = self.transport, self.sink.getsockname()
        for n in range(viewers):
            protect = Session(Policy(key=bytes(30), ssrc_type=Policy.SSRC_ANY_OUTBOUND)).protect

            def send(data: bytes, protect=protect) -> None:
                transport.sendto(protect(data), address)

            sender = self.pc.addTransceiver("video", direction="sendonly").sender
            path = SrtpPath(send, lambda: 0)

            def path_of(_: RTCDtlsTransport, path: SrtpPath = path) -> SrtpPath:
                return path

            egress = Egress("video", sender, 96, 97, 1, 1 << 20, lambda: None, path_of)
            self.broadcast.add_viewer(str(n), [egress])
            self.broadcast.viewer_connected(str(n))

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while True:
                self.sink.recv(2048)

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.sink.close()
        await self.pc.close()


KEY_SLICE = b"\x65" + bytes(1100)  # an IDR slice: a keyframe starts
SLICE = b"\x7c\x05" + bytes(1100)  # an FU-A fragment of a non-key slice


def cpu_seconds(before: os.times_result, after: os.times_result) -> float:
    return (after.user - before.user) + (after.system - before.system)


async def fanout_only(viewers: int, packets: int = 400) -> dict:
    """The forwarding path alone (FanoutRig), one layer."""
    rig = FanoutRig()
    await rig.add_viewers(viewers)
    broadcast = rig.broadcast
    broadcast.forward_packet("video", 0, 0, False, KEY_SLICE, time.perf_counter())
    before, started = os.times(), time.perf_counter()
    for seq in range(1, packets):
        broadcast.forward_packet("video", seq, seq * 750, seq % 4 == 0, SLICE, time.perf_counter())
        rig.drain()
    after, wall = os.times(), time.perf_counter() - started
    sends = (packets - 1) * viewers
    await rig.close()
    return {
        "viewers": viewers,
        "sends": sends,
        "us_per_send_cpu": cpu_seconds(before, after) / sends * 1e6,
        "us_per_send_user": (after.user - before.user) / sends * 1e6,
        "us_per_send_wall": wall / sends * 1e6,
    }


# Simulcast against one layer, in one run: the host's full layer at the same packets either
# way; with simulcast it also sends the half and quarter layers (about 35 % and 12 % of the
# full layer's packets, the studio's 1.5 Mbps / 500 / 150 kbps caps) and every viewer's layer
# is chosen twice a second (one tick per 55 full-layer packets: ~110 packets/s at 1 Mbps).
SIMULCAST = ("q", "h", "f")
HALF_EVERY, QUARTER_EVERY, TICK_EVERY = 3, 8, 55


async def simulcast_fanout(viewers: int, packets: int, spread: bool) -> dict:
    """CPU per viewer of forwarding `packets` full-layer packets: every viewer on the full
    layer, or (`spread`) a third on each layer (their players' sizes say so)."""
    from media.layer_selector import SelectorConfig

    rig = FanoutRig(SIMULCAST, SelectorConfig(up_after_s=0.0))
    await rig.add_viewers(viewers)
    broadcast = rig.broadcast
    for n in range(viewers):
        broadcast.selection.view(str(n), (180, 360, None)[n % 3] if spread else None)
    seqs = [0, 0, 0]

    def layer_packet(layer: int, payload: bytes) -> None:
        seqs[layer] += 1
        seq = seqs[layer]
        broadcast.forward_layer_packet(layer, seq, seq * 750, True, payload, time.perf_counter())

    for _ in range(4):  # each tick probes one layer up: viewers reach their ceilings
        for layer in range(3):
            layer_packet(layer, KEY_SLICE)
        broadcast.selection.tick()
        rig.drain()
    for layer in range(3):
        layer_packet(layer, KEY_SLICE)
    on = broadcast.metrics().layers.viewers
    before = os.times()
    for i in range(packets):
        layer_packet(2, SLICE)
        if i % HALF_EVERY == 0:
            layer_packet(1, SLICE)
        if i % QUARTER_EVERY == 0:
            layer_packet(0, SLICE)
        if i % TICK_EVERY == 0:
            broadcast.selection.tick()
        rig.drain()
    cpu = cpu_seconds(before, os.times())
    await rig.close()
    return {"cpu_s": cpu, "viewers_per_layer": on}


async def single_fanout(viewers: int, packets: int) -> dict:
    rig = FanoutRig()
    await rig.add_viewers(viewers)
    broadcast = rig.broadcast
    broadcast.forward_packet("video", 0, 0, True, KEY_SLICE, time.perf_counter())
    before = os.times()
    for seq in range(1, packets + 1):
        broadcast.forward_packet("video", seq, seq * 750, True, SLICE, time.perf_counter())
        rig.drain()
    cpu = cpu_seconds(before, os.times())
    await rig.close()
    return {"cpu_s": cpu}


async def simulcast_against_single(viewer_counts: list[int], rounds: int = 3) -> list[dict]:
    """Each count: single layer, simulcast (all on f) and simulcast (spread), interleaved
    `rounds` times (a shared machine's noise hits all three alike); medians of each."""
    rows = []
    for viewers in viewer_counts:
        packets = max(550, 110_000 // viewers)  # 5 s of a 1 Mbps full layer, or more
        cpu: dict[str, list[float]] = {"single": [], "simulcast": [], "spread": []}
        on: dict = {}
        spread_on: dict = {}
        for _ in range(rounds):
            cpu["single"].append((await single_fanout(viewers, packets))["cpu_s"])
            full = await simulcast_fanout(viewers, packets, False)
            cpu["simulcast"].append(full["cpu_s"])
            on = full["viewers_per_layer"]
            spread = await simulcast_fanout(viewers, packets, True)
            cpu["spread"].append(spread["cpu_s"])
            spread_on = spread["viewers_per_layer"]
        per = {k: statistics.median(v) / (viewers * packets) * 1e6 for k, v in cpu.items()}
        rows.append({
            "viewers": viewers,
            "full_layer_packets": packets,
            "single_us_per_viewer_packet": per["single"],
            "simulcast_us_per_viewer_packet": per["simulcast"],
            "simulcast_extra_per_viewer": per["simulcast"] / per["single"] - 1,
            "simulcast_viewers_per_layer": on,
            "spread_us_per_viewer_packet": per["spread"],
            "spread_viewers_per_layer": spread_on,
        })  # fmt: skip
    return rows


SIMULCAST_COLUMNS = [
    Column(key, key, fmt)
    for key, fmt in [
        ("viewers", "{}"),
        ("full_layer_packets", "{}"),
        ("single_us_per_viewer_packet", "{:.2f}"),
        ("simulcast_us_per_viewer_packet", "{:.2f}"),
        ("simulcast_extra_per_viewer", "{:+.1%}"),
        ("simulcast_viewers_per_layer", "{}"),
        ("spread_us_per_viewer_packet", "{:.2f}"),
        ("spread_viewers_per_layer", "{}"),
    ]
]


def simulcast_notes(rows: list[dict]) -> list[str]:
    return [
        f"simulcast fan-out, {r['viewers']} viewers: {r['simulcast_extra_per_viewer']:+.1%} CPU"
        " per viewer against one layer (every viewer on the full layer; target < +15 %)"
        for r in rows
    ]
