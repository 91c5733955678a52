"""Which codecs the relay carries, and in which order it prefers them."""

from __future__ import annotations

from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecCapability, RTCRtpCodecParameters

# H.264 first: recordings and HLS later need no transcoding. Opus only for audio: browsers
# all speak it, and G.711 would be a step down for a show.
VIDEO_ORDER = ("video/h264", "video/vp8")
AUDIO_ORDER = ("audio/opus",)
RTX = "video/rtx"


def ingest_preferences(kind: str) -> list[RTCRtpCodecCapability]:
    """What a publisher may send, best first (RTX kept so lost packets can be re-sent)."""
    order = VIDEO_ORDER if kind == "video" else AUDIO_ORDER
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    chosen = [c for name in order for c in capabilities if c.mimeType.lower() == name]
    return chosen + [c for c in capabilities if c.mimeType.lower() == RTX]


def egress_preferences(codec: RTCRtpCodecParameters) -> list[RTCRtpCodecCapability]:
    """A viewer must receive exactly the codec the host sends: the relay never transcodes."""
    kind = codec.mimeType.split("/")[0]
    same = RTCRtpCodecCapability(
        mimeType=codec.mimeType,
        clockRate=codec.clockRate,
        channels=codec.channels,
        parameters=dict(codec.parameters),
    )
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    return [same] + [c for c in capabilities if c.mimeType.lower() == RTX]


def same_codec(a: RTCRtpCodecParameters, b: RTCRtpCodecParameters) -> bool:
    """Whether frames of codec `b` can be packed for a sender that negotiated codec `a`."""
    return (
        a.mimeType.lower() == b.mimeType.lower()
        and a.clockRate == b.clockRate
        and a.parameters == b.parameters
    )
