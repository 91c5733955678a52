"""Media errors: one base class; the HTTP edge maps each to a 4xx. Each has a default message
for people, which a raise may replace with a more precise one, and a stable code from
`MediaCode` (docs/protocol.md lists them; media imports nothing of the server, so its codes
live here rather than in server/core/domain/error_codes.py)."""

from __future__ import annotations

from enum import StrEnum


class MediaCode(StrEnum):
    """The WHIP/WHEP relay's refusals, and those of reading recordings (clips)."""

    MEDIA_ERROR = "media_error"
    BAD_SDP = "bad_sdp"
    UNSUPPORTED_CODEC = "unsupported_codec"
    ALREADY_PUBLISHING = "already_publishing"
    NOT_LIVE = "not_live"
    SESSION_NOT_FOUND = "session_not_found"
    CLIP_RANGE_INVALID = "clip_range_invalid"
    CLIP_OUT_OF_RECORDING = "clip_out_of_recording"
    RECORDING_UNREADABLE = "recording_unreadable"
    SIMULCAST_TOO_MANY_LAYERS = "simulcast_too_many_layers"
    SIMULCAST_CODEC_MISMATCH = "simulcast_codec_mismatch"
    # LL-HLS (media/hls.py) and WHEP's capacity (SHOPCAST_MAX_WEBRTC_VIEWERS)
    HLS_NEEDS_H264 = "hls_needs_h264"
    HLS_NOT_FOUND = "hls_not_found"
    HLS_BAD_REQUEST = "hls_bad_request"
    HLS_NOT_READY = "hls_not_ready"
    WEBRTC_FULL = "webrtc_full"


class MediaError(Exception):
    """A media request the relay refuses; the message says why, for people."""

    code = MediaCode.MEDIA_ERROR
    default_message = "the media request was refused"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class InvalidOffer(MediaError):
    code = MediaCode.BAD_SDP
    default_message = "the body is not an SDP offer the relay can answer"


class UnsupportedCodec(MediaError):
    code = MediaCode.UNSUPPORTED_CODEC
    default_message = "the offer has no codec in common with the show (H.264 or VP8, and Opus)"


class AlreadyPublishing(MediaError):
    code = MediaCode.ALREADY_PUBLISHING
    default_message = "this stream already has a live publisher; end that session first"


class NotLive(MediaError):
    code = MediaCode.NOT_LIVE
    default_message = "the host is not publishing this stream"


class SessionNotFound(MediaError):
    code = MediaCode.SESSION_NOT_FOUND
    default_message = "no such media session"


class InvalidClipRange(MediaError):
    code = MediaCode.CLIP_RANGE_INVALID
    default_message = "a clip ends after it starts, and neither offset is negative"


class ClipOutsideRecording(MediaError):
    code = MediaCode.CLIP_OUT_OF_RECORDING
    default_message = "the clip's offsets fall outside the recording"


class RecordingUnreadable(MediaError):
    code = MediaCode.RECORDING_UNREADABLE
    default_message = "the recording's file cannot be read"


class TooManyLayers(InvalidOffer):
    code = MediaCode.SIMULCAST_TOO_MANY_LAYERS
    default_message = "the offer sends more simulcast layers than the relay takes (3)"


class SimulcastCodecMismatch(InvalidOffer):
    code = MediaCode.SIMULCAST_CODEC_MISMATCH
    default_message = "the offer's simulcast layers use different codecs"
