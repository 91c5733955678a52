"""The fan-out without a network: what each viewer's socket would be handed, byte for byte.

The viewers' SRTP/UDP edge is replaced by a list that collects the plain RTP each viewer would
send (the Egress `path_of` seam); everything above it is the real Broadcast and Egress.
"""

from __future__ import annotations

import itertools
import struct
import time
from dataclasses import dataclass, field

import pytest
from aiortc import RTCPeerConnection

from media.aiortc_hooks import SrtpPath
from media.broadcast import Broadcast, BroadcastConfig
from media.egress import HISTORY, Egress
from media.packets import SEQUENCE_SPACE

VP8_KEY = b"\x10\x00\x9d\x01\x2a"  # S=1, partition 0; frame tag bit 0 = 0: key frame
VP8_DELTA = b"\x10\x01\x00\x00"
OPUS = b"\xfc\xff\xfe"


@dataclass
class Wire:
    """Stands in for a viewer's SRTP session and socket."""

    sent: list[bytes] = field(default_factory=list)
    backlog: int = 0
    broken: bool = False

    def send(self, data: bytes) -> None:
        if self.broken:
            raise OSError("socket gone")
        self.sent.append(data)

    def path(self) -> SrtpPath:
        return SrtpPath(self.send, lambda: self.backlog)

    def header(self, n: int = -1) -> tuple[int, int, int, int, int]:
        """(marker, payload type, seq, timestamp, ssrc) of the n-th packet sent."""
        first, second, seq, timestamp, ssrc = struct.unpack("!BBHII", self.sent[n][:12])
        assert first == 0x80
        return second >> 7, second & 0x7F, seq, timestamp, ssrc

    def seqs(self) -> list[int]:
        return [self.header(n)[2] for n in range(len(self.sent))]


@pytest.fixture
async def peer():
    pc = RTCPeerConnection()
    yield pc
    await pc.close()


class Show:
    def __init__(self, peer: RTCPeerConnection, **config: float) -> None:
        self.peer = peer
        self.asked = 0
        self.broadcast = Broadcast(BroadcastConfig(**config), self._ask)
        self.broadcast.new_host({"video": ("video/VP8", 90000), "audio": ("audio/opus", 48000)})
        self.seq = {"video": 1000, "audio": 5000}

    def _ask(self) -> None:
        self.asked += 1

    def viewer(
        self, name: str, kind: str = "video", payload_type: int = 96, rtx: int | None = 97
    ) -> Wire:
        wire = Wire()
        sender = self.peer.addTransceiver(kind, direction="sendonly").sender
        rtx_ssrc = self.broadcast.ssrcs(kind)[1]
        egress = Egress(
            kind,
            sender,
            payload_type,
            rtx,
            rtx_ssrc,
            1000,
            self._ask,
            path_of=lambda _: wire.path(),
        )
        self.broadcast.add_viewer(name, [egress])
        self.broadcast.viewer_connected(name)
        return wire

    def send(
        self, payload: bytes, timestamp: int, kind: str = "video", marker: bool = True
    ) -> None:
        self.broadcast.forward_packet(
            kind, self.seq[kind], timestamp, marker, payload, time.perf_counter()
        )
        self.seq[kind] = (self.seq[kind] + 1) % SEQUENCE_SPACE

    def egress(self, name: str, kind: str = "video") -> Egress:
        return self.broadcast._feeds[kind].egresses[name]


async def test_every_viewer_gets_the_packet_on_the_shows_ssrc_with_its_own_payload_type(
    peer,
) -> None:
    show = Show(peer)
    show.send(VP8_KEY, 3000)
    a, b = show.viewer("a"), show.viewer("b", payload_type=120)
    show.send(VP8_DELTA, 6000)
    ssrc, _ = show.broadcast.ssrcs("video")
    for wire, payload_type in ((a, 96), (b, 120)):
        # The cached keyframe, then the live packet, each payload unchanged.
        assert [p[12:] for p in wire.sent] == [VP8_KEY, VP8_DELTA]
        marker, pt, _, timestamp, their_ssrc = wire.header()
        assert (marker, pt, timestamp, their_ssrc) == (1, payload_type, 6000, ssrc)
        first, second = wire.seqs()
        assert second == (first + 1) % SEQUENCE_SPACE
    assert show.asked == 0  # the cached GOP served them: the host was not disturbed


async def test_a_viewer_joining_without_a_fresh_gop_waits_for_the_keyframe_it_asks_for(
    peer,
) -> None:
    show = Show(peer, gop_cache_age_s=0.0)
    show.send(VP8_KEY, 0)
    wire = show.viewer("v")
    assert show.asked == 1 and wire.sent == []
    show.send(VP8_DELTA, 3000)  # cannot be decoded without its keyframe: skipped
    show.send(VP8_DELTA, 6000)
    assert wire.sent == [] and show.egress("v").dropped == 2
    assert show.asked == 1  # the joiner's repeated wish is coalesced into the first request
    show.send(VP8_KEY, 9000)
    show.send(VP8_DELTA, 12000)
    assert [p[12:] for p in wire.sent] == [VP8_KEY, VP8_DELTA]
    first, second = wire.seqs()
    assert second == (first + 1) % SEQUENCE_SPACE  # no gap where it skipped


