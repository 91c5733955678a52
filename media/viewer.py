"""A viewer's WHEP session: one sendonly section per kind the host publishes, fed by the relay.

aiortc negotiates, runs ICE, DTLS and RTCP (reports, NACK, PLI in); the relay's Egress sends the
RTP itself. aiortc's own sender gets a track that never yields, so it sends no media.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import RTCPeerConnection, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import aiortc_hooks
from media.codecs import RTX, egress_preferences, same_codec
from media.egress import Egress
from media.exceptions import UnsupportedCodec
from media.peer import answer, new_peer, watch_connection
from media.sdp import viewer_sections


@dataclass
class ViewerSession:
    session_id: str
    pc: RTCPeerConnection
    answer_sdp: str
    egresses: list[Egress]
    codecs: dict[str, RTCRtpCodecParameters]  # kind -> what this viewer negotiated

    def can_take(self, codecs: dict[str, RTCRtpCodecParameters]) -> bool:
        """Whether this viewer can be fed by a host sending `codecs` (it cannot renegotiate)."""
        return all(
            same_codec(codec, codecs[kind]) for kind, codec in self.codecs.items() if kind in codecs
        )

    async def close(self) -> None:
        await self.pc.close()


@dataclass(frozen=True)
class Show:
    """What a viewer is answered with: the host's codecs and the show's SSRCs per kind."""

    codecs: dict[str, RTCRtpCodecParameters]
    ssrcs: dict[str, tuple[int, int]]


async def accept_viewer(
    session_id: str,
    offer_sdp: str,
    ice_servers: tuple[str, ...],
    show: Show,
    max_queued_bytes: int,
    on_keyframe_request: Callable[[], None],
    on_connected: Callable[[], None],
    on_gone: Callable[[], None],
    connect_timeout_s: float | None = None,
) -> ViewerSession:
    """Answer a viewer's offer; `on_connected()` runs when media can flow, `on_gone()` once
    when its connection ends."""
    sections = viewer_sections(offer_sdp)
    pc = new_peer(ice_servers)
    sending: dict[str, RTCRtpTransceiver] = {}
    for kind, receives in sections.items():
        codec = show.codecs.get(kind)
        if codec is None or not receives:
            # Answer the section inactive: a transceiver aiortc made itself would receive
            # (and decode) whatever a viewer sends.
            pc.addTransceiver(kind, direction="inactive")
            continue
        transceiver = pc.addTransceiver(_Silent(kind), direction="sendonly")
        # The viewer must take exactly the host's codec: the relay never transcodes.
        transceiver.setCodecPreferences(egress_preferences(codec))
        aiortc_hooks.use_ssrcs(transceiver.sender, *show.ssrcs[kind])
        sending[kind] = transceiver
    if not sending:
        await pc.close()
        raise UnsupportedCodec("the offer receives none of the show's audio or video")
    sdp = await answer(pc, offer_sdp)
    egresses = [
        _egress(kind, t, show.ssrcs[kind][1], max_queued_bytes, on_keyframe_request)
        for kind, t in sending.items()
    ]
    watch_connection(pc, on_gone, on_connected, connect_timeout_s)
    return ViewerSession(session_id, pc, sdp, egresses, {k: show.codecs[k] for k in sending})


def _egress(
    kind: str,
    transceiver: RTCRtpTransceiver,
    rtx_ssrc: int,
    max_queued_bytes: int,
    on_keyframe_request: Callable[[], None],
) -> Egress:
    codecs = aiortc_hooks.negotiated_codecs(transceiver)
    main = codecs[0]  # the answer kept only the show's codec (and its RTX)
    rtx = next(
        (
            c.payloadType
            for c in codecs
            if c.mimeType.lower() == RTX and c.parameters.get("apt") == main.payloadType
        ),
        None,
    )
    return Egress(
        kind,
        transceiver.sender,
        main.payloadType or 0,  # always set once negotiated
        rtx,
        rtx_ssrc,
        max_queued_bytes,
        on_keyframe_request,
    )


class _Silent(MediaStreamTrack):
    """The track aiortc's sender waits on forever: the relay sends this viewer's RTP itself."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._stopped = asyncio.Event()

    async def recv(self) -> None:  # type: ignore[override]
        await self._stopped.wait()
        raise MediaStreamError

    def stop(self) -> None:
        self._stopped.set()
        super().stop()
