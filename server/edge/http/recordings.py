"""Recordings of shows: listed with their markers (a live show's too, growing), files streamed
(Range requests work, on a file still being written as well)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections import OrderedDict
from pathlib import Path

from aiohttp import web

from media import clips
from media import recording as recorder
from media.exceptions import RecordingUnreadable
from media.recording import RecordingResult
from media.recordings import RecordingStarted
from server.contract.serializers import recording_view
from server.core.domain.error_codes import StreamCode
from server.core.domain.errors import NotFound
from server.core.domain.recordings import CONTENT_TYPES, FileFacts, RecordingStatus
from server.edge.http.context import MEDIA, SERVICES
from server.edge.http.requests import path_id, principal

logger = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.get("/api/streams/{id}/recordings")
async def list_recordings(request: web.Request) -> web.Response:
    found = await request.app[SERVICES].recordings.of_stream(principal(request), path_id(request))
    return web.json_response({"recordings": [recording_view(r, m) for r, m in found]})


@routes.get("/api/recordings/{id}/file")
async def recording_file(request: web.Request) -> web.StreamResponse:
    recording = await request.app[SERVICES].recordings.get(principal(request), path_id(request))
    path = Path(recording.path)
    # Checked here: a FileResponse that finds no file answers after the error middleware.
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("the recording's file is gone", code=StreamCode.RECORDING_FILE_MISSING)
    return web.FileResponse(path, headers={"Content-Type": CONTENT_TYPES[recording.container]})


class LocalRecordingFiles:
    """The recording service's view of the files on this machine (its `RecordingFiles`),
    read by the media core. A file's facts are kept while its size and time stay the same,
    so listing a live show reads a growing file once per change, not once per request."""

    KEPT = 256  # files whose facts are remembered

    def __init__(self) -> None:
        self._known: OrderedDict[str, tuple[tuple[int, int], FileFacts]] = OrderedDict()
        self._guard = threading.Lock()  # called from several threads at once

    def facts(self, path: str) -> FileFacts | None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        version = (stat.st_size, stat.st_mtime_ns)
        with self._guard:
            known = self._known.get(path)
        if known is not None and known[0] == version:
            return known[1]
        try:
            found = FileFacts(clips.duration_ms(Path(path)), stat.st_size)
        except RecordingUnreadable:
            return None
        with self._guard:
            self._known[path] = (version, found)
            self._known.move_to_end(path)
            while len(self._known) > self.KEPT:
                self._known.popitem(last=False)
        return found

    def being_written(self, path: str) -> bool:
        return recorder.being_written(Path(path))

    def repair(self, path: str) -> None:
        try:
            recorder.repair(Path(path))
        except FileNotFoundError:
            return  # nothing to mend
        except OSError:
            logger.warning("recording %s could not be mended", path, exc_info=True)


def _stream_id(stream_key: str) -> int | None:
    """The show a media stream key names (stream keys are stream ids), else None."""
    return int(stream_key) if stream_key.isascii() and stream_key.isdigit() else None


def store_recordings(app: web.Application) -> None:
    """Keep a record of every file the media service writes: listed from its first frame
    (status recording), finished when the media service finishes it (it awaits this, so a
    show that has just ended lists its recording at once), and at start-up, recover those
    a crash of this machine's node left unfinished."""
    service = app[SERVICES].recordings
    service.use_files(LocalRecordingFiles(), socket.gethostname())

    async def begin(stream_key: str, started: RecordingStarted) -> None:
        stream_id = _stream_id(stream_key)
        if stream_id is not None:
            await service.begin(
                stream_id,
                path=str(started.path),
                container=started.container,
                started_at=started.started_at,
            )

    async def store(stream_key: str, result: RecordingResult) -> None:
        stream_id = _stream_id(stream_key)
        if stream_id is None:
            return  # not a show of ours
        if result.started_at is None:  # begun, then nothing reached the file
            await service.drop(stream_id, str(result.path))
            return
        await service.store(
            stream_id,
            path=str(result.path),
            container=result.container,
            status=RecordingStatus.FAILED if result.failed else RecordingStatus.COMPLETE,
            started_at=result.started_at,
            ended_at=result.ended_at,
            duration_ms=result.duration_ms,
            size_bytes=result.bytes,
        )

    async def recover(app: web.Application) -> None:
        for found in await service.recover():
            logger.info("recovered recording %d: %d ms", found.id, found.duration_ms)

    app[MEDIA].add_recording_start_listener(begin)
    app[MEDIA].add_recording_listener(store)
    app.on_startup.append(recover)  # after the cleanup contexts' start: the database is up
