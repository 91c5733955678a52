"""CMAF/fragmented-MP4 boxes for HLS, written by hand (ISO/IEC 14496-12 and -15, Opus in ISOBMFF).

Only what an HLS player needs: the init segment (`ftyp` + `moov` with one H.264 and one Opus
track, and `mvex`), and fragments (`moof` + `mdat`). Every byte follows from the samples
given: no clock, no random number, no library version is written, so two nodes that package
the same samples write the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from media.bitstream import OPUS_RATE, h264_nal_units, h264_parameter_sets

VIDEO_TRACK = 1
AUDIO_TRACK = 2
VIDEO_TIMESCALE = 90000
AUDIO_TIMESCALE = OPUS_RATE
# trun sample flags (14496-12, 8.8.3.1): a sync sample, or one that depends on others.
SYNC_SAMPLE = 0x02000000
NON_SYNC_SAMPLE = 0x01010000
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


@dataclass(frozen=True, slots=True)
class Sample:
    data: bytes  # H.264: length-prefixed NAL units (AVCC); Opus: one packet
    decode_time: int  # ticks of the track's timescale
    duration: int  # ticks
    keyframe: bool = True


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def annexb_to_avcc(frame: bytes) -> bytes:
    """An Annex-B access unit as MP4 stores it: each NAL unit after its 4-byte length."""
    return b"".join(struct.pack(">I", len(u)) + u for u in h264_nal_units(frame))


def h264_codec_string(sps: bytes) -> str:
    """RFC 6381's `avc1.PPCCLL` from an SPS NAL unit (its header byte first)."""
    return "avc1." + sps[1:4].hex()


def init_segment(sps: bytes, pps: bytes, width: int, height: int, audio: bool) -> bytes:
    """`ftyp` + `moov` for one H.264 track (SPS/PPS NAL units without start codes) and, when
    `audio`, one stereo Opus track."""
    tracks = [_video_trak(sps, pps, width, height)]
    extends = [_trex(VIDEO_TRACK)]
    if audio:
        tracks.append(_audio_trak())
        extends.append(_trex(AUDIO_TRACK))
    mvhd = full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, 1000, 0),  # created, modified, timescale, duration
        struct.pack(">IH10x", 0x10000, 0x100),  # rate 1.0, volume 1.0, reserved
        _MATRIX, bytes(24),
        struct.pack(">I", AUDIO_TRACK + 1),  # next track id
    )  # fmt: skip
    ftyp = box(b"ftyp", b"iso6", struct.pack(">I", 0), b"iso6cmfcmp41dash")
    return ftyp + box(b"moov", mvhd, *tracks, box(b"mvex", *extends))


def fragment(sequence: int, video: Sequence[Sample], audio: Sequence[Sample]) -> bytes:
    """One `moof` + `mdat`: the samples of each track, video's data first in the `mdat`."""
    tracks = [(VIDEO_TRACK, video), (AUDIO_TRACK, audio)]
    tracks = [(track, samples) for track, samples in tracks if samples]
    # Sizes first (the data offsets depend on the moof's length), then the real boxes.
    moof_size = len(_moof(sequence, tracks, [0] * len(tracks)))
    offsets, at = [], moof_size + 8
    for _, samples in tracks:
        offsets.append(at)
        at += sum(len(s.data) for s in samples)
    moof = _moof(sequence, tracks, offsets)
    mdat = box(b"mdat", *(s.data for _, samples in tracks for s in samples))
    return moof + mdat


def _moof(sequence: int, tracks: list[tuple[int, Sequence[Sample]]], offsets: list[int]) -> bytes:
    trafs = []
    for (track, samples), offset in zip(tracks, offsets, strict=True):
        # tfhd: default-base-is-moof (0x020000); trun: data offset, durations, sizes, flags.
        tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", track))
        tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", samples[0].decode_time))
        rows = b"".join(
            struct.pack(
                ">III",
                s.duration,
                len(s.data),
                SYNC_SAMPLE if s.keyframe else NON_SYNC_SAMPLE,
            )
            for s in samples
        )
        trun = full_box(b"trun", 0, 0x000701, struct.pack(">Ii", len(samples), offset), rows)
        trafs.append(box(b"traf", tfhd, tfdt, trun))
    return box(b"moof", full_box(b"mfhd", 0, 0, struct.pack(">I", sequence)), *trafs)


