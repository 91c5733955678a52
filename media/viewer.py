"""A viewer's WHEP session: one sendonly track per kind the host publishes, fed by the relay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import aiortc_hooks
from media.codecs import egress_preferences, same_codec
from media.exceptions import UnsupportedCodec
from media.forwarded_track import ForwardedTrack
from media.peer import answer, new_peer, watch_connection
from media.sdp import viewer_sections

AUDIO_QUEUE_FRAMES = 50  # one second of 20 ms Opus frames


@dataclass
class ViewerSession:
    session_id: str
    pc: RTCPeerConnection
    answer_sdp: str
    tracks: list[ForwardedTrack]
    codecs: dict[str, RTCRtpCodecParameters]  # kind -> what this viewer's senders pack

    def can_take(self, codecs: dict[str, RTCRtpCodecParameters]) -> bool:
        """Whether this viewer can be fed by a host sending `codecs` (it cannot renegotiate)."""
        return all(
            same_codec(codec, codecs[kind]) for kind, codec in self.codecs.items() if kind in codecs
        )

    async def close(self) -> None:
        for track in self.tracks:
            track.stop()
        await self.pc.close()


async def accept_viewer(
    session_id: str,
    offer_sdp: str,
    ice_servers: tuple[str, ...],
    codecs: dict[str, RTCRtpCodecParameters],
    video_queue_frames: int,
    on_keyframe_request: Callable[[], None],
    on_gone: Callable[[], None],
) -> ViewerSession:
    """Answer a viewer's offer; `on_gone()` runs once when its connection ends."""
    sections = viewer_sections(offer_sdp)
    pc = new_peer(ice_servers)
    offered = []
    for kind, receives in sections.items():
        codec = codecs.get(kind)
        if codec is None or not receives:
            # Answer the section inactive: a transceiver aiortc made itself would receive
            # (and decode) whatever a viewer sends.
            pc.addTransceiver(kind, direction="inactive")
            continue
        capacity = video_queue_frames if kind == "video" else AUDIO_QUEUE_FRAMES
        track = ForwardedTrack(kind, capacity)
        transceiver = pc.addTransceiver(track, direction="sendonly")
        # The viewer must take exactly the host's codec: the relay never transcodes.
        transceiver.setCodecPreferences(egress_preferences(codec))
        if kind == "video":
            aiortc_hooks.on_keyframe_request(transceiver.sender, on_keyframe_request)
        offered.append((kind, codec, track))
    if not offered:
        await pc.close()
        raise UnsupportedCodec("the offer receives none of the show's audio or video")
    sdp = await answer(pc, offer_sdp)
    watch_connection(pc, on_gone)
    tracks = [track for _, _, track in offered]
    return ViewerSession(session_id, pc, sdp, tracks, {kind: c for kind, c, _ in offered})
