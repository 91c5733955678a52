import pytest
from hypothesis import given
from hypothesis import strategies as st

from media.keyframes import KeyframeRequests, is_keyframe, starts_keyframe


class FakeLoop:
    """A clock and a timer queue the test advances by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[tuple[float, object]] = []

    def clock(self) -> float:
        return self.now

    def call_later(self, delay: float, callback) -> "FakeLoop":
        self.timers.append((self.now + delay, callback))
        return self

    def cancel(self) -> None:
        self.timers.clear()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [t for t in self.timers if t[0] <= self.now]
        self.timers = [t for t in self.timers if t[0] > self.now]
        for _, callback in due:
            callback()


def requester(loop: FakeLoop, sent: list) -> KeyframeRequests:
    return KeyframeRequests(
        lambda: sent.append(loop.now), 0.5, clock=loop.clock, call_later=loop.call_later
    )


def test_many_joiners_cause_one_request_then_one_deferred() -> None:
    loop, sent = FakeLoop(), []
    requests = requester(loop, sent)
    for _ in range(100):
        requests.request()
    assert sent == [0.0]
    loop.advance(0.49)
    assert sent == [0.0]
    loop.advance(0.01)
    assert sent == [0.0, 0.5]  # deferred, not dropped
    assert requests.coalesced == 99


def test_requests_after_the_quiet_period_go_out_at_once() -> None:
    loop, sent = FakeLoop(), []
    requests = requester(loop, sent)
    requests.request()
    loop.advance(2.0)
    requests.request()
    assert sent == [0.0, 2.0]


def test_cancel_drops_the_deferred_request() -> None:
    loop, sent = FakeLoop(), []
    requests = requester(loop, sent)
    requests.request()
    requests.request()
    requests.cancel()
    loop.advance(1.0)
    assert sent == [0.0]


def test_h264_keyframes_are_idr_or_sps() -> None:
    sps, pps, idr, p_slice = b"\x67\x42", b"\x68\xce", b"\x65\x88", b"\x41\x9a"
    start = b"\x00\x00\x00\x01"
    assert is_keyframe("video/H264", start + sps + start + pps + start + idr)
    assert is_keyframe("video/H264", b"\x00\x00\x01" + idr)
    assert not is_keyframe("video/H264", start + p_slice)
    assert not is_keyframe("video/H264", b"")


def test_vp8_keyframe_bit() -> None:
    assert is_keyframe("video/VP8", bytes([0x10, 0x02, 0x00]))
    assert not is_keyframe("video/VP8", bytes([0x11, 0x02, 0x00]))
    assert not is_keyframe("video/VP8", b"")


def test_audio_frames_always_start() -> None:
    assert is_keyframe("audio/opus", b"\x01")


def test_a_keyframe_that_arrives_satisfies_the_deferred_request() -> None:
    loop, sent = FakeLoop(), []
    requests = requester(loop, sent)
    requests.request()  # a viewer joins: sent at once
    requests.request()  # it waits on P-frames meanwhile: deferred
    requests.satisfied()  # the host's keyframe arrives
    loop.advance(1.0)
    assert sent == [0.0]  # no needless second keyframe
    requests.request()  # the next joiner is not held back by the first
    assert sent == [0.0, 1.0]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"\x65\x88", True),  # single NAL: IDR slice
        (b"\x67\x42", True),  # single NAL: SPS
        (b"\x41\x9a", False),  # single NAL: non-IDR slice
        (b"\x78\x00\x02\x67\x42\x00\x02\x68\xce", True),  # STAP-A: SPS + PPS
        (b"\x78\x00\x02\x41\x9a", False),  # STAP-A: a non-IDR slice only
        (b"\x7c\x85\x88", True),  # FU-A, start bit, IDR
        (b"\x7c\x05\x88", False),  # FU-A, middle of an IDR
        (b"\x7c\x81\x88", False),  # FU-A, start of a non-IDR slice
        (b"\x78\xff", False),  # STAP-A cut short
        (b"", False),
    ],
)
def test_h264_packets_that_start_a_keyframe(payload: bytes, expected: bool) -> None:
    assert starts_keyframe("video/H264", payload) is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"\x10\x30\x01\x00\x9d\x01\x2a", True),  # S=1, partition 0, frame tag: key frame
        (b"\x10\x01\x00", False),  # interframe
        (b"\x00\x30\x01", False),  # not the start of the partition
        (b"\x11\x30\x01", False),  # start of partition 1
        (b"\x90\x80\x81\x23\x30\x01", True),  # X, I with a 2-byte picture id, then a key frame
        (b"\x90\xe0\x05\x07\x01", False),  # X, I (1 byte), L, T/K, then an interframe
        (b"\x90\x80", False),  # cut short inside the descriptor
        (b"", False),
    ],
)
def test_vp8_packets_that_start_a_keyframe(payload: bytes, expected: bool) -> None:
    assert starts_keyframe("video/VP8", payload) is expected


@given(st.binary(max_size=64), st.sampled_from(["video/H264", "video/VP8", "audio/opus"]))
def test_any_payload_is_judged_without_raising(payload: bytes, mime: str) -> None:
    assert starts_keyframe(mime, payload) in (True, False)