def _trak(track: int, handler: bytes, media_header: bytes, entry: bytes, tkhd_tail: bytes) -> bytes:
    timescale = VIDEO_TIMESCALE if track == VIDEO_TRACK else AUDIO_TIMESCALE
    tkhd = full_box(
        b"tkhd", 0, 0x000003,  # enabled, in movie
        struct.pack(">IIII4x", 0, 0, track, 0),  # created, modified, id, reserved, duration
        bytes(8), tkhd_tail,
    )  # fmt: skip
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, 0, 0x55C4, 0))  # und
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I4s12x", 0, handler), b"\0")
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))
    empty = struct.pack(">I", 0)
    stbl = box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry),
        full_box(b"stts", 0, 0, empty),
        full_box(b"stsc", 0, 0, empty),
        full_box(b"stsz", 0, 0, empty, empty),
        full_box(b"stco", 0, 0, empty),
    )
    minf = box(b"minf", media_header, dinf, stbl)
    return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf))


def _video_trak(sps: bytes, pps: bytes, width: int, height: int) -> bytes:
    avcc = box(
        b"avcC",
        bytes((1, sps[1], sps[2], sps[3], 0xFF, 0xE1)),  # 4-byte lengths, one SPS
        struct.pack(">H", len(sps)), sps,
        bytes((1,)), struct.pack(">H", len(pps)), pps,
    )  # fmt: skip
    avc1 = box(
        b"avc1",
        bytes(6), struct.pack(">H", 1),  # reserved, data reference index
        bytes(16), struct.pack(">HH", width, height),
        struct.pack(">IIIH", 0x480000, 0x480000, 0, 1),  # 72 dpi, reserved, one frame
        bytes(32), struct.pack(">Hh", 0x18, -1),  # compressor name, depth, no colour table
        avcc,
    )  # fmt: skip
    vmhd = full_box(b"vmhd", 0, 1, bytes(8))
    tail = struct.pack(">hhH2x", 0, 0, 0) + _MATRIX + struct.pack(">II", width << 16, height << 16)
    return _trak(VIDEO_TRACK, b"vide", vmhd, avc1, tail)


def _audio_trak() -> bytes:
    # dOps (Opus in ISOBMFF, 4.3.2): version 0, two channels, pre-skip 0, 48 kHz, gain 0,
    # mapping family 0. The recording's OpusHead says the same (media/bitstream.py).
    dops = box(b"dOps", struct.pack(">BBHIhB", 0, 2, 0, OPUS_RATE, 0, 0))
    opus = box(
        b"Opus",
        bytes(6), struct.pack(">H", 1),
        bytes(8), struct.pack(">HHHHI", 2, 16, 0, 0, OPUS_RATE << 16),
        dops,
    )  # fmt: skip
    smhd = full_box(b"smhd", 0, 0, bytes(4))
    tail = struct.pack(">hhH2x", 0, 1, 0x100) + _MATRIX + bytes(8)  # alternate group 1, full volume
    return _trak(AUDIO_TRACK, b"soun", smhd, opus, tail)


def _trex(track: int) -> bytes:
    return full_box(b"trex", 0, 0, struct.pack(">IIIII", track, 1, 0, 0, 0))


def parameter_sets(frame: bytes) -> tuple[bytes, bytes] | None:
    """The first SPS and PPS NAL units of an Annex-B frame, or None when it lacks either."""
    found = h264_parameter_sets(frame)
    if found is None:
        return None
    sps, pps = h264_nal_units(found)
    return sps, pps
