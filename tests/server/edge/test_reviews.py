"""Clip review over HTTP, black box, on SQLite and on PostgreSQL + Redis: a coach reviews a show
with a real recording (made by the recorder from encoded frames), the host reads, replies and
marks read; who sees what; bad input answers 4xx with its code and changes nothing; a clip is
exported as a file cut at a keyframe and served with Range."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import av
import pytest

from media.recording import Recorder
from server.core.store.rows import utcnow
from server.edge.http.context import SERVICES
from tests import factory
from tests.conftest import Running, config_for
from tests.media.test_recording import FPS, H264, interleaved, opus, video

SECONDS = 6
GOP = FPS  # a keyframe every second


async def recorded(run: Running, stream_id: int, folder: Path, seconds: int = SECONDS) -> int:
    """A real H.264 + Opus recording of the show, `seconds` long with a keyframe every second,
    written by the recorder and stored as the media service stores one: its id."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = interleaved(video("h264", seconds * FPS, gop=GOP), opus(seconds * 50))
    # Its queue holds them all: a host's frames come over seconds, these come at once.
    recorder = Recorder(folder / f"{stream_id}-review", H264, max_queued_frames=len(frames) + 1)
    for frame in frames:
        frame.into(recorder)
    result = await recorder.close()
    assert not result.failed and result.started_at is not None and result.ended_at is not None
    recording = await run.app[SERVICES].recordings.store(
        stream_id,
        path=str(result.path),
        container=result.container,
        status="complete",
        started_at=result.started_at,
        ended_at=result.ended_at,
        duration_ms=result.duration_ms,
        size_bytes=result.bytes,
    )
    return int(recording.id)


async def coach_token(run: Running) -> str:
    return await factory.account(run, "coach", admin=await factory.admin_token(run))


def code(body: Any) -> str:
    return str(body["error"]["code"])


async def test_a_coach_reviews_a_show_and_its_host_reads_replies_and_marks_read(
    backend, start, tmp_path
) -> None:
    run = await start(config_for(backend))
    show = await factory.show(run)
    recording_id = await recorded(run, show.stream_id, tmp_path / "recordings")
    coach = await coach_token(run)

    status, review = await run.call("POST", f"/api/streams/{show.stream_id}/reviews", coach)
    assert status == 201, review
    assert review["recording_id"] == recording_id and review["stream"]["id"] == show.stream_id
    assert 5900 <= review["duration_ms"] <= 6100 and review["content_type"] == "video/mp4"
    assert (review["clips"], review["comments"], review["unread"]) == ([], [], 0)
    rid = review["id"]

    clips = []
    for start_ms, end_ms, title in [(2500, 4000, "The demo"), (0, 2500, "Opening")]:
        body = {"start_ms": start_ms, "end_ms": end_ms, "title": title}
        status, clip = await run.call("POST", f"/api/reviews/{rid}/clips", coach, json=body)
        assert status == 201, clip
        clips.append(clip)
    comments = []
    for offset, category, rating, text in [
        (3000, "product_presentation", 4, "Show the label closer"),
        (500, "energy", None, "Great start"),
        (5000, "compliance", 2, "Say the price includes VAT"),
    ]:
        body = {"offset_ms": offset, "category": category, "body": text}
        if rating is not None:
            body["rating"] = rating
        status, comment = await run.call("POST", f"/api/reviews/{rid}/comments", coach, json=body)
        assert status == 201, comment
        assert (comment["offset_ms"], comment["category"], comment["rating"]) == (
            offset,
            category,
            rating,
        )
        comments.append(comment)

    status, seen = await run.call("GET", f"/api/reviews/{rid}", show.host)
    assert status == 200, seen
    assert [c["title"] for c in seen["clips"]] == ["Opening", "The demo"]  # by start
    assert [c["offset_ms"] for c in seen["comments"]] == [500, 3000, 5000]  # by moment
    by_title = {c["title"]: c["comment_ids"] for c in seen["clips"]}
    assert by_title == {"Opening": [comments[1]["id"]], "The demo": [comments[0]["id"]]}
    assert seen["unread"] == 3 and all(c["read_at"] is None for c in seen["comments"])
    assert {c["author"] for c in seen["comments"]} == {seen["author"]}

    cid = comments[0]["id"]
    reply = {"body": "Will do, thanks!"}
    status, answer = await run.call("POST", f"/api/comments/{cid}/replies", show.host, json=reply)
    assert status == 201 and answer["body"] == "Will do, thanks!", answer
    status, back = await run.call(
        "POST", f"/api/comments/{cid}/replies", coach, json={"body": "Good"}
    )
    assert status == 201, back
    status, read = await run.call("POST", f"/api/comments/{cid}/read", show.host)
    assert status == 200 and read["read_at"] is not None, read
    status, again = await run.call("POST", f"/api/comments/{cid}/read", show.host)
    assert status == 200 and again["read_at"] == read["read_at"]  # the first read is kept
    status, body = await run.call("POST", f"/api/comments/{cid}/read", coach)
    assert status == 403 and code(body) == "not_the_host"

    status, mine = await run.call("GET", "/api/reviews?host=me", show.host)
    assert status == 200, mine
    [listed] = mine["reviews"]
    assert listed["id"] == rid and listed["unread"] == 2
    [thread] = [c for c in listed["comments"] if c["id"] == cid]
    assert [r["body"] for r in thread["replies"]] == ["Will do, thanks!", "Good"]
    status, of_show = await run.call("GET", f"/api/streams/{show.stream_id}/reviews", show.host)
    assert status == 200 and [r["id"] for r in of_show["reviews"]] == [rid]

    # The recording plays through the review, with Range, for the host and the coach.
    for token in (show.host, coach):
        headers = {"Authorization": f"Bearer {token}", "Range": "bytes=0-99"}
        async with run.http.get(run.url + seen["video_url"], headers=headers) as resp:
            assert resp.status == 206 and resp.content_type == "video/mp4"
            assert len(await resp.read()) == 100


