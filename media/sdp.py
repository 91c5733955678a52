"""Checks an SDP offer before aiortc sees it, so garbage is an InvalidOffer, not a crash."""

from __future__ import annotations

from aiortc import sdp as aiortc_sdp

from media.exceptions import InvalidOffer

MEDIA_KINDS = ("audio", "video")
# What each role must be able to do in its sections (a missing a=<direction> means sendrecv).
HOST_DIRECTIONS = ("sendonly", "sendrecv")
VIEWER_DIRECTIONS = ("recvonly", "sendrecv")


def host_sections(text: str) -> dict[str, bool]:
    """Each kind in a host's offer, in m-line order -> whether it sends; InvalidOffer if none."""
    return _sections(text, HOST_DIRECTIONS, "send")


def viewer_sections(text: str) -> dict[str, bool]:
    """Each kind in a viewer's offer, in m-line order -> whether it receives."""
    return _sections(text, VIEWER_DIRECTIONS, "receive")


def _sections(text: str, directions: tuple[str, ...], verb: str) -> dict[str, bool]:
    media = [m for m in check_offer(text).media if m.kind in MEDIA_KINDS]
    sections: dict[str, bool] = {}
    for m in media:
        # One of each: a second video section would get a transceiver of aiortc's own, which
        # decodes, and the relay has nowhere to send it anyway.
        if m.kind in sections:
            raise InvalidOffer(f"the SDP offer has more than one {m.kind} section")
        sections[m.kind] = (m.direction or "sendrecv") in directions
    if not any(sections.values()):
        raise InvalidOffer(f"the SDP offer does not {verb} any audio or video")
    return sections


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
    mids = [m.rtp.muxId for m in parsed.media]
    # aiortc pairs sections with transports by mid; without them it fails in a background
    # task instead of refusing the offer.
    if not all(mids) or len(set(mids)) != len(mids):
        raise InvalidOffer("every SDP media section needs its own a=mid")
    for group in parsed.group:
        if not set(map(str, group.items)) <= set(mids):
            raise InvalidOffer(f"the SDP group {group.semantic} names a section that is absent")
    for media in parsed.media:
        if media.kind in MEDIA_KINDS and not (
            media.ice and media.ice.usernameFragment and media.ice.password and media.dtls
        ):
            raise InvalidOffer(f"the {media.kind} section lacks ICE credentials or a fingerprint")
    return parsed


def with_bandwidth(sdp: str, kind: str, max_bps: int) -> str:
    """The SDP with a send-bitrate limit on every `kind` section: b=TIAS (bps, RFC 3890) and
    b=AS (kbps) for the peers that only read that one. Placed after the section's c= line."""
    lines = sdp.split("\r\n")
    out: list[str] = []
    current = None
    for line in lines:
        if line.startswith("m="):
            current = line[2:].split(" ", 1)[0]
        if current == kind and line.startswith("b="):
            continue  # ours replaces any limit already there
        out.append(line)
        if current == kind and line.startswith("c="):
            out += [f"b=AS:{max(1, max_bps // 1000)}", f"b=TIAS:{max_bps}"]
    return "\r\n".join(out)