async def test_the_cached_gop_is_squeezed_to_end_at_the_newest_frame(peer) -> None:
    show = Show(peer)
    show.send(VP8_DELTA, 0)  # before any keyframe: never cached
    show.send(VP8_KEY, 90000, marker=False)
    show.send(b"\x00\x01\x02", 90000)  # the keyframe's second packet
    show.send(VP8_DELTA, 93000)
    show.send(VP8_DELTA, 96000)
    wire = show.viewer("v")
    timestamps = [wire.header(n)[3] for n in range(4)]
    # Three frames, one tick apart, ending on the newest frame's real timestamp.
    assert timestamps == [95998, 95998, 95999, 96000]
    show.send(VP8_DELTA, 99000)
    assert wire.header()[3] == 99000
    seqs = wire.seqs()
    assert all((b - a) % SEQUENCE_SPACE == 1 for a, b in itertools.pairwise(seqs))


async def test_a_returning_host_continues_the_timeline_and_the_numbering(peer) -> None:
    show = Show(peer)
    video = show.viewer("v")
    audio = show.viewer("a", kind="audio", payload_type=111, rtx=None)
    show.send(VP8_KEY, 90000)
    show.send(OPUS, 48000, kind="audio")
    before = video.header()
    show.broadcast.new_host({"video": ("video/VP8", 90000), "audio": ("audio/opus", 48000)})
    show.seq = {"video": 40000, "audio": 7}  # the new host numbers from elsewhere
    show.send(VP8_DELTA, 12345)  # not decodable: video waits for the keyframe
    show.send(OPUS, 777, kind="audio")  # audio resumes at once
    show.send(VP8_KEY, 15345)
    after = video.header()
    assert len(video.sent) == 2 and after[2] == (before[2] + 1) % SEQUENCE_SPACE
    assert 0 < (after[3] - before[3]) % 2**32 < 90000  # moved forward, not back
    assert len(audio.sent) == 2
    assert audio.header(1)[2] == (audio.header(0)[2] + 1) % SEQUENCE_SPACE
    assert 0 < (audio.header(1)[3] - audio.header(0)[3]) % 2**32 < 48000


async def test_a_backed_up_viewer_drops_to_a_keyframe_and_the_others_carry_on(peer) -> None:
    show = Show(peer)
    show.send(VP8_KEY, 0)
    slow, fine = show.viewer("slow"), show.viewer("fine")
    slow.backlog = 10**6  # its socket stopped taking data
    for n in range(1, 20):
        show.send(VP8_DELTA, n * 3000)
    assert len(fine.sent) == 20
    assert show.egress("slow").lagged == 1 and len(slow.sent) < 20
    assert show.asked == 1  # it asked for a keyframe to resume
    slow.backlog = 0
    skipped = len(slow.sent)
    show.send(VP8_KEY, 60000)
    assert len(slow.sent) == skipped + 1 and slow.sent[-1][12:] == VP8_KEY
    assert slow.header()[2] == (slow.header(-2)[2] + 1) % SEQUENCE_SPACE


async def test_a_viewer_whose_socket_fails_does_not_stop_the_others(peer) -> None:
    show = Show(peer)
    show.send(VP8_KEY, 0)
    broken, fine = show.viewer("broken"), show.viewer("fine")
    broken.broken = True
    show.send(VP8_DELTA, 3000)
    assert len(fine.sent) == 2 and show.egress("broken").failures == 1


async def test_nacked_packets_are_resent_as_rtx_from_the_history(peer) -> None:
    show = Show(peer)
    show.send(VP8_KEY, 0)
    wire = show.viewer("v")
    for n in range(1, 5):
        show.send(VP8_DELTA, n * 3000)
    egress = show.egress("v")
    lost = wire.header(2)[2]
    await egress.retransmit(lost)
    _, pt, _, timestamp, ssrc = wire.header()
    assert pt == 97 and ssrc == show.broadcast.ssrcs("video")[1] and timestamp == 6000
    assert wire.sent[-1][12:14] == struct.pack("!H", lost)  # RFC 4588: original seq first
    assert wire.sent[-1][14:] == VP8_DELTA
    await egress.retransmit((lost + HISTORY) % SEQUENCE_SPACE)  # never sent: ignored
    assert egress.retransmitted == 1 and len(wire.sent) == 6


async def test_without_rtx_a_nacked_packet_is_resent_as_it_was(peer) -> None:
    show = Show(peer)
    show.send(VP8_KEY, 0)
    wire = show.viewer("v", rtx=None)
    show.send(VP8_DELTA, 3000)
    await show.egress("v").retransmit(wire.header()[2])
    assert wire.sent[-1] == wire.sent[-2]


async def test_a_late_packet_from_before_the_viewers_start_is_not_sent(peer) -> None:
    show = Show(peer, gop_cache_age_s=0.0)
    wire = show.viewer("v")
    show.send(VP8_KEY, 3000)
    show.broadcast.forward_packet("video", 990, 0, True, VP8_DELTA, time.perf_counter())
    assert len(wire.sent) == 1


async def test_metrics_add_up_what_came_in_and_went_out(peer) -> None:
    show = Show(peer)
    show.send(VP8_KEY, 0)
    show.viewer("a")
    show.viewer("b")
    show.send(VP8_DELTA, 3000)
    show.broadcast.remove_viewer("b")  # what a departed viewer sent still counts
    show.send(VP8_DELTA, 6000)
    metrics = show.broadcast.metrics()
    assert metrics.packets_in == 3 and metrics.bytes_in == len(VP8_KEY) + 2 * len(VP8_DELTA)
    assert metrics.viewers == 1 and metrics.out.packets == 5
    assert metrics.latency.count == 3 and metrics.latency.cumulative()[-1][1] == 3
