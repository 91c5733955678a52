from media.timeline import Timeline


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_tracks_that_start_apart_are_placed_by_their_first_arrival() -> None:
    clock = Clock()
    timeline = Timeline(clock=clock)
    assert timeline.place("audio", 0, 48000) == 0
    clock.now += 0.5  # video's first frame comes half a second after audio's
    assert timeline.place("video", 0, 90000) == 45000
    clock.now += 0.04  # later frames follow their own timestamps, not their arrival
    assert timeline.place("video", 3000, 90000) == 48000
    assert timeline.place("audio", 960 * 27, 48000) == 960 * 27


def test_a_jump_that_arrival_does_not_bear_out_is_placed_again() -> None:
    clock = Clock()
    timeline = Timeline(max_drift_s=5.0, clock=clock)
    timeline.place("video", 0, 90000)
    clock.now += 1.0
    # aiortc read a step back as a 32-bit wrap: +13 hours on the timestamp.
    assert timeline.place("video", 90000 + (1 << 32), 90000) == 90000
    clock.now += 0.1
    assert timeline.place("video", 99000 + (1 << 32), 90000) == 99000


def test_jitter_within_the_drift_keeps_the_timestamps() -> None:
    clock = Clock()
    timeline = Timeline(max_drift_s=5.0, clock=clock)
    timeline.place("audio", 0, 48000)
    clock.now += 3.0  # a late burst: the frame was captured long before it arrived
    assert timeline.place("audio", 960, 48000) == 960
