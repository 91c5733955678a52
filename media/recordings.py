"""A recording of every publisher session, when the media service has a directory for them."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
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


@dataclass
class _Session:
    stream_key: str
    recorder: Recorder
    timeline: Timeline


class Recordings:
    """One recorder per publisher session, keyed by session id; `directory` None records none."""

    def __init__(self, directory: str | None) -> None:
        self._directory = Path(directory).absolute() if directory else None
        self._sessions: dict[str, _Session] = {}
        self._listeners: list[RecordingListener] = []

    def add_listener(self, listener: RecordingListener) -> None:
        self._listeners.append(listener)

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

    async def finish(self, session_id: str) -> None:
        """Close the session's recorder and tell the listeners about its file."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            return
        result = await session.recorder.close()
        if result.frames_written == 0:
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
