import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media.bitstream import (
    frame_problem,
    h264_nal_units,
    h264_parameter_sets,
    opus_head,
    opus_samples,
)

SPS = b"\x67\x42\xc0\x1f\xda"
PPS = b"\x68\xce\x3c\x80"
IDR = b"\x65\x88\x84\x00\x10"


def test_nal_units_with_three_and_four_byte_start_codes() -> None:
    frame = b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x01" + PPS + b"\x00\x00\x00\x01" + IDR
    assert h264_nal_units(frame) == [SPS, PPS, IDR]
    assert h264_parameter_sets(frame) == b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x00\x01" + PPS
    assert h264_parameter_sets(b"\x00\x00\x00\x01" + IDR) is None


@pytest.mark.parametrize(
    ("packet", "samples"),
    [
        (bytes([0xFC]) + b"\x00" * 40, 960),  # CELT 20 ms, one frame
        (bytes([0xF8 | 1]) + b"\x00" * 40, 1920),  # CELT 20 ms, two frames
        (bytes([(1 << 3) | 0]) + b"\x00" * 40, 960),  # SILK 20 ms
        (bytes([(3 << 3) | 3, 2]) + b"\x00" * 40, 5760),  # SILK 60 ms x2 = 120 ms
        (bytes([(3 << 3) | 3, 3]), None),  # 180 ms: longer than Opus allows
        (bytes([0xFC | 3]), None),  # code 3 without its frame count
        (b"", None),
    ],
)
def test_opus_packet_lengths(packet: bytes, samples: int | None) -> None:
    assert opus_samples(packet) == samples


def test_opus_head() -> None:
    head = opus_head()
    assert len(head) == 19 and head.startswith(b"OpusHead")
    assert struct.unpack("<BBHIhB", head[8:]) == (1, 2, 0, 48000, 0, 0)


def test_frame_problems() -> None:
    assert frame_problem("h264", b"\x00\x00\x00\x01" + IDR, True) is None
    assert frame_problem("h264", b"\x01\x02\x03\x04", False) is not None
    assert frame_problem("h264", b"\x00\x00\x00\x01", False) is not None
    vp8_key = bytes([0x10, 0x00, 0x00]) + b"\x9d\x01\x2a" + b"\xa0\x00\x78\x00" + b"\x00" * 8
    assert frame_problem("vp8", vp8_key, True) is None
    assert frame_problem("vp8", vp8_key[:3] + b"xyz" + vp8_key[6:], True) is not None
    assert frame_problem("vp8", bytes([0xF1, 0xFF, 0xFF]) + b"\x00" * 5, False) is not None
    assert frame_problem("opus", bytes([0xFC, 0x00]), True) is None


@given(st.sampled_from(["h264", "vp8", "opus"]), st.binary(max_size=64), st.booleans())
def test_any_bytes_get_an_answer_not_an_exception(codec: str, data: bytes, key: bool) -> None:
    problem = frame_problem(codec, data, key)
    assert problem is None or isinstance(problem, str)
