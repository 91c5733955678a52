"""Checks an SDP offer before aiortc sees it, so garbage is an InvalidOffer, not a crash."""

from __future__ import annotations

from aiortc import sdp as aiortc_sdp

from media.exceptions import InvalidOffer

MEDIA_KINDS = ("audio", "video")


def offered_kinds(text: str) -> list[str]:
    """The media kinds (audio, video) the offer carries, in m-line order; InvalidOffer if none."""
    return [m.kind for m in check_offer(text).media if m.kind in MEDIA_KINDS]


def check_offer(text: str) -> aiortc_sdp.SessionDescription:
    if not text.lstrip().startswith("v=0"):
        raise InvalidOffer("the body is not an SDP offer (it must start with v=0)")
    try:
        parsed = aiortc_sdp.SessionDescription.parse(text)
    except Exception as exc:  # aiortc's parser raises whatever the bad line provokes
        raise InvalidOffer(f"the SDP offer could not be parsed: {exc}") from None
    kinds = [m.kind for m in parsed.media if m.kind in MEDIA_KINDS]
    if not kinds:
        raise InvalidOffer("the SDP offer has no audio or video section")
    for media in parsed.media:
        if media.kind in MEDIA_KINDS and not (
            media.ice and media.ice.usernameFragment and media.dtls
        ):
            raise InvalidOffer(f"the {media.kind} section lacks ICE credentials or a fingerprint")
    return parsed
