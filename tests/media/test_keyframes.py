from media.keyframes import KeyframeRequests, is_keyframe


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
