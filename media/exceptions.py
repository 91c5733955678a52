"""Media errors: one base class; the HTTP edge maps each to a 4xx."""

from __future__ import annotations


class MediaError(Exception):
    """A media request the relay refuses; the message says why, for people."""


class InvalidOffer(MediaError):
    pass


class UnsupportedCodec(MediaError):
    pass


class AlreadyPublishing(MediaError):
    pass


class NotLive(MediaError):
    pass


class SessionNotFound(MediaError):
    pass
