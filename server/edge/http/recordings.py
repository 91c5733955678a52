"""Recordings of shows: listed with their markers, files streamed (Range requests work)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from media.recording import RecordingResult
from server.contract.serializers import recording_view
from server.core.domain.error_codes import StreamCode
from server.core.domain.errors import NotFound
from server.core.domain.recordings import CONTENT_TYPES, RecordingStatus
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


def store_recordings(app: web.Application) -> None:
    """Keep a record of every file the media service finishes. It awaits this, so a show that
    has just ended lists its recording at once."""

    async def store(stream_key: str, result: RecordingResult) -> None:
        if result.started_at is None or not (stream_key.isascii() and stream_key.isdigit()):
            return  # nothing written, or not a show of ours (stream keys are stream ids)
        await app[SERVICES].recordings.store(
            int(stream_key),
            path=str(result.path),
            container=result.container,
            status=RecordingStatus.FAILED if result.failed else RecordingStatus.COMPLETE,
            started_at=result.started_at,
            ended_at=result.ended_at,
            duration_ms=result.duration_ms,
            size_bytes=result.bytes,
        )

    app[MEDIA].add_recording_listener(store)