async def test_a_clip_is_exported_as_a_file_cut_at_a_keyframe(
    sqlite_backend, start, tmp_path
) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    await recorded(run, show.stream_id, tmp_path / "recordings")
    coach = await coach_token(run)
    _, review = await run.call("POST", f"/api/streams/{show.stream_id}/reviews", coach)
    body = {"start_ms": 2400, "end_ms": 4600, "title": "Mid-show"}
    _, clip = await run.call("POST", f"/api/reviews/{review['id']}/clips", coach, json=body)

    status, export = await run.call("POST", clip["export_url"], coach)
    assert status == 201, export
    assert export["start_ms"] == 2000  # the keyframe before 2.4 s: nothing is re-encoded
    assert 4500 <= export["end_ms"] <= 4600 and export["bytes"] > 0
    for token in (coach, show.host):
        headers = {"Authorization": f"Bearer {token}"}
        async with run.http.get(run.url + export["url"], headers=headers) as resp:
            assert resp.status == 200 and resp.content_type == "video/mp4"
            assert "attachment" in resp.headers["Content-Disposition"]
            data = await resp.read()
    assert len(data) == export["bytes"]
    (tmp_path / "clip.mp4").write_bytes(data)
    with av.open(str(tmp_path / "clip.mp4")) as played:
        pictures = list(played.decode(video=0))
        assert pictures[0].key_frame
        assert 2.4 <= played.duration / av.time_base <= 2.7
    headers = {"Authorization": f"Bearer {coach}", "Range": "bytes=10-19"}
    async with run.http.get(run.url + export["url"], headers=headers) as resp:
        assert resp.status == 206 and await resp.read() == data[10:20]
    for token in (show.viewer, None):
        status, _ = await run.call("POST", clip["export_url"], token)
        assert status == (403 if token else 401)


