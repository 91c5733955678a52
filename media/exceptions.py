"""Media errors: one base class; the HTTP edge maps each to a 4xx. Each has a default message
for people, which a raise may replace with a more precise one."""

from __future__ import annotations


class MediaError(Exception):
    """A media request the relay refuses; the message says why, for people."""

    default_message = "the media request was refused"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class InvalidOffer(MediaError):
    default_message = "the body is not an SDP offer the relay can answer"


class UnsupportedCodec(MediaError):
    default_message = "the offer has no codec in common with the show (H.264 or VP8, and Opus)"


class AlreadyPublishing(MediaError):
    default_message = "this stream already has a live publisher; end that session first"


class NotLive(MediaError):
    default_message = "the host is not publishing this stream"


class SessionNotFound(MediaError):
    default_message = "no such media session"
