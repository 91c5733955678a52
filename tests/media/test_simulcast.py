"""Simulcast without a network: the offer's layers, the answer's lines, the layer rule, and the
fan-out switching a viewer between layers on one SSRC, sequence space and timeline."""

from __future__ import annotations

import itertools
import struct
import time

import pytest
from aiortc import RTCPeerConnection
from hypothesis import given, settings
from hypothesis import strategies as st

from media.aiortc_hooks import SrtpPath
from media.broadcast import Broadcast, BroadcastConfig
from media.egress import Egress
from media.exceptions import SimulcastCodecMismatch, TooManyLayers
from media.layer_selector import AUDIO_ONLY, Layers, LayerSelector, SelectorConfig, layer_for_size
from media.simulcast import RID_URI, answer_simulcast, read_offer

VP8_KEY = b"\x10\x00\x9d\x01\x2a"
VP8_DELTA = b"\x10\x01\x00\x00"


def offer(simulcast: str = "send q;h;f", rids: tuple[str, ...] = ("q", "h", "f"),
          restrictions: dict[str, str] | None = None) -> str:  # fmt: skip
    restrictions = restrictions or {}
    lines = [
        "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=rtpmap:111 opus/48000/2",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102", "a=mid:1", "a=sendonly",
        "a=rtpmap:96 VP8/90000", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96",
        "a=rtpmap:102 H264/90000",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        f"a=extmap:10 {RID_URI}",
        "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        *(f"a=rid:{r} send {restrictions.get(r, '')}".rstrip() for r in rids),
        f"a=simulcast:{simulcast}", "",
    ]  # fmt: skip
    return "\r\n".join(lines)


def test_the_studios_three_layers_are_read_lowest_first() -> None:
    layers = read_offer(offer("send f;~h;q", ("f", "h", "q")))
    assert layers.rids == ("q", "h", "f") and layers.extensions[RID_URI] == 10


def test_unknown_rids_are_left_out_and_one_known_layer_is_answered_single() -> None:
    assert read_offer(offer("send q;x;f", ("q", "x", "f"))).rids == ("q", "f")
    assert not read_offer(offer("send a;b;f", ("a", "b", "f"))).layered
    assert not read_offer(offer().replace("a=simulcast:send q;h;f\r\n", "")).layered


def test_more_than_three_layers_are_refused() -> None:
    with pytest.raises(TooManyLayers):
        read_offer(offer("send q;h;f;x", ("q", "h", "f", "x")))


def test_layers_restricted_to_different_codecs_are_refused() -> None:
    with pytest.raises(SimulcastCodecMismatch):
        read_offer(offer(restrictions={"q": "pt=96", "h": "pt=96", "f": "pt=102"}))
    assert read_offer(offer(restrictions={"q": "pt=96,102", "f": "pt=96"})).layered


def test_the_answer_accepts_the_layers_in_its_video_section() -> None:
    answer = "v=0\r\nm=audio 9 X 111\r\na=mid:0\r\nm=video 9 X 96\r\na=mid:1\r\n"
    text = answer_simulcast(answer, read_offer(offer()))
    video = text.split("m=video")[1]
    assert "a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f" in video
    assert "a=rid" not in text.split("m=video")[0]


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_simulcast_text_is_read_or_refused_never_a_crash(junk: str) -> None:
    try:
        read_offer(offer().replace("send q;h;f", junk.replace("\r", "").replace("\n", "")))
    except (TooManyLayers, SimulcastCodecMismatch):
        pass


# -- the layer rule ----------------------------------------------------------------------------

THREE = Layers([100_000, 300_000, 1_000_000], [True, True, True])


def test_loss_steps_down_one_layer_a_second_then_to_audio_only() -> None:
    selector = LayerSelector(SelectorConfig(), start=2, now=0.0)
    assert selector.report(0.0, 0.2, THREE) == 1
    assert selector.report(0.5, 0.2, THREE) == 1  # one step per second
    assert selector.report(1.0, 0.2, THREE) == 0
    assert selector.report(2.0, 0.2, THREE) == AUDIO_ONLY
    assert selector.report(3.0, 0.2, THREE) == AUDIO_ONLY


def test_a_clean_link_probes_up_and_a_failed_probe_doubles_the_wait() -> None:
    config = SelectorConfig(up_after_s=4.0, probe_s=3.0, longest_up_after_s=30.0)
    selector = LayerSelector(config, start=0, now=0.0)
    selector.max_layer = 2
    assert selector.report(3.9, 0.0, THREE) == 0
    assert selector.report(4.0, 0.0, THREE) == 1  # probe
    assert selector.report(5.0, 0.3, THREE) == 0  # it failed: back down
    assert selector.report(12.9, 0.0, THREE) == 0  # 8 s now
    assert selector.report(13.1, 0.0, THREE) == 1


def test_never_above_the_players_size_nor_a_layer_the_host_stopped() -> None:
    selector = LayerSelector(SelectorConfig(up_after_s=1.0), start=1, now=0.0)
    selector.max_layer = layer_for_size(300, [180, 360, 720])
    assert selector.max_layer == 1
    assert selector.report(10.0, 0.0, THREE) == 1
    selector.max_layer = 2
    assert selector.report(11.0, 0.0, Layers(THREE.bitrates, [True, True, False])) == 1
    assert selector.report(12.0, 0.0, Layers(THREE.bitrates, [True, False, False])) == 0


