"""A viewer's WHEP session: one sendonly track per kind the host publishes, fed by the relay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import aiortc_hooks
from media.codecs import egress_preferences
from media.exceptions import UnsupportedCodec
from media.forwarded_track import ForwardedTrack
from media.peer import answer, new_peer, new_session_id, watch_connection
from media.sdp import offered_kinds

AUDIO_QUEUE_FRAMES = 50  # one second of 20 ms Opus frames


@dataclass
class ViewerSession:
    session_id: str
    pc: RTCPeerConnection
    answer_sdp: str
    tracks: list[ForwardedTrack]

    async def close(self) -> None:
        for track in self.tracks:
            track.stop()
        await self.pc.close()


async def accept_viewer(
    offer_sdp: str,
    ice_servers: tuple[str, ...],
    codecs: dict[str, RTCRtpCodecParameters],
    video_queue_frames: int,
    on_keyframe_request: Callable[[], None],
    on_gone: Callable[[str], None],
) -> ViewerSession:
    """Answer a viewer's offer; `on_gone(session_id)` runs once when its connection ends."""
    kinds = offered_kinds(offer_sdp)
    session_id = new_session_id()
    pc = new_peer(ice_servers)
    offered = []
    for kind, codec in codecs.items():
        if kind not in kinds:
            continue  # the viewer does not receive this kind: aiortc cannot answer for it
        track = ForwardedTrack(kind, video_queue_frames if kind == "video" else AUDIO_QUEUE_FRAMES)
        transceiver = pc.addTransceiver(track, direction="sendonly")
        transceiver.setCodecPreferences(egress_preferences(codec))
        if kind == "video":
            aiortc_hooks.on_keyframe_request(transceiver.sender, on_keyframe_request)
        offered.append((transceiver, track))
    sdp = await answer(pc, offer_sdp)
    tracks = [track for transceiver, track in offered if transceiver.mid is not None]
    if not tracks:
        await pc.close()
        raise UnsupportedCodec("the offer receives none of the show's audio or video")
    watch_connection(pc, lambda: on_gone(session_id))
    return ViewerSession(session_id, pc, sdp, tracks)
