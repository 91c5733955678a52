"""The media API the server calls: publish (WHIP), watch (WHEP), and their teardown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from media.background import Background
from media.broadcast import Broadcast, BroadcastConfig
from media.exceptions import AlreadyPublishing, NotLive, SessionNotFound
from media.metrics import ShowMetrics
from media.peer import new_session_id
from media.publisher import PublisherSession, accept_publisher
from media.viewer import Show, ViewerSession, accept_viewer

logger = logging.getLogger(__name__)

Listener = Callable[[str, str], None]
PUBLISHER_CONNECTED = "publisher_connected"
PUBLISHER_DISCONNECTED = "publisher_disconnected"


@dataclass(frozen=True)
class MediaConfig:
    ice_servers: tuple[str, ...] = ()  # "stun:host:port" URLs, may be empty
    broadcast: BroadcastConfig = field(default_factory=BroadcastConfig)
    max_video_bps: int | None = None  # a cap on every host's video bitrate; None: the host's own


@dataclass(frozen=True)
class SessionDescription:
    session_id: str  # opaque, URL-safe, unguessable
    sdp: str  # the complete answer (ICE gathered: WHIP/WHEP do not trickle here)


@dataclass
class _Show:
    broadcast: Broadcast
    publisher: PublisherSession | None = None
    viewers: dict[str, ViewerSession] = field(default_factory=dict)


class MediaService:
    """Shows by stream key.

    When the host's connection ends (or it unpublishes), its viewers stay connected: a host
    that publishes again on the same stream feeds them again from its first keyframe, unless
    it now sends another codec, in which case they are closed (a viewer cannot renegotiate
    here) and must watch again. `end()` closes the host and every viewer.
    """

    def __init__(self, config: MediaConfig) -> None:
        self._config = config
        self._shows: dict[str, _Show] = {}
        self._listeners: list[Listener] = []
        self._background = Background()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def is_publishing(self, stream_key: str) -> bool:
        show = self._shows.get(stream_key)
        return show is not None and show.publisher is not None

    def viewer_count(self, stream_key: str) -> int:
        show = self._shows.get(stream_key)
        return len(show.viewers) if show else 0

    def metrics(self) -> dict[str, ShowMetrics]:
        """Counters of every show this process serves, by stream key."""
        return {key: show.broadcast.metrics() for key, show in self._shows.items()}

    async def publish(self, stream_key: str, offer_sdp: str) -> SessionDescription:
        if self.is_publishing(stream_key):
            raise AlreadyPublishing()
        session_id = new_session_id()
        publisher = await accept_publisher(
            session_id,
            offer_sdp,
            self._config.ice_servers,
            lambda kind, codec, frame: self._forward(stream_key, session_id, kind, codec, frame),
            lambda kind, packet, arrival: self._forward_packet(
                stream_key, session_id, kind, packet, arrival
            ),
            lambda: self._publisher_gone(stream_key, session_id),
            self._config.max_video_bps,
        )
        show = self._show(stream_key)  # looked up again: the show may have changed meanwhile
        if show.publisher is not None:  # another publish won the race while we negotiated
            await publisher.close()
            raise AlreadyPublishing()
        show.publisher = publisher
        self._close_viewers_that_cannot_take(stream_key, show, publisher.codecs)
        show.broadcast.new_host(
            {kind: (codec.mimeType, codec.clockRate) for kind, codec in publisher.codecs.items()}
        )
        self._notify(stream_key, PUBLISHER_CONNECTED)
        return SessionDescription(session_id, publisher.answer_sdp)

    async def unpublish(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None or show.publisher.session_id != session_id:
            raise SessionNotFound("no such publishing session")
        publisher, show.publisher = show.publisher, None
        self._forget_if_idle(stream_key)
        await publisher.close()
        self._notify(stream_key, PUBLISHER_DISCONNECTED)

    async def watch(self, stream_key: str, offer_sdp: str) -> SessionDescription:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None:
            raise NotLive()
        session_id = new_session_id()
        viewer = await accept_viewer(
            session_id,
            offer_sdp,
            self._config.ice_servers,
            Show(show.publisher.codecs, {k: show.broadcast.ssrcs(k) for k in ("audio", "video")}),
            self._config.broadcast.max_queued_bytes,
            show.broadcast.keyframes.request,
            lambda: self._viewer_connected(stream_key, session_id),
            lambda: self._viewer_gone(stream_key, session_id),
        )
        if self._shows.get(stream_key) is not show:  # the show ended while we negotiated
            await viewer.close()
            raise NotLive()
        show.viewers[session_id] = viewer
        show.broadcast.add_viewer(session_id, viewer.egresses)
        return SessionDescription(session_id, viewer.answer_sdp)

    async def unwatch(self, stream_key: str, session_id: str) -> None:
        viewer = self._remove_viewer(stream_key, session_id)
        if viewer is None:
            raise SessionNotFound("no such viewing session")
        await viewer.close()

    async def end(self, stream_key: str) -> None:
        """The show is over: close the host and every viewer."""
        show = self._shows.pop(stream_key, None)
        if show is None:
            return
        show.broadcast.close()
        sessions: list[PublisherSession | ViewerSession] = list(show.viewers.values())
        if show.publisher is not None:
            sessions.append(show.publisher)
            self._notify(stream_key, PUBLISHER_DISCONNECTED)
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)

    async def close(self) -> None:
        for stream_key in list(self._shows):
            await self.end(stream_key)
        await self._background.wait()

    def _show(self, stream_key: str) -> _Show:
        show = self._shows.get(stream_key)
        if show is None:
            show = _Show(Broadcast(self._config.broadcast, lambda: self._ask(stream_key)))
            self._shows[stream_key] = show
        return show

    def _forward(
        self,
        stream_key: str,
        session_id: str,
        kind: str,
        codec: RTCRtpCodecParameters,
        frame: JitterFrame,
    ) -> None:
        """Assembled frames of the show's current host (for the recording)."""

    def _forward_packet(
        self, stream_key: str, session_id: str, kind: str, packet: RtpPacket, arrival: float
    ) -> None:
        """Only the show's current host feeds it (a replaced host may still be closing)."""
        show = self._shows.get(stream_key)
        if show is not None and show.publisher and show.publisher.session_id == session_id:
            show.broadcast.forward_packet(
                kind,
                packet.sequence_number,
                packet.timestamp,
                bool(packet.marker),
                packet.payload,
                arrival,
            )

    def _viewer_connected(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is not None and session_id in show.viewers:
            show.broadcast.viewer_connected(session_id)

    def _ask(self, stream_key: str) -> None:
        show = self._shows.get(stream_key)
        if show is not None and show.publisher is not None:
            show.publisher.request_keyframe()

    def _publisher_gone(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None or show.publisher.session_id != session_id:
            return  # already unpublished or replaced
        publisher, show.publisher = show.publisher, None
        self._forget_if_idle(stream_key)
        self._background.spawn(publisher.close(), "closing a host's connection")
        self._notify(stream_key, PUBLISHER_DISCONNECTED)

    def _viewer_gone(self, stream_key: str, session_id: str) -> None:
        viewer = self._remove_viewer(stream_key, session_id)
        if viewer is not None:
            self._background.spawn(viewer.close(), "closing a viewer's connection")

    def _close_viewers_that_cannot_take(
        self, stream_key: str, show: _Show, codecs: dict[str, RTCRtpCodecParameters]
    ) -> None:
        for session_id, viewer in list(show.viewers.items()):
            if not viewer.can_take(codecs):
                logger.info(
                    "closing viewer %s of %s: the host changed codec", session_id, stream_key
                )
                self._viewer_gone(stream_key, session_id)

    def _remove_viewer(self, stream_key: str, session_id: str) -> ViewerSession | None:
        show = self._shows.get(stream_key)
        viewer = show.viewers.pop(session_id, None) if show else None
        if show is not None and viewer is not None:
            show.broadcast.remove_viewer(session_id)
            self._forget_if_idle(stream_key)
        return viewer

    def _forget_if_idle(self, stream_key: str) -> None:
        """A show with neither host nor viewers holds nothing worth keeping."""
        show = self._shows.get(stream_key)
        if show is not None and show.publisher is None and not show.viewers:
            show.broadcast.close()
            del self._shows[stream_key]

    def _notify(self, stream_key: str, event: str) -> None:
        for listener in self._listeners:
            try:
                listener(stream_key, event)
            except Exception:
                logger.exception("media listener failed on %s %s", stream_key, event)
