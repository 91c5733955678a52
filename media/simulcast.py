"""Simulcast in the host's offer (RFC 8851 rids, RFC 8853 a=simulcast) and in our answer.

aiortc neither reads nor answers simulcast. The offer's text is read here; the answer aiortc
writes gets the lines that accept the layers (`a=rid:<id> recv`, `a=simulcast:recv ...`); the
header extensions that name each packet's layer are negotiated through media.aiortc_hooks.

The relay accepts the rids the studio sends (q, h, f: a quarter, half and full resolution,
the convention LiveKit and others use), at most three. An offer with other rids keeps the
known ones; with fewer than two left it is answered single-layer (the browser then sends one
encoding). More than three layers, or layers restricted to different codecs, are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from media.exceptions import SimulcastCodecMismatch, TooManyLayers

# Lowest first: the order every layer list of the relay uses.
LAYERS = ("q", "h", "f")
MAX_LAYERS = 3
RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
SIMULCAST_EXTENSIONS = (RID_URI, REPAIRED_RID_URI)
# Each layer's share of the full picture's width (1/4, 1/2, 1), for the player-size rule.
LAYER_SCALE = {"q": 0.25, "h": 0.5, "f": 1.0}


@dataclass(frozen=True)
class SimulcastOffer:
    """The layers a video section offers to send, lowest first, and its rid extension ids."""

    rids: tuple[str, ...]
    extensions: dict[str, int]  # header-extension URI -> id, as offered

    @property
    def layered(self) -> bool:
        return len(self.rids) >= 2


SINGLE = SimulcastOffer((), {})


def read_offer(sdp: str) -> SimulcastOffer:
    """The simulcast layers of the offer's video section (SINGLE when it sends one layer)."""
    section = _video_section(sdp.split("\r\n") if "\r\n" in sdp else sdp.split("\n"))
    if section is None:
        return SINGLE
    sent: list[str] = []
    rid_pts: dict[str, list[str]] = {}
    rtpmap: dict[str, str] = {}
    extensions: dict[str, int] = {}
    for line in section:
        if line.startswith("a=simulcast:"):
            sent = _simulcast_send(line[len("a=simulcast:") :])
        elif line.startswith("a=rid:"):
            rid, _, rest = line[len("a=rid:") :].partition(" ")
            direction, _, restrictions = rest.strip().partition(" ")
            if direction == "send":
                rid_pts[rid] = _payload_types(restrictions)
        elif line.startswith("a=rtpmap:"):
            pt, _, name = line[len("a=rtpmap:") :].partition(" ")
            rtpmap[pt] = name.split("/", 1)[0].lower()
        elif line.startswith("a=extmap:"):
            ident, _, uri = line[len("a=extmap:") :].partition(" ")
            if uri.split(" ")[0] in (*SIMULCAST_EXTENSIONS, MID_URI):
                try:
                    extensions[uri.split(" ")[0]] = int(ident.split("/")[0])
                except ValueError:
                    continue
    if not sent:
        return SINGLE
    if len(sent) > MAX_LAYERS:
        raise TooManyLayers(
            f"the offer sends {len(sent)} simulcast layers; the relay takes at most {MAX_LAYERS}"
        )
    _check_codecs(sent, rid_pts, rtpmap)
    known = tuple(r for r in LAYERS if r in sent and r in rid_pts)
    if len(known) < 2 or RID_URI not in extensions:
        return SINGLE
    return SimulcastOffer(known, extensions)


def answer_simulcast(answer_sdp: str, offer: SimulcastOffer) -> str:
    """aiortc's answer with the video section accepting the offer's layers (RFC 8853 6.5)."""
    if not offer.layered:
        return answer_sdp
    lines = answer_sdp.split("\r\n")
    out: list[str] = []
    in_video = False
    for index, line in enumerate(lines):
        out.append(line)
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        following = lines[index + 1] if index + 1 < len(lines) else "m="
        if in_video and (following.startswith("m=") or following == ""):
            out += [f"a=rid:{rid} recv" for rid in offer.rids]
            out.append("a=simulcast:recv " + ";".join(offer.rids))
            in_video = False
    return "\r\n".join(out)


def without_simulcast(offer_sdp: str) -> str:
    """The offer without its a=rid and a=simulcast lines: answered as one layer."""
    sep = "\r\n" if "\r\n" in offer_sdp else "\n"
    lines = offer_sdp.split(sep)
    return sep.join(line for line in lines if not line.startswith(("a=rid:", "a=simulcast:")))


def _video_section(lines: list[str]) -> list[str] | None:
    section: list[str] | None = None
    for line in lines:
        if line.startswith("m="):
            if section is not None:
                return section
            if line.startswith("m=video"):
                section = []
            continue
        if section is not None:
            section.append(line)
    return section


def _simulcast_send(value: str) -> list[str]:
    """The send streams of an a=simulcast value: "send q;h;~f" -> [q, h, f] (the first of each
    set of alternatives; a paused one still counts, it may resume)."""
    words = value.split()
    for direction, streams in zip(words[::2], words[1::2], strict=False):
        if direction == "send":
            return [s.split(",")[0].lstrip("~") for s in streams.split(";") if s]
    return []


def _payload_types(restrictions: str) -> list[str]:
    for part in restrictions.split(";"):
        key, _, value = part.partition("=")
        if key.strip() == "pt":
            return [pt for pt in value.split(",") if pt]
    return []  # no restriction: any of the section's formats


def _check_codecs(sent: list[str], rid_pts: dict[str, list[str]], rtpmap: dict[str, str]) -> None:
    """Every layer lands on one viewer stream: they must all be able to use one codec."""
    allowed: set[str] | None = None
    for rid in sent:
        pts = rid_pts.get(rid, [])
        if not pts:
            continue
        codecs = {rtpmap.get(pt, f"pt {pt}") for pt in pts} - {"rtx"}
        allowed = codecs if allowed is None else allowed & codecs
        if not allowed:
            raise SimulcastCodecMismatch(
                "the offer's simulcast layers are restricted to different codecs; "
                "the relay forwards one codec per show"
            )