def test_a_remb_below_the_layer_steps_down_and_holds_the_probe() -> None:
    selector = LayerSelector(SelectorConfig(up_after_s=1.0), start=2, now=0.0)
    assert selector.report(0.0, 0.0, THREE, remb_bps=400_000) == 1
    assert selector.report(5.0, 0.0, THREE) == 1  # 400 kbps cannot carry 1 Mbps
    assert selector.report(6.0, 0.0, THREE, remb_bps=5_000_000) == 2


def test_during_a_probe_a_remb_still_catching_up_is_no_failure_but_loss_is() -> None:
    config = SelectorConfig(up_after_s=1.0, probe_s=3.0)
    selector = LayerSelector(config, start=1, now=0.0)
    selector.max_layer = 2
    assert selector.report(1.0, 0.0, THREE, remb_bps=1_200_000) == 2  # probe
    assert selector.report(1.5, 0.0, THREE, remb_bps=800_000) == 2  # catching up: held
    assert selector.report(2.5, 0.0, THREE, remb_bps=250_000) == 1  # below where it came from
    selector = LayerSelector(config, start=1, now=0.0)
    selector.max_layer = 2
    assert selector.report(1.0, 0.0, THREE, remb_bps=1_200_000) == 2
    assert selector.report(1.5, 0.2, THREE, remb_bps=1_200_000) == 1  # loss fails the probe
    assert selector.report(4.0, 0.0, THREE, remb_bps=1_200_000) == 2  # the wait doubled: 2 s
    assert selector.report(8.0, 0.0, THREE, remb_bps=800_000) == 1  # settled, then below 0.9x


def test_audio_only_probes_back_to_video_whatever_its_last_remb() -> None:
    selector = LayerSelector(SelectorConfig(up_after_s=1.0), start=0, now=0.0)
    assert selector.report(0.0, 0.0, THREE, remb_bps=50_000) == AUDIO_ONLY
    assert selector.report(2.0, 0.0, THREE) == 0  # its receiver gets no video: REMB is stale


@given(st.lists(st.tuples(st.floats(0, 1), st.sampled_from([None, 50_000, 2_000_000])),
                max_size=60), st.integers(0, 2))  # fmt: skip
def test_the_choice_is_always_a_layer_the_rules_allow(reports, max_layer) -> None:
    selector = LayerSelector(SelectorConfig(), start=min(1, max_layer), now=0.0)
    selector.max_layer = max_layer
    previous = selector.current
    for step, (loss, remb) in enumerate(reports):
        layer = selector.report(step * 0.5, loss, THREE, remb)
        assert AUDIO_ONLY <= layer <= max_layer
        assert layer <= previous + 1  # up one at a time
        previous = layer


# -- the fan-out -------------------------------------------------------------------------------


class Wire:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def path(self) -> SrtpPath:
        return SrtpPath(self.sent.append, lambda: 0)

    def headers(self) -> list[tuple[int, int, int]]:
        """(seq, timestamp, ssrc) of each packet."""
        return [struct.unpack("!HII", p[2:12]) for p in self.sent]


@pytest.fixture
async def peer():
    pc = RTCPeerConnection()
    yield pc
    await pc.close()


async def test_a_viewer_switches_layers_at_the_targets_keyframe_on_one_stream(peer) -> None:
    asked: list[int] = []
    broadcast = Broadcast(BroadcastConfig(), lambda: asked.append(1))
    broadcast.new_host({"video": ("video/VP8", 90000)}, ("q", "h", "f"))
    wire = Wire()
    sender = peer.addTransceiver("video", direction="sendonly").sender
    egress = Egress(
        "video", sender, 96, None, 0, 10**6, lambda: None, path_of=lambda _: wire.path()
    )
    broadcast.add_viewer("v", [egress])
    assert egress.layer == egress.target == 1  # starts on the middle layer
    seqs = {0: 100, 1: 5000, 2: 60000}
    stamps = {0: 1000, 1: 777_000, 2: 4_000_000_000}  # each encoder has its own timeline

    def frame(layer: int, key: bool) -> None:
        broadcast.forward_layer_packet(
            layer, seqs[layer], stamps[layer], True, VP8_KEY if key else VP8_DELTA,
            time.perf_counter(),
        )  # fmt: skip
        seqs[layer] = (seqs[layer] + 1) % 65536
        stamps[layer] = (stamps[layer] + 3000) % (1 << 32)

    for key in (True, False, False):
        for layer in range(3):
            frame(layer, key)
    assert len(wire.sent) == 3  # the middle layer only
    egress.target = 2
    frame(2, False)  # not a keyframe: it stays on h
    frame(1, False)
    frame(2, True)  # f's keyframe: switched
    frame(1, False)
    frame(2, False)
    egress.target = AUDIO_ONLY
    egress.layer = AUDIO_ONLY
    frame(2, False)
    headers = wire.headers()
    assert len(headers) == 6 and headers[-1] == headers[5]
    seq_numbers = [h[0] for h in headers]
    assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seq_numbers))
    timestamps = [h[1] for h in headers]
    assert all(0 < (b - a) % (1 << 32) < 90000 for a, b in itertools.pairwise(timestamps))
    assert {h[2] for h in headers} == {broadcast.ssrcs("video")[0]}
    metrics = broadcast.metrics().layers
    assert metrics.audio_only == 1 and metrics.viewers == {"q": 0, "h": 0, "f": 0}
