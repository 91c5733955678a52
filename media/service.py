"""The media API the server calls: publish (WHIP), watch (WHEP), and their teardown."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from media import aiortc_hooks
from media.background import Background
from media.broadcast import Broadcast, BroadcastConfig
from media.bus import BusHandlers, MediaBus
from media.exceptions import AlreadyPublishing, NotLive, SessionNotFound
from media.hls import HlsNeedsH264, Packager
from media.hls_shows import HlsShows, WebRtcFull, carries_hls
from media.metrics import ShowMetrics
from media.peer import new_session_id
from media.publisher import PublisherSession, accept_publisher
from media.recordings import RecordingListener, Recordings, StartListener
from media.simulcast_fanout import ViewState
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
    connect_timeout_s: float = 20.0  # a session not connected by then is closed
    # A peer that stops answering ICE consent checks (RFC 7675) is closed after this many
    # unanswered checks, sent every interval (aioice's defaults: ~30 s in all).
    consent_interval_s: float = 5.0
    consent_failures: int = 6
    recordings_dir: str | None = None  # every host session is recorded here; None: none is
    max_webrtc_viewers: int | None = None  # per show on this node; beyond it WHEP says use HLS


@dataclass(frozen=True)
class SessionDescription:
    session_id: str  # opaque, URL-safe, unguessable
    sdp: str  # the complete answer (ICE gathered: WHIP/WHEP do not trickle here)


@dataclass
class _Show:
    broadcast: Broadcast
    publisher: PublisherSession | None = None
    viewers: dict[str, ViewerSession] = field(default_factory=dict)
    # Set when another node ingests the show and the bus feeds it here.
    remote_codecs: dict[str, RTCRtpCodecParameters] | None = None
    remote_live: bool = False

    @property
    def live_codecs(self) -> dict[str, RTCRtpCodecParameters] | None:
        """The codecs new viewers are answered with, or None when nobody is publishing."""
        if self.publisher is not None:
            return self.publisher.codecs
        return self.remote_codecs if self.remote_live else None


class MediaService:
    """Shows by stream key.

    When the host's connection ends (or it unpublishes), its viewers stay connected: a host
    that publishes again on the same stream feeds them again from its first keyframe, unless
    it now sends another codec, in which case they are closed (a viewer cannot renegotiate
    here) and must watch again. `end()` closes the host and every viewer.
    """

    def __init__(self, config: MediaConfig, bus: MediaBus | None = None) -> None:
        self._config = config
        self._bus = bus
        aiortc_hooks.consent_timing(config.consent_interval_s, config.consent_failures)
        self._shows: dict[str, _Show] = {}
        self._listeners: list[Listener] = []
        self._background = Background()
        self._recordings = Recordings(config.recordings_dir)
        self._hls = HlsShows(
            (lambda key, start: bus.segment(key, start.encode())) if bus is not None else None
        )

    async def start(self) -> None:
        """Join the other nodes (when a bus is configured)."""
        if self._bus is not None:
            await self._bus.start(
                BusHandlers(
                    packet=self._remote_packet,
                    host=self._remote_host,
                    host_gone=self._remote_host_gone,
                    ended=lambda key: self._background.spawn(
                        self._end_here(key), "ending a show another node ended"
                    ),
                    keyframe_wanted=self._remote_keyframe_request,
                    segment=self._hls.segment_start,
                )
            )

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def add_recording_listener(self, listener: RecordingListener) -> None:
        """`listener(stream_key, result)` hears of each finished recording (awaited if async)."""
        self._recordings.add_listener(listener)

    def add_recording_start_listener(self, listener: StartListener) -> None:
        """`listener(stream_key, started)` hears of each recording's first frame (its file)."""
        self._recordings.add_start_listener(listener)

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
        if self.is_publishing(stream_key) or await self.live_elsewhere(stream_key):
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
            self._config.connect_timeout_s,
        )
        show = self._show(stream_key)  # looked up again: the show may have changed meanwhile
        if show.publisher is not None:  # another publish won the race while we negotiated
            await publisher.close()
            raise AlreadyPublishing()
        show.publisher = publisher
        self._hls.lead(stream_key, publisher.codecs, show.broadcast.keyframes.request)
        self._recordings.start(
            stream_key, session_id, publisher.codecs, lambda: self._ask(stream_key)
        )
        if show.remote_codecs is not None:  # this node ingests the show from now on
            show.remote_codecs, show.remote_live = None, False
            self._background.spawn(self._bus_unfollow(stream_key), "leaving a show's channel")
        if self._bus is not None:
            self._bus.announce(stream_key, publisher.codecs)
        self._close_viewers_that_cannot_take(stream_key, show, publisher.codecs)
        show.broadcast.new_host(_clocks(publisher.codecs), publisher.layers)
        self._notify(stream_key, PUBLISHER_CONNECTED)
        return SessionDescription(session_id, publisher.answer_sdp)

    async def unpublish(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None or show.publisher.session_id != session_id:
            raise SessionNotFound("no such publishing session")
        publisher, show.publisher = show.publisher, None
        self._retract(stream_key)
        self._forget_if_idle(stream_key)
        await publisher.close()
        await self._recordings.finish(session_id)
        self._notify(stream_key, PUBLISHER_DISCONNECTED)

    async def watch(self, stream_key: str, offer_sdp: str) -> SessionDescription:
        show = self._shows.get(stream_key)
        if (show is None or show.live_codecs is None) and self._bus is not None:
            codecs = await self._bus.lookup(stream_key)
            if codecs:
                show = await self._follow(stream_key, codecs)
        codecs = show.live_codecs if show is not None else None
        if show is None or codecs is None:
            raise NotLive()
        cap = self._config.max_webrtc_viewers
        if cap is not None and len(show.viewers) >= cap:
            raise WebRtcFull()
        session_id = new_session_id()
        viewer = await accept_viewer(
            session_id,
            offer_sdp,
            self._config.ice_servers,
            Show(codecs, {k: show.broadcast.ssrcs(k) for k in ("audio", "video")}),
            self._config.broadcast.max_queued_bytes,
            show.broadcast.keyframes.request,
            lambda: self._viewer_connected(stream_key, session_id),
            lambda: self._viewer_gone(stream_key, session_id),
            self._config.connect_timeout_s,
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
        """The show is over: close the host and every viewer, on every node."""
        if self._bus is not None:
            self._bus.retract(stream_key, ended=True)
        await self._end_here(stream_key)

    async def _end_here(self, stream_key: str) -> None:
        self._hls.end(stream_key)
        show = self._shows.pop(stream_key, None)
        if show is None:
            return
        show.broadcast.close()
        if show.remote_codecs is not None:
            await self._bus_unfollow(stream_key)
        sessions: list[PublisherSession | ViewerSession] = list(show.viewers.values())
        if show.publisher is not None:
            sessions.append(show.publisher)
            self._notify(stream_key, PUBLISHER_DISCONNECTED)
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        if show.publisher is not None:
            await self._recordings.finish(show.publisher.session_id)

    async def close(self) -> None:
        for stream_key in list(self._shows):
            self._retract(stream_key)
            await self._end_here(stream_key)
        await self._background.wait()
        await self._recordings.close()
        if self._bus is not None:
            await self._bus.close()

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
        self._recordings.feed(session_id, kind, codec, frame)

    def _forward_packet(
        self, stream_key: str, session_id: str, kind: str, packet: RtpPacket, arrival: float
    ) -> None:
        """Only the show's current host feeds it (a replaced host may still be closing)."""
        show = self._shows.get(stream_key)
        if show is not None and show.publisher and show.publisher.session_id == session_id:
            seq, timestamp, marker = packet.sequence_number, packet.timestamp, bool(packet.marker)
            if kind == "video" and show.publisher.layers:
                self._forward_layer_packet(stream_key, show.publisher, packet, arrival)
                return
            show.broadcast.forward_packet(kind, seq, timestamp, marker, packet.payload, arrival)
            # Before the bus: a segment the packet begins is announced ahead of the packet.
            self._hls.packet(stream_key, kind, seq, timestamp, marker, packet.payload)
            if self._bus is not None:
                self._bus.packet(stream_key, kind, seq, timestamp, marker, packet.payload)

    def _forward_layer_packet(
        self, stream_key: str, publisher: PublisherSession, packet: RtpPacket, arrival: float
    ) -> None:
        """A simulcast host's video packet: to its layer's viewers here; the top layer alone
        travels the bus (other nodes' viewers get one layer)."""
        layer = publisher.layer_of(packet)
        if layer is None:
            return  # its rid is not known yet (the first packets name it)
        show = self._shows[stream_key]
        seq, timestamp, marker = packet.sequence_number, packet.timestamp, bool(packet.marker)
        show.broadcast.forward_layer_packet(layer, seq, timestamp, marker, packet.payload, arrival)
        if layer == len(publisher.layers) - 1:  # HLS packages the top layer, as the bus carries
            self._hls.packet(stream_key, "video", seq, timestamp, marker, packet.payload)
        if self._bus is not None and layer == len(publisher.layers) - 1:
            self._bus.packet(stream_key, "video", seq, timestamp, marker, packet.payload)

    def view(self, stream_key: str, session_id: str, player_height: int | None) -> ViewState:
        """A viewer's page tells its player's height (device pixels; None: no limit): the
        layer it gets is never taller. Returns what it gets now (layer None: one layer)."""
        show = self._shows.get(stream_key)
        if show is None or session_id not in show.viewers:
            raise SessionNotFound("no such viewing session")
        state = show.broadcast.selection.view(session_id, player_height)
        return state or ViewState(None, False, ())

    def _viewer_connected(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is not None and session_id in show.viewers:
            show.broadcast.viewer_connected(session_id)

    def _ask(self, stream_key: str) -> None:
        show = self._shows.get(stream_key)
        if show is not None and show.publisher is not None:
            show.publisher.request_keyframe()
        elif show is not None and show.remote_codecs is not None and self._bus is not None:
            self._bus.want_keyframe(stream_key)

    def _publisher_gone(self, stream_key: str, session_id: str) -> None:
        show = self._shows.get(stream_key)
        if show is None or show.publisher is None or show.publisher.session_id != session_id:
            return  # already unpublished or replaced
        publisher, show.publisher = show.publisher, None
        self._retract(stream_key)
        self._forget_if_idle(stream_key)
        self._background.spawn(publisher.close(), "closing a host's connection")
        self._background.spawn(self._recordings.finish(session_id), "finishing a recording")
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
        if (
            show is not None
            and show.publisher is None
            and not show.viewers
            and not self._hls.following(stream_key)
        ):
            show.broadcast.close()
            del self._shows[stream_key]
            if show.remote_codecs is not None:
                self._background.spawn(self._bus_unfollow(stream_key), "leaving a show's channel")

    def hls_packager(self, stream_key: str) -> Packager | None:
        """The show's packager if this node packages it already (no lookup, no database)."""
        return self._hls.get(stream_key)

    async def hls(self, stream_key: str) -> Packager:
        """The show's LL-HLS packager on this node (following the show over the bus when
        another node ingests it)."""
        packager = self._hls.get(stream_key)
        if packager is not None:
            return packager
        show = self._shows.get(stream_key)
        codecs = show.live_codecs if show is not None else None
        if codecs is None and self._bus is not None:
            codecs = await self._bus.lookup(stream_key)
            if codecs:
                show = await self._follow(stream_key, codecs)
        if show is None or codecs is None:
            raise NotLive()
        if not carries_hls(codecs):
            raise HlsNeedsH264()
        packager = self._hls.get(stream_key)  # looked up again: the show may have changed
        if packager is not None:
            return packager
        if show.publisher is not None:
            self._hls.lead(stream_key, codecs, show.broadcast.keyframes.request)
            packager = self._hls.get(stream_key)
            assert packager is not None
            return packager
        packager = self._hls.follow(stream_key, codecs)
        show.broadcast.keyframes.request()  # the leader cuts at the next keyframe
        return packager

    # -- other nodes (the bus) ------------------------------------------------------------------

    async def live_elsewhere(self, stream_key: str) -> bool:
        """Whether another node (or another worker behind the same port) ingests the show."""
        return self._bus is not None and await self._bus.lookup(stream_key) is not None

    async def _follow(self, stream_key: str, codecs: dict[str, RTCRtpCodecParameters]) -> _Show:
        show = self._show(stream_key)
        if show.publisher is None and not show.remote_live:
            show.remote_codecs, show.remote_live = codecs, True
            show.broadcast.new_host(_clocks(codecs))
            if self._bus is not None:
                await self._bus.follow(stream_key)
        return show

    async def _bus_unfollow(self, stream_key: str) -> None:
        if self._bus is not None and stream_key not in self._shows:
            await self._bus.unfollow(stream_key)

    def _retract(self, stream_key: str) -> None:
        if self._bus is not None:
            self._bus.retract(stream_key, ended=False)

    def _remote(self, stream_key: str) -> _Show | None:
        """The show if this node is fed by another node's host."""
        show = self._shows.get(stream_key)
        if show is None or show.publisher is not None or show.remote_codecs is None:
            return None
        return show

    def _remote_packet(
        self, stream_key: str, kind: str, seq: int, timestamp: int, marker: bool, payload: bytes
    ) -> None:
        show = self._remote(stream_key)
        if show is not None:
            show.broadcast.forward_packet(
                kind, seq, timestamp, marker, payload, time.perf_counter()
            )
            self._hls.packet(stream_key, kind, seq, timestamp, marker, payload)

    def _remote_host(self, stream_key: str, codecs: dict[str, RTCRtpCodecParameters]) -> None:
        show = self._remote(stream_key)
        if show is not None:
            show.remote_codecs, show.remote_live = codecs, True
            self._close_viewers_that_cannot_take(stream_key, show, codecs)
            show.broadcast.new_host(_clocks(codecs))
            self._hls.remote_host(stream_key, codecs)

    def _remote_host_gone(self, stream_key: str) -> None:
        show = self._remote(stream_key)
        if show is not None:
            show.remote_live = False  # viewers stay for the host's return; new ones wait

    def _remote_keyframe_request(self, stream_key: str) -> None:
        show = self._shows.get(stream_key)
        if show is not None and show.publisher is not None:
            show.broadcast.keyframes.request()

    def _notify(self, stream_key: str, event: str) -> None:
        for listener in self._listeners:
            try:
                listener(stream_key, event)
            except Exception:
                logger.exception("media listener failed on %s %s", stream_key, event)


def _clocks(codecs: dict[str, RTCRtpCodecParameters]) -> dict[str, tuple[str, int]]:
    return {kind: (codec.mimeType, codec.clockRate) for kind, codec in codecs.items()}