async def test_bad_input_is_refused_with_its_code_and_changes_nothing(
    backend, start, tmp_path
) -> None:
    run = await start(config_for(backend))
    show = await factory.show(run)
    await recorded(run, show.stream_id, tmp_path / "recordings", seconds=3)
    coach = await coach_token(run)
    _, review = await run.call("POST", f"/api/streams/{show.stream_id}/reviews", coach)
    rid, duration = review["id"], review["duration_ms"]
    body = {"start_ms": 1000, "end_ms": 2000, "title": "Kept"}
    assert (await run.call("POST", f"/api/reviews/{rid}/clips", coach, json=body))[0] == 201
    good = {"offset_ms": 1000, "category": "pacing", "body": "Slower here"}
    status, comment = await run.call("POST", f"/api/reviews/{rid}/comments", coach, json=good)
    assert status == 201
    before = (await run.call("GET", f"/api/reviews/{rid}", coach))[1]

    bad_clips = [
        ({"start_ms": 0, "end_ms": duration + 1, "title": "x"}, 400, "offset_outside_recording"),
        ({"start_ms": -5, "end_ms": 500, "title": "x"}, 400, "offset_outside_recording"),
        ({"start_ms": 900, "end_ms": 300, "title": "x"}, 400, "clip_inverted"),
        ({"start_ms": 1500, "end_ms": 2500, "title": "x"}, 409, "clip_overlaps"),
        ({"start_ms": 0, "end_ms": 1001, "title": "x"}, 409, "clip_overlaps"),
        ({"start_ms": 0, "end_ms": 500, "title": ""}, 400, "bad_clip_title"),
        ({"start_ms": 0, "end_ms": 500, "title": "t" * 121}, 400, "bad_clip_title"),
        ({"start_ms": "0", "end_ms": 500, "title": "x"}, 400, "bad_offset"),
    ]
    for payload, want_status, want_code in bad_clips:
        status, body = await run.call("POST", f"/api/reviews/{rid}/clips", coach, json=payload)
        assert (status, code(body)) == (want_status, want_code), payload
    bad_comments = [
        ({**good, "offset_ms": duration + 1}, 400, "offset_outside_recording"),
        ({**good, "category": "charisma"}, 400, "bad_category"),
        ({**good, "rating": 9}, 400, "bad_rating"),
        ({**good, "body": "x" * 10_000}, 400, "comment_too_long"),
        ({**good, "body": "   "}, 400, "bad_comment"),
    ]
    for payload, want_status, want_code in bad_comments:
        status, body = await run.call("POST", f"/api/reviews/{rid}/comments", coach, json=payload)
        assert (status, code(body)) == (want_status, want_code), payload
    cid = comment["id"]
    long_reply = {"body": "y" * 10_000}
    status, body = await run.call(
        "POST", f"/api/comments/{cid}/replies", show.host, json=long_reply
    )
    assert (status, code(body)) == (400, "comment_too_long")
    status, body = await run.call("POST", f"/api/reviews/{rid}/comments", coach, json=[1, 2])
    assert status == 400

    # Comments on a show one may not review: the host (even their own), a viewer, a seller.
    for token in (show.host, show.viewer, show.seller, show.moderator):
        status, body = await run.call("POST", f"/api/reviews/{rid}/comments", token, json=good)
        assert (status, code(body)) == (403, "forbidden")
        status, body = await run.call("POST", f"/api/streams/{show.stream_id}/reviews", token)
        assert (status, code(body)) == (403, "forbidden")
    assert (await run.call("POST", f"/api/reviews/{rid}/comments", None, json=good))[0] == 401

    # No recording to review; a recording of another show; unknown ids.
    bare = await factory.show(run)
    status, body = await run.call("POST", f"/api/streams/{bare.stream_id}/reviews", coach)
    assert (status, code(body)) == (409, "no_recording")
    own = {"recording_id": review["recording_id"]}
    path = f"/api/streams/{bare.stream_id}/reviews"
    status, body = await run.call("POST", path, coach, json=own)
    assert (status, code(body)) == (400, "bad_recording")
    for path, want in [
        ("/api/streams/999999/reviews", "stream_not_found"),
        ("/api/reviews/999999/clips", "review_not_found"),
        ("/api/reviews/999999/comments", "review_not_found"),
        ("/api/comments/999999/replies", "comment_not_found"),
        ("/api/comments/999999/read", "comment_not_found"),
        ("/api/clips/999999/export", "clip_not_found"),
    ]:
        status, body = await run.call("POST", path, coach, json=good | body_for(path))
        assert (status, code(body)) == (404, want), path
    status, body = await run.call("GET", "/api/reviews/abc", coach)
    assert (status, code(body)) == (400, "bad_id")
    status, body = await run.call("GET", "/api/reviews?host=someone", coach)
    assert (status, code(body)) == (400, "bad_query")

    after = (await run.call("GET", f"/api/reviews/{rid}", coach))[1]
    assert after == before
    assert (await run.call("GET", f"/api/streams/{bare.stream_id}/reviews", coach))[1] == {
        "reviews": []
    }


