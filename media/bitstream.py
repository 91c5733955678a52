"""Just enough of the H.264, VP8 and Opus bitstreams to mux frames without decoding them."""

from __future__ import annotations

import struct

START_CODE = b"\x00\x00\x01"
H264_SPS = 7
H264_PPS = 8
OPUS_RATE = 48000
OPUS_MAX_SAMPLES = 5760  # 120 ms, the longest packet Opus allows (RFC 6716, 3.2.5)
VP8_KEYFRAME_START = b"\x9d\x01\x2a"  # follows the frame tag of every key frame (RFC 6386, 9.1)


def h264_nal_units(data: bytes) -> list[bytes]:
    """The NAL units of an Annex-B frame, without their start codes."""
    units = []
    start = data.find(START_CODE)
    while start != -1:
        begin = start + len(START_CODE)
        start = data.find(START_CODE, begin)
        # A NAL unit never ends in a zero byte: trailing zeros are the next four-byte start
        # code's first byte, or padding.
        unit = data[begin : len(data) if start == -1 else start].rstrip(b"\x00")
        if unit:
            units.append(unit)
    return units


def h264_parameter_sets(data: bytes) -> bytes | None:
    """The frame's first SPS and PPS as Annex-B (what MP4's avcC is built from), or None when
    it lacks either."""
    found: dict[int, bytes] = {}
    for unit in h264_nal_units(data):
        found.setdefault(unit[0] & 0x1F, unit)
    if H264_SPS not in found or H264_PPS not in found:
        return None
    return b"".join(b"\x00\x00\x00\x01" + found[t] for t in (H264_SPS, H264_PPS))


def opus_samples(packet: bytes) -> int | None:
    """Samples (at 48 kHz) in one Opus packet, read from its TOC byte (RFC 6716, 3.1), or
    None when the packet cannot be Opus."""
    if not packet:
        return None
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40 or 60 ms
        per_frame = (480, 960, 1920, 2880)[config % 4]
    elif config < 16:  # hybrid: 10 or 20 ms
        per_frame = (480, 960)[config % 2]
    else:  # CELT: 2.5, 5, 10 or 20 ms
        per_frame = (120, 240, 480, 960)[config % 4]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    elif len(packet) < 2:
        return None
    else:
        frames = packet[1] & 0x3F
    samples = per_frame * frames
    return samples if 0 < samples <= OPUS_MAX_SAMPLES else None


def opus_head(channels: int = 2) -> bytes:
    """The 19-byte OpusHead (RFC 7845, 5.1) MP4 and WebM carry as the track's codec private
    data. Pre-skip 0: the recording joins the host's encoder mid-stream, there is no warm-up
    of ours to skip."""
    return struct.pack("<8sBBHIhB", b"OpusHead", 1, channels, 0, OPUS_RATE, 0, 0)


def frame_problem(codec: str, data: bytes, keyframe: bool) -> str | None:
    """Why `data` cannot be one encoded frame of `codec` ("h264", "vp8", "opus"), or None."""
    if codec == "h264":
        # Cheap on purpose (every frame of the show passes here): the start, not every unit.
        if data.startswith(START_CODE):
            prefix = len(START_CODE)
        elif data.startswith(b"\x00" + START_CODE):
            prefix = len(START_CODE) + 1
        else:
            return "not an Annex-B H.264 frame"
        return None if len(data) > prefix else "an H.264 frame without NAL units"
    if codec == "vp8":
        return _vp8_problem(data, keyframe)
    if codec == "opus":
        return None if opus_samples(data) is not None else "not an Opus packet"
    return f"no checks for {codec}"


def _vp8_problem(data: bytes, keyframe: bool) -> str | None:
    # Frame tag (RFC 6386, 9.1): 3 bytes, the first partition's size in its top 19 bits;
    # a key frame adds a start code and its picture size (7 more bytes).
    header = 10 if keyframe else 3
    if len(data) < header:
        return "a VP8 frame shorter than its header"
    if keyframe and data[3:6] != VP8_KEYFRAME_START:
        return "a VP8 key frame without its start code"
    first_partition = int.from_bytes(data[:3], "little") >> 5
    if header + first_partition > len(data):
        return "a VP8 frame shorter than its first partition"
    return None
