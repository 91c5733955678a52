"""A recording of every publisher session, when the media service has a directory for them.

Listeners hear of each recording twice: when its file exists, just after its first frame
(`RecordingStarted`: the file grows while the show is live) and when it is finished
(`RecordingResult`). A recording that was started and never finished was left by a crash:
`media.recording.being_written` and `repair` tell and mend it."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.keyframes import is_keyframe
from media.recording import Recorder, RecordingResult
from media.timeline import Timeline

logger = logging.getLogger(__name__)

# Told of every finished recording that holds frames: (stream key, result). It may be a
# coroutine function: finishing a session then waits for it (the server stores the recording).
RecordingListener = Callable[[str, RecordingResult], Awaitable[None] | None]


@dataclass(frozen=True)
class RecordingStarted:
    """A recording's file exists and is being written at `path` (held by its recorder:
    `media.recording.being_written`), from its first frame at `started_at`."""

    path: Path
    container: str  # "mp4" or "webm"
    started_at: datetime  # UTC wall clock of the first frame


# Told of every recording when it starts: (stream key, start). A coroutine is run as a task;
# finishing the session waits for it, so the start is always heard before the end.
StartListener = Callable[[str, RecordingStarted], Awaitable[None] | None]


@dataclass
class _Session:
    stream_key: str
    recorder: Recorder
    timeline: Timeline
    started: bool = False
    start_tasks: list[asyncio.Task[None]] = field(default_factory=list)


class Recordings:
    """One recorder per publisher session, keyed by session id; `directory` None records none."""

    def __init__(self, directory: str | None) -> None:
        self._directory = Path(directory).absolute() if directory else None
        self._sessions: dict[str, _Session] = {}
        self._listeners: list[RecordingListener] = []
        self._start_listeners: list[StartListener] = []

    def add_listener(self, listener: RecordingListener) -> None:
        self._listeners.append(listener)

    def add_start_listener(self, listener: StartListener) -> None:
        self._start_listeners.append(listener)

    def start(
        self,
        stream_key: str,
        session_id: str,
        codecs: Mapping[str, RTCRtpCodecParameters],
        want_keyframe: Callable[[], None],
    ) -> None:
        if self._directory is None:
            return
        stem = self._directory / file_stem(stream_key, session_id, datetime.now(UTC))
        tracks = {kind: codec.mimeType for kind, codec in codecs.items()}
        recorder = Recorder(stem, tracks, want_keyframe=want_keyframe)
        self._sessions[session_id] = _Session(stream_key, recorder, Timeline())

    def feed(
        self, session_id: str, kind: str, codec: RTCRtpCodecParameters, frame: JitterFrame
    ) -> None:
        """One assembled frame of a publisher session (ignored once that session finished)."""
        session = self._sessions.get(session_id)
        if session is None:
            return
        timestamp = session.timeline.place(kind, frame.timestamp, codec.clockRate)
        key = is_keyframe(codec.mimeType, frame.data)
        session.recorder.write(kind, codec.mimeType, codec.clockRate, frame.data, timestamp, key)
        started_at = session.recorder.started_at
        if not session.started and started_at is not None and session.recorder.writing:
            session.started = True  # told once the file is there, held by its recorder
            self._tell_started(session, started_at)

    def _tell_started(self, session: _Session, started_at: datetime) -> None:
        recorder = session.recorder
        started = RecordingStarted(recorder.path, recorder.container, started_at)
        for listener in self._start_listeners:
            try:
                outcome = listener(session.stream_key, started)
                if inspect.isawaitable(outcome):
                    session.start_tasks.append(asyncio.ensure_future(outcome))
            except Exception:
                logger.exception("recording start listener failed on %s", recorder.path)

    async def finish(self, session_id: str) -> None:
        """Close the session's recorder and tell the listeners about its file."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            return
        result = await session.recorder.close()
        for failed in await asyncio.gather(*session.start_tasks, return_exceptions=True):
            if isinstance(failed, Exception):
                logger.error("recording start listener failed on %s: %r", result.path, failed)
        if result.frames_written == 0 and not session.started:
            logger.info("session %s of %s recorded nothing", session_id, session.stream_key)
            return
        for listener in self._listeners:
            try:
                outcome = listener(session.stream_key, result)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                logger.exception("recording listener failed on %s", result.path)

    async def close(self) -> None:
        for session_id in list(self._sessions):
            await self.finish(session_id)


def file_stem(stream_key: str, session_id: str, now: datetime) -> str:
    """`<stream key>-<UTC time>-<session>`: sorts by show then time, never collides."""
    safe_key = re.sub(r"[^A-Za-z0-9_-]", "_", stream_key)[:64]
    safe_session = re.sub(r"[^A-Za-z0-9]", "", session_id)[:8]
    return f"{safe_key}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{safe_session}"