async def test_two_overlapping_clips_at_once_keep_one(backend, start, tmp_path) -> None:
    """The review's row is locked while a clip is checked against the others: of eight clips
    that overlap, sent at the same moment, one is kept and the others refused."""
    run = await start(config_for(backend))
    show = await factory.show(run)
    await recorded(run, show.stream_id, tmp_path / "recordings", seconds=2)
    coach, admin = await coach_token(run), await factory.admin_token(run)
    _, review = await run.call("POST", f"/api/streams/{show.stream_id}/reviews", coach)
    path = f"/api/reviews/{review['id']}/clips"
    for _ in range(3):
        kept = (await run.call("GET", f"/api/reviews/{review['id']}", coach))[1]["clips"]
        start_ms = 600 * len(kept)
        answers = await asyncio.gather(
            *(
                run.call(
                    "POST",
                    path,
                    (coach, admin)[i % 2],
                    json={"start_ms": start_ms + 10 * i, "end_ms": start_ms + 500, "title": "A"},
                )
                for i in range(8)
            )
        )
        assert sorted(status for status, _ in answers) == [201] + [409] * 7, answers
        assert {code(b) for status, b in answers if status == 409} == {"clip_overlaps"}
    clips = (await run.call("GET", f"/api/reviews/{review['id']}", coach))[1]["clips"]
    assert len(clips) == 3
    spans = [(c["start_ms"], c["end_ms"]) for c in clips]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), spans


