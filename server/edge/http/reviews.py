"""Clip review: reviews of a show's recording, their clips and timed comments, the host's
replies and read marks, the recording to play and clips cut as files (shapes:
docs/protocol.md "Clip review")."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from media.clips import ClipCut, cut_clip
from server.contract.reviews import (
    NewClip,
    NewComment,
    NewReply,
    NewReview,
    clip_view,
    comment_view,
    reply_view,
    review_view,
)
from server.core.domain.error_codes import StreamCode
from server.core.domain.errors import NotFound
from server.core.domain.recordings import RecordingInfo
from server.core.domain.roles import Principal
from server.core.store.rows import ReviewClip
from server.edge.http.context import SERVICES
from server.edge.http.errors import read_json
from server.edge.http.requests import path_id, principal

routes = web.RouteTableDef()
CLIPS_FOLDER = "clips"  # beside the recordings: exported clips, one file per clip


@routes.get("/api/streams/{id}/reviews")
async def stream_reviews(request: web.Request) -> web.Response:
    found = await request.app[SERVICES].reviews.of_stream(principal(request), path_id(request))
    return web.json_response({"reviews": [review_view(b) for b in found]})


@routes.post("/api/streams/{id}/reviews")
async def open_review(request: web.Request) -> web.Response:
    who, raw = principal(request), await read_json(request)
    NewReview.parse(raw)
    bundle = await request.app[SERVICES].reviews.create(who, path_id(request), raw)
    return web.json_response(review_view(bundle), status=201)


@routes.get("/api/reviews")
async def list_reviews(request: web.Request) -> web.Response:
    host = request.query.get("host")
    found = await request.app[SERVICES].reviews.listing(principal(request), host)
    return web.json_response({"reviews": [review_view(b) for b in found]})


@routes.get("/api/reviews/{id}")
async def one_review(request: web.Request) -> web.Response:
    bundle = await request.app[SERVICES].reviews.get(principal(request), path_id(request))
    return web.json_response(review_view(bundle))


@routes.get("/api/reviews/{id}/video")
async def review_video(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    recording = await services.reviews.recording_of(principal(request), path_id(request))
    return await _file(recording, Path(recording.path))


@routes.post("/api/reviews/{id}/clips")
async def add_clip(request: web.Request) -> web.Response:
    who, raw = principal(request), await read_json(request)
    NewClip.parse(raw)
    clip = await request.app[SERVICES].reviews.add_clip(who, path_id(request), raw)
    return web.json_response(clip_view(clip), status=201)


@routes.post("/api/reviews/{id}/comments")
async def add_comment(request: web.Request) -> web.Response:
    who, raw = principal(request), await read_json(request)
    NewComment.parse(raw)
    comment = await request.app[SERVICES].reviews.add_comment(who, path_id(request), raw)
    return web.json_response(comment_view(comment, [], _names(who)), status=201)


@routes.post("/api/comments/{id}/replies")
async def reply(request: web.Request) -> web.Response:
    who, raw = principal(request), await read_json(request)
    NewReply.parse(raw)
    answer = await request.app[SERVICES].reviews.reply(who, path_id(request), raw)
    return web.json_response(reply_view(answer, _names(who)), status=201)


@routes.post("/api/comments/{id}/read")
async def mark_read(request: web.Request) -> web.Response:
    comment = await request.app[SERVICES].reviews.mark_read(principal(request), path_id(request))
    return web.json_response(comment_view(comment, []))


@routes.post("/api/clips/{id}/export")
async def export_clip(request: web.Request) -> web.Response:
    """Cut the clip from its recording (no re-encoding, from the keyframe at or before its
    start) unless it was already; answer where to fetch it."""
    clip, recording = await request.app[SERVICES].reviews.clip_source(
        principal(request), path_id(request)
    )
    cut = await _cut(clip, recording)
    return web.json_response(
        {
            "clip_id": clip.id,
            "url": f"/api/clips/{clip.id}/export",
            "start_ms": cut.start_ms,
            "end_ms": cut.end_ms,
            "bytes": cut.bytes,
        },
        status=201,
    )


@routes.get("/api/clips/{id}/export")
async def clip_file(request: web.Request) -> web.StreamResponse:
    """The clip's file (cut first if it was not yet), as a download; Range requests work."""
    clip, recording = await request.app[SERVICES].reviews.clip_source(
        principal(request), path_id(request)
    )
    target = _target(clip, recording)
    if not await asyncio.to_thread(target.is_file):  # clips never change: a cut file is theirs
        await _cut(clip, recording)
    response = await _file(recording, target)
    name = f"clip-{clip.id}.{recording.container}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _target(clip: ReviewClip, recording: RecordingInfo) -> Path:
    source = Path(recording.path)
    return source.parent / CLIPS_FOLDER / f"{source.stem}-clip-{clip.id}.{recording.container}"


async def _cut(clip: ReviewClip, recording: RecordingInfo) -> ClipCut:
    source, target = Path(recording.path), _target(clip, recording)
    if not await asyncio.to_thread(source.is_file):
        raise NotFound("the recording's file is gone", code=StreamCode.RECORDING_FILE_MISSING)
    return await asyncio.to_thread(_cut_into, source, clip, target)


def _cut_into(source: Path, clip: ReviewClip, target: Path) -> ClipCut:
    """Cut into a file of this request's own, then put it in place: two exports of one clip
    at once never write the same file."""
    own = target.with_name(f"{target.stem}.{secrets.token_hex(6)}{target.suffix}")
    try:
        cut = cut_clip(source, clip.start_ms, clip.end_ms, own)
        os.replace(own, target)
    finally:
        own.unlink(missing_ok=True)
    return replace(cut, path=target)


async def _file(recording: RecordingInfo, path: Path) -> web.FileResponse:
    # Checked here: a FileResponse that finds no file answers after the error middleware.
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("the recording's file is gone", code=StreamCode.RECORDING_FILE_MISSING)
    return web.FileResponse(path, headers={"Content-Type": recording.content_type})


def _names(who: Principal) -> dict[int, str]:
    return {who.user_id: who.display_name} if who.user_id is not None else {}
