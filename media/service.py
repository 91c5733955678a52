"""The media API the server calls: publish (WHIP), watch (WHEP), and their teardown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from media.broadcast import Broadcast
from media.exceptions import AlreadyPublishing, NotLive, SessionNotFound
from media.publisher import PublisherSession, accept_publisher
from media.viewer import ViewerSession, accept_viewer

logger = logging.getLogger(__name__)

Listener = Callable[[str, str], None]
PUBLISHER_CONNECTED = "publisher_connected"
PUBLISHER_DISCONNECTED = "publisher_disconnected"


@dataclass(frozen=True)
class MediaConfig:
    ice_servers: tuple[str, ...] = ()
    viewer_queue_frames: int = 120  # about 4 s of 30 fps video per viewer, then drop to keyframe
    keyframe_interval_s: float = 0.5  # at most one keyframe request to a host per interval


@dataclass(frozen=True)
class SessionDescription:
    session_id: str
    sdp: str


@dataclass
class _Show:
    broadcast: Broadcast
    publisher: PublisherSession | None = None
    viewers: dict[str, ViewerSession] = field(default_factory=dict)


class MediaService:
    """Shows by stream key. Viewers stay connected when the host drops; a host that publishes
    again on the same stream feeds them again. Ending the show closes everyone."""

    def __init__(self, config: MediaConfig) -> None:
        self._config = config
        self._shows: dict[str, _Show] = {}
        self._listeners: list[Listener] = []
        self._closing: set[asyncio.Task] = set()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def is_publishing(self, stream_key: str) -> bool:
        show = self._shows.get(stream_key)
        return show is not None and show.publisher is not None

    def viewer_count(self, stream_key: str) -> int:
        show = self._shows.get(stream_key)
        return len(show.viewers) if show else 0

    async def publish(self, stream_key: str, offer_sdp: str) -> SessionDescription:
        show = self._show(stream_key)
        if show.publisher is not None:
            raise AlreadyPublishing("this stream already has a live publisher; DELETE it first")
        publisher = await accept_publisher(
            offer_sdp,
            self._config.ice_servers,
            show.broadcast.forward,
            lambda session_id: self._publisher_gone(stream_key, session_id),
        )
        if show.publisher is not None:  # another publish won the race while we negotiated
            await publisher.close()
            raise AlreadyPublishing("this stream already has a live publisher; DELETE it first")
        show.publisher = publisher
        self._notify(stream_key, PUBLISHER_CONNECTED)
        return SessionDescription(publisher.session_id, publisher.answer_sdp)

    async def unpublish(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None or show.publisher.session_id != session_id:
            raise SessionNotFound("no such publishing session")
        publisher, show.publisher = show.publisher, None
        await publisher.close()
        self._notify(stream_key, PUBLISHER_DISCONNECTED)

    async def watch(self, stream_key: str, offer_sdp: str) -> SessionDescription:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None:
            raise NotLive("the host is not publishing yet")
        viewer = await accept_viewer(
            offer_sdp,
            self._config.ice_servers,
            show.publisher.codecs,
            self._config.viewer_queue_frames,
            show.broadcast.keyframes.request,
            lambda session_id: self._viewer_gone(stream_key, session_id),
        )
        show.viewers[viewer.session_id] = viewer
        show.broadcast.add_viewer(viewer.session_id, viewer.tracks)
        return SessionDescription(viewer.session_id, viewer.answer_sdp)

    async def unwatch(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        viewer = show.viewers.pop(session_id, None) if show else None
        if show is None or viewer is None:
            raise SessionNotFound("no such viewing session")
        show.broadcast.remove_viewer(session_id)
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
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _show(self, stream_key: str) -> _Show:
        show = self._shows.get(stream_key)
        if show is None:
            show = _Show(Broadcast(self._config.keyframe_interval_s, lambda: self._ask(stream_key)))
            self._shows[stream_key] = show
        return show

    def _ask(self, stream_key: str) -> None:
        show = self._shows.get(stream_key)
        if show is not None and show.publisher is not None:
            show.publisher.request_keyframe()

    def _publisher_gone(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None or show.publisher.session_id != session_id:
            return  # already unpublished or replaced
        publisher, show.publisher = show.publisher, None
        self._close_later(publisher)
        self._notify(stream_key, PUBLISHER_DISCONNECTED)

    def _viewer_gone(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        viewer = show.viewers.pop(session_id, None) if show else None
        if show is not None and viewer is not None:
            show.broadcast.remove_viewer(session_id)
            self._close_later(viewer)

    def _close_later(self, session: PublisherSession | ViewerSession) -> None:
        task = asyncio.ensure_future(session.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _notify(self, stream_key: str, event: str) -> None:
        for listener in self._listeners:
            try:
                listener(stream_key, event)
            except Exception:
                logger.exception("media listener failed on %s %s", stream_key, event)