async def test_a_show_still_recording_is_reviewed_up_to_what_its_file_holds(
    sqlite_backend, start, tmp_path
) -> None:
    """A live show's recording grows a fragment at a time: a review of it takes moments up to
    what the file holds at that moment, and more once it has grown."""
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    frames = interleaved(video("h264", 4 * FPS, gop=GOP), opus(4 * 50))
    folder = tmp_path / "recordings"
    folder.mkdir()
    recorder = Recorder(folder / f"{show.stream_id}-live", H264, max_queued_frames=len(frames))
    recordings = run.app[SERVICES].recordings
    for frame in frames[: len(frames) * 3 // 4]:  # 3 s of the show so far
        frame.into(recorder)
    row = await recordings.begin(
        show.stream_id, path=str(recorder.path), container="mp4", started_at=utcnow()
    )
    for _ in range(300):  # until its first fragments are on disk (written on their own thread)
        if (await recordings.info(row.id)).duration_ms >= 1000:
            break
        await asyncio.sleep(0.05)
    coach = await coach_token(run)
    status, review = await run.call("POST", f"/api/streams/{show.stream_id}/reviews", coach)
    assert status == 201, review
    so_far = review["duration_ms"]
    assert 1000 <= so_far < 3100, review
    path = f"/api/reviews/{review['id']}/comments"
    comment = {"offset_ms": 900, "category": "energy", "body": "Good start"}
    assert (await run.call("POST", path, coach, json=comment))[0] == 201
    later = comment | {"offset_ms": 3800}
    status, body = await run.call("POST", path, coach, json=later)
    assert (status, code(body)) == (400, "offset_outside_recording")

    for frame in frames[len(frames) * 3 // 4 :]:
        frame.into(recorder)
    result = await recorder.close()
    assert result.started_at is not None and result.ended_at is not None
    await recordings.store(
        show.stream_id,
        path=str(result.path),
        container="mp4",
        status="complete",
        started_at=result.started_at,
        ended_at=result.ended_at,
        duration_ms=result.duration_ms,
        size_bytes=result.bytes,
    )
    assert (await run.call("POST", path, coach, json=later))[0] == 201
    _, grown = await run.call("GET", f"/api/reviews/{review['id']}", coach)
    assert grown["duration_ms"] > so_far and [c["offset_ms"] for c in grown["comments"]] == [
        900,
        3800,
    ]


def body_for(path: str) -> dict[str, Any]:
    if path.endswith("/clips"):
        return {"start_ms": 0, "end_ms": 10, "title": "x"}
    return {}


async def test_hosts_see_only_their_own_shows_reviews_and_staff_see_all(
    backend, start, tmp_path
) -> None:
    run = await start(config_for(backend))
    show, other = await factory.show(run), await factory.show(run)
    for stream_id in (show.stream_id, other.stream_id):
        await recorded(run, stream_id, tmp_path / "recordings", seconds=2)
    admin = await factory.admin_token(run)
    coach = await factory.account(run, "coach", admin=admin)
    status, mine = await run.call("POST", f"/api/streams/{show.stream_id}/reviews", coach)
    assert status == 201
    status, theirs = await run.call("POST", f"/api/streams/{other.stream_id}/reviews", admin)
    assert status == 201
    comment = {"offset_ms": 100, "category": "energy", "body": "Hi"}
    _, note = await run.call("POST", f"/api/reviews/{mine['id']}/comments", coach, json=comment)

    def ids(body: Any) -> list[int]:
        return [r["id"] for r in body["reviews"]]

    # the host: their own show's review, not the other host's
    assert ids((await run.call("GET", "/api/reviews?host=me", show.host))[1]) == [mine["id"]]
    assert ids((await run.call("GET", "/api/reviews", show.host))[1]) == [mine["id"]]
    assert ids((await run.call("GET", "/api/reviews?host=me", other.host))[1]) == [theirs["id"]]
    other_host_id = theirs["stream"]["host_id"]
    status, body = await run.call("GET", f"/api/reviews?host={other_host_id}", show.host)
    assert (status, code(body)) == (403, "forbidden")
    for path in (
        f"/api/reviews/{theirs['id']}",
        f"/api/reviews/{theirs['id']}/video",
        f"/api/streams/{other.stream_id}/reviews",
    ):
        status, body = await run.call("GET", path, show.host)
        assert (status, code(body)) == (403, "forbidden"), path
    status, body = await run.call(
        "POST", f"/api/comments/{note['id']}/replies", other.host, json={"body": "Me too"}
    )
    assert (status, code(body)) == (403, "forbidden")
    # coaches and admins: every show's
    for token in (coach, admin):
        status, body = await run.call("GET", "/api/reviews", token)
        assert status == 200 and ids(body) == [theirs["id"], mine["id"]]  # newest first
        status, body = await run.call("GET", f"/api/reviews?host={other_host_id}", token)
        assert ids(body) == [theirs["id"]]
        assert (await run.call("GET", f"/api/reviews/{mine['id']}", token))[0] == 200
    # viewers, sellers, moderators: none
    for token in (show.viewer, show.seller, show.moderator):
        for path in ("/api/reviews", "/api/reviews?host=me", f"/api/reviews/{mine['id']}"):
            status, body = await run.call("GET", path, token)
            assert (status, code(body)) == (403, "forbidden"), path
    assert (await run.call("GET", "/api/reviews"))[0] == 401


async def test_only_an_admin_grants_the_coach_role(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    body = {
        "email": "self-coach@example.test",
        "password": "correct horse",
        "display_name": "Self",
        "role": "coach",
    }
    status, answer = await run.call("POST", "/api/accounts", json=body)
    assert (status, code(answer)) == (403, "forbidden")
    admin = await factory.admin_token(run)
    viewer = await factory.account(run)
    status, me = await run.call("GET", "/api/me", viewer)
    user_id = me["user_id"]
    status, answer = await run.call(
        "PATCH", f"/api/accounts/{user_id}", viewer, json={"role": "coach"}
    )
    assert status == 403
    status, answer = await run.call(
        "PATCH", f"/api/accounts/{user_id}", admin, json={"role": "coach"}
    )
    assert status == 200 and answer["user"]["role"] == "coach", answer
    status, answer = await run.call("POST", "/api/accounts", admin, json=body)
    assert status == 201 and answer["user"]["role"] == "coach", answer


@pytest.mark.parametrize("payload", [{"recording_id": 0}, {"recording_id": "1"}])
async def test_a_review_names_a_recording_by_its_id(sqlite_backend, start, payload) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    coach = await coach_token(run)
    status, body = await run.call(
        "POST", f"/api/streams/{show.stream_id}/reviews", coach, json=payload
    )
    assert (status, code(body)) == (400, "bad_recording")
