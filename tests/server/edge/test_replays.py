"""Replays through the HTTP API, black box: a show runs (pins over Socket.IO, chat with a deleted
line, a shadow-banned author, an answered question, a flash deal), ends, and its recording (real
H.264 and Opus remuxed by the recorder) becomes a replay with chapters, chat, a signed media
link and purchases at normal prices, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
import pytest

from media.clips import probe
from media.service import MediaConfig
from server.core.domain import replays
from server.edge.http.context import SERVICES
from server.edge.http.replays import media_key
from tests import factory, peers
from tests.chat.test_room import joined
from tests.conftest import config_for
from tests.media.test_recording import H264, interleaved, opus, record, video
from tests.server.edge.test_reviews import coach_token
from tests.test_end_to_end import whip


@dataclass
class Played:
    show: factory.Show
    recording_id: int
    duration_ms: int
    lines: dict[str, int]  # text -> message id
    deal_id: int
    path: Path  # the recording's file


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def record_show(
    run: Any, stream_id: int, folder: Path, seconds: int
) -> tuple[int, int, Path]:
    """The show's recording, as the media service would store it: real encoded frames from the
    show's start (the host's first frame), `seconds` long."""
    frames = interleaved(video("h264", 30 * seconds, gop=15), opus(50 * seconds))
    folder.mkdir(parents=True, exist_ok=True)
    result = await record(folder, H264, frames)
    assert not result.failed, result.error
    _, stream = await run.call("GET", f"/api/streams/{stream_id}")
    started = parse_time(stream["started_at"])
    recording = await run.app[SERVICES].recordings.store(
        stream_id,
        path=str(result.path),
        container=result.container,
        status="complete",
        started_at=started,
        ended_at=started + timedelta(milliseconds=result.duration_ms),
        duration_ms=result.duration_ms,
        size_bytes=result.bytes,
    )
    return recording.id, result.duration_ms, result.path


async def subject_of(run: Any, token: str) -> str:
    return (await run.call("GET", "/api/me", token))[1]["subject"]


async def play_a_show(run: Any, folder: Path, seconds: int = 8) -> Played:
    """Live, two pins, chat (one line deleted, one of a shadow-banned author, a question
    answered), a flash deal; ended; recorded."""
    show = await factory.show(run, stocks=(5, 3))
    first, second = show.product_ids
    await factory.go_live(run, show.stream_id)
    host, _, _ = await joined(run, show.host, show.stream_id)
    viewer, _, _ = await joined(run, show.viewer, show.stream_id)
    other, _, _ = await joined(run, show.viewer2, show.stream_id)
    assert (await host.call("pin_product", {"product_id": first}))["ok"]
    lines = {}

    async def say(client: Any, text: str, **kw: Any) -> int:
        ack = await client.call("send_message", {"text": text, **kw})
        assert ack["ok"], ack
        lines[text] = ack["message"]["id"]
        return lines[text]

    await say(viewer, "hello")
    gone = await say(other, "buy my stuff elsewhere")
    assert (await host.call("delete_message", {"message_id": gone}))["ok"]
    question = await say(viewer, "does it come in blue?", question=True)
    assert (await host.call("answer_question", {"message_id": question}))["ok"]
    status, body = await run.call(
        "POST",
        f"/api/streams/{show.stream_id}/deals",
        show.host,
        json={"product_id": first, "price_minor": 999, "duration_s": 30, "quantity": 2},
    )
    assert status == 201, body
    deal_id = body["deal"]["id"]
    await asyncio.sleep(0.3)  # the chapters apart by a measurable moment
    assert (await host.call("pin_product", {"product_id": second}))["ok"]
    target = await subject_of(run, show.viewer2)
    assert (await host.call("shadow_ban", {"target": target}))["ok"]
    await say(other, "nobody sees this but me")
    await say(viewer, "great show")
    assert (await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host))[0] == 200
    for client in (host, viewer, other):
        await client.disconnect()
    recording_id, duration_ms, path = await record_show(run, show.stream_id, folder, seconds)
    return Played(show, recording_id, duration_ms, lines, deal_id, path)


async def fetch(run: Any, url: str, **headers: str) -> tuple[int, bytes, Any]:
    async with run.http.get(run.url + url, headers=headers) as resp:
        return resp.status, await resp.read(), resp.headers


def with_query(url: str, **change: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | change
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())


async def test_a_replay_plays_with_chapters_chat_and_a_signed_link(
    backend, start, tmp_path
) -> None:
    run = await start(config_for(backend))
    played = await play_a_show(run, tmp_path / "recordings")
    show = played.show
    first, second = show.product_ids

    status, replay = await run.call("GET", f"/api/streams/{show.stream_id}/replay?lang=en")
    assert status == 200, replay
    assert (replay["state"], replay["replay"], replay["taken_down"]) == ("listed", "on", False)
    assert replay["buyable"] is True and replay["stream_id"] == show.stream_id
    media = replay["media"]
    assert media["recording_id"] == played.recording_id and media["content_type"] == "video/mp4"
    assert media["duration_ms"] == played.duration_ms
    chapters = replay["chapters"]
    assert [c["product_id"] for c in chapters] == [first, second]
    assert [c["title"] for c in chapters] == ["Product 0", "Product 1"]
    assert chapters[0]["start_ms"] < chapters[1]["start_ms"] < played.duration_ms
    assert chapters[1]["start_ms"] - chapters[0]["start_ms"] >= 300
    # Both stayed pinned until the show ended (which unpins everything).
    assert chapters[0]["end_ms"] == chapters[1]["end_ms"] <= played.duration_ms
    [deal] = replay["deals"]
    assert deal["id"] == played.deal_id and deal["price_minor"] == 999
    assert chapters[0]["start_ms"] <= deal["start_ms"] < deal["end_ms"]
    assert {p["id"] for p in replay["lineup"]} == {first, second}

    # The file, with no token at all, whole and by Range.
    status, data, headers = await fetch(run, media["url"])
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    assert len(data) == played.path.stat().st_size
    status, part, _ = await fetch(run, media["url"], Range="bytes=100-199")
    assert status == 206 and part == data[100:200]

    # The chat as it scrolled by: no deleted line, no shadow-banned line, the answer marked.
    status, chat = await run.call("GET", f"/api/streams/{show.stream_id}/replay/chat")
    assert status == 200, chat
    texts = [m["text"] for m in chat["messages"]]
    assert texts == ["hello", "does it come in blue?", "great show"]
    offsets = [m["offset_ms"] for m in chat["messages"]]
    assert offsets == sorted(offsets) and offsets[0] >= 0
    question = chat["messages"][1]
    assert question["question"] and question["answered"] and question["pinned"]
    assert not chat["messages"][0]["answered"] and chat["next_from_ms"] is None
    later = offsets[1] + 1
    status, window = await run.call(
        "GET", f"/api/streams/{show.stream_id}/replay/chat?from_ms={later}&to_ms=600000"
    )
    assert status == 200 and [m["text"] for m in window["messages"]] == ["great show"]

    status, listed = await run.call("GET", "/api/replays")
    assert status == 200
    [mine] = [r for r in listed["replays"] if r["stream_id"] == show.stream_id]
    assert mine["duration_ms"] == played.duration_ms and mine["chapters"] == 2


async def test_buying_from_a_replay_is_attributed_to_the_show_at_normal_prices(
    backend, start, tmp_path
) -> None:
    run = await start(config_for(backend))
    played = await play_a_show(run, tmp_path / "recordings", seconds=3)
    show = played.show
    first, second = show.product_ids
    buy = {"product_id": first, "quantity": 1, "idempotency_key": "replay-buy-0001"}
    orders = f"/api/streams/{show.stream_id}/orders"
    status, order = await run.call("POST", orders, show.viewer, json=buy)
    assert status == 201, order
    assert order["source"] == "replay" and order["stream_id"] == show.stream_id
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    assert order["host_id"] == stream["host"]["id"]
    [line] = order["lines"]
    assert line["unit_price_minor"] == 1999 and line["deal_id"] is None  # the deal ran out
    assert line["commission_bp"] == stream["lineup"][0]["effective_commission_bp"]
    again = await run.call("POST", orders, show.viewer, json=buy)
    assert again[0] == 200 and again[1]["id"] == order["id"]  # the same order, not a second

    # The cart checks out as one replay order too.
    cart = f"/api/streams/{show.stream_id}/cart"
    status, _ = await run.call(
        "PUT", f"{cart}/items", show.viewer2, json={"product_id": second, "quantity": 2}
    )
    assert status == 200
    status, checkout = await run.call(
        "POST", f"{cart}/checkout", show.viewer2, json={"idempotency_key": "replay-cart-0001"}
    )
    assert status == 201, checkout
    assert checkout["source"] == "replay" and checkout["lines"][0]["quantity"] == 2
    status, product = await run.call("GET", f"/api/products/{first}")
    assert product["stock"] == 4

    # Paid, it enters the host's commission ledger like a live sale.
    status, paid = await run.call("POST", f"/api/orders/{order['id']}/pay", show.viewer, json={})
    assert status == 200 and paid["status"] == "paid", paid
    status, ledger = await run.call("GET", "/api/ledger?as=host&by=stream", show.host)
    assert status == 200, ledger
    [row] = [r for r in ledger["rows"] if r["stream_id"] == show.stream_id]
    assert row["sales"] == 1 and row["gmv_minor"] == 1999 and row["source"] == "replay"

    # Turned off, the replay sells nothing, and nothing changes.
    status, _ = await run.call(
        "PATCH", f"/api/streams/{show.stream_id}/replay", show.host, json={"replay": "off"}
    )
    assert status == 200
    refused = {**buy, "idempotency_key": "replay-buy-0002"}
    status, body = await run.call("POST", orders, show.viewer, json=refused)
    assert status == 409 and body["error"]["code"] == "not_live"
    assert (await run.call("GET", f"/api/products/{first}"))[1]["stock"] == 4


async def test_off_unlisted_and_taken_down(sqlite_backend, start, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    played = await play_a_show(run, tmp_path / "recordings", seconds=2)
    show = played.show
    admin = await factory.admin_token(run)
    path = f"/api/streams/{show.stream_id}/replay"
    _, before = await run.call("GET", path)
    old_url = before["media"]["url"]

    async def patch(token: str | None, body: object) -> tuple[int, Any]:
        return await run.call("PATCH", path, token, json=body)

    assert (await patch(None, {"replay": "off"}))[0] == 401
    for token in (show.viewer, show.seller, show.moderator):
        status, body = await patch(token, {"replay": "off"})
        assert status == 403 and body["error"]["code"] == "forbidden"
    for bad in ({}, {"replay": "hidden"}, {"replay": None}, {"taken_down": "yes"}):
        status, body = await patch(show.host, bad)
        assert status == 400 and body["error"]["code"] == "bad_replay_setting", bad
    assert (await patch(show.host, ["off"]))[1]["error"]["code"] == "invalid"
    status, body = await patch(show.host, {"taken_down": True})  # only admins
    assert status == 403
    assert (await run.call("GET", path))[1]["state"] == "listed"  # nothing changed

    # Unlisted: watchable by link, not listed.
    status, body = await patch(show.host, {"replay": "unlisted"})
    assert status == 200 and body["state"] == "unlisted"
    assert (await run.call("GET", path))[0] == 200
    _, listed = await run.call("GET", "/api/replays")
    assert show.stream_id not in [r["stream_id"] for r in listed["replays"]]

    # Off: nobody but staff, and the links already handed out stop at once.
    assert (await patch(show.host, {"replay": "off"}))[0] == 200
    for token in (None, show.viewer):
        status, body = await run.call("GET", path, token)
        assert status == 404 and body["error"]["code"] == "replay_unavailable"
        status, body = await run.call("GET", f"{path}/chat", token)
        assert status == 404 and body["error"]["code"] == "replay_unavailable"
    status, body = await run.call("GET", old_url)
    assert status == 404 and body["error"]["code"] == "replay_unavailable"
    for token in (show.host, show.moderator, admin):
        status, staff = await run.call("GET", path, token)
        assert status == 200 and staff["state"] == "off"
        assert "audience=staff" in staff["media"]["url"]
        assert (await fetch(run, staff["media"]["url"]))[0] == 200

    # Taken down: the host cannot bring it back; an admin can.
    assert (await patch(show.host, {"replay": "on"}))[0] == 200
    status, body = await patch(admin, {"taken_down": True})
    assert status == 200 and body["state"] == "taken_down"
    assert (await patch(show.host, {"replay": "on"}))[1]["state"] == "taken_down"
    status, body = await run.call("GET", path, show.viewer)
    assert status == 404 and body["error"]["code"] == "replay_unavailable"
    status, body = await patch(admin, {"taken_down": False})
    assert status == 200 and body["state"] == "listed"
    assert (await fetch(run, old_url))[0] == 200  # not expired, public again


async def test_forged_expired_and_guessed_links(sqlite_backend, start, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    played = await play_a_show(run, tmp_path / "a", seconds=2)
    other = await play_a_show(run, tmp_path / "b", seconds=2)
    show = played.show
    _, replay = await run.call("GET", f"/api/streams/{show.stream_id}/replay")
    url = replay["media"]["url"]
    signature = parse_qs(urlsplit(url).query)["signature"][0]

    forged = [
        with_query(url, signature="0" * 64),
        with_query(url, signature=signature[:-1]),
        with_query(url, expires=str(int(replay_expiry(url)) + 3600)),  # a longer life
        with_query(url, audience="staff"),
        with_query(url, recording=str(other.recording_id)),  # another show's file
        url.replace(f"/streams/{show.stream_id}/", f"/streams/{other.show.stream_id}/"),
        url.split("?")[0],
        with_query(url, recording="abc"),
    ]
    for bad in forged:
        status, body = await run.call("GET", bad)
        assert status == 403 and body["error"]["code"] == "replay_bad_signature", bad
    # A genuine signature that names another show's recording: still no file of that show.
    key = media_key(run.app)
    expires = int(replay_expiry(url))
    link = replays.MediaLink(show.stream_id, other.recording_id, expires, replays.Audience.PUBLIC)
    mixed = with_query(url, recording=str(other.recording_id), signature=replays.sign(key, link))
    status, body = await run.call("GET", mixed)
    assert status == 404 and body["error"]["code"] == "replay_unavailable"
    old = replays.MediaLink(show.stream_id, played.recording_id, 1000, replays.Audience.PUBLIC)
    expired = with_query(url, expires="1000", signature=replays.sign(key, old))
    status, body = await run.call("GET", expired)
    assert status == 403 and body["error"]["code"] == "replay_link_expired"
    assert (await fetch(run, url))[0] == 200  # the genuine link still works


def replay_expiry(url: str) -> str:
    return parse_qs(urlsplit(url).query)["expires"][0]


async def test_bad_input_and_shows_without_a_replay(sqlite_backend, start, tmp_path) -> None:
    run = await start(config_for(sqlite_backend))
    played = await play_a_show(run, tmp_path / "recordings", seconds=2)
    chat = f"/api/streams/{played.show.stream_id}/replay/chat"
    for query in ("from_ms=-1", "from_ms=abc", "from_ms=10&to_ms=5", "to_ms=0", "from_ms=1.5"):
        status, body = await run.call("GET", f"{chat}?{query}")
        assert status == 400 and body["error"]["code"] == "bad_replay_window", query
    status, body = await run.call("GET", f"{chat}?from_ms=0&to_ms={10 * 60 * 1000 + 1}")
    assert status == 400 and body["error"]["code"] == "bad_replay_window"
    status, body = await run.call("GET", f"{chat}?from_ms=999999")
    assert status == 400 and body["error"]["code"] == "bad_replay_window"

    for path in ("/api/streams/999999/replay", "/api/streams/999999/replay/chat"):
        status, body = await run.call("GET", path)
        assert status == 404 and body["error"]["code"] == "stream_not_found"
    status, body = await run.call("GET", "/api/streams/abc/replay")
    assert status == 400 and body["error"]["code"] == "bad_id"
    status, body = await run.call(
        "PATCH", "/api/streams/999999/replay", played.show.host, json={"replay": "off"}
    )
    assert status == 404 and body["error"]["code"] == "stream_not_found"

    fresh = await factory.show(run)
    path = f"/api/streams/{fresh.stream_id}/replay"
    status, body = await run.call("GET", path)
    assert status == 409 and body["error"]["code"] == "replay_not_ended"  # not even live yet
    await factory.go_live(run, fresh.stream_id)
    assert (await run.call("POST", f"/api/streams/{fresh.stream_id}/end", fresh.host))[0] == 200
    status, body = await run.call("GET", path)
    assert status == 404 and body["error"]["code"] == "replay_no_recording"
    # Without a recording, the ended show sells nothing.
    buy = {"product_id": fresh.product_ids[0], "quantity": 1, "idempotency_key": "no-replay-01"}
    status, body = await run.call(
        "POST", f"/api/streams/{fresh.stream_id}/orders", fresh.viewer, json=buy
    )
    assert status == 409 and body["error"]["code"] == "not_live"

    # The host picks the setting when scheduling (on by default).
    assert (await run.call("GET", f"/api/streams/{fresh.stream_id}"))[1]["replay"] == "on"
    later = {"title": "Later", "language": "en", "replay": "unlisted"}
    status, body = await run.call("POST", "/api/streams", fresh.host, json=later)
    assert status == 201 and body["replay"] == "unlisted"
    status, body = await run.call(
        "POST", "/api/streams", fresh.host, json=later | {"replay": "maybe"}
    )
    assert status == 400 and body["error"]["code"] == "bad_replay_setting"


async def test_a_show_cut_short_by_a_crash_replays_what_its_recording_kept(
    sqlite_backend, start, tmp_path
) -> None:
    """The ingest node died mid-show: at its next start the recording is recovered to its last
    whole fragment (`interrupted`), and that is the replay, chapters clipped to it. A longer
    failed recording is never played."""
    config = config_for(sqlite_backend)
    run = await start(config)
    show = await factory.show(run)
    await factory.go_live(run, show.stream_id)
    host, _, _ = await joined(run, show.host, show.stream_id)
    assert (await host.call("pin_product", {"product_id": show.product_ids[0]}))["ok"]
    await host.disconnect()
    _, stream = await run.call("GET", f"/api/streams/{show.stream_id}")
    started = parse_time(stream["started_at"])
    service = run.app[SERVICES].recordings
    whole = await record(
        tmp_path, H264, interleaved(video("h264", 240, gop=15), opus(400)), max_queued_frames=1000
    )
    data = whole.path.read_bytes()
    torn = tmp_path / "torn.mp4"
    torn.write_bytes(data[: len(data) * 3 // 4])  # what a SIGKILL mid-fragment leaves
    crashed = await service.begin(
        show.stream_id, path=str(torn), container="mp4", started_at=started
    )
    await service.store(
        show.stream_id,
        path=str(tmp_path / "failed.mp4"),
        container="mp4",
        status="failed",
        started_at=started,
        ended_at=started + timedelta(seconds=60),
        duration_ms=60_000,
        size_bytes=len(data),
    )
    assert (await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host))[0] == 200
    path = f"/api/streams/{show.stream_id}/replay"
    status, body = await run.call("GET", path)  # the node has not come back yet
    assert status == 404 and body["error"]["code"] == "replay_no_recording"

    again = await start(config)  # the node starts again and recovers its recording
    [info] = [
        i
        for i in await again.app[SERVICES].recordings.for_stream(show.stream_id)
        if i.id == crashed.id
    ]
    assert info.status == "interrupted" and info.playable
    status, replay = await again.call("GET", path)
    assert status == 200, replay
    assert replay["status"] == "ended" and replay["buyable"] is True
    media = replay["media"]
    assert media["recording_id"] == crashed.id
    assert media["duration_ms"] == info.duration_ms == probe(torn).duration_ms > 0
    [chapter] = replay["chapters"]
    assert chapter["product_id"] == show.product_ids[0]
    assert 0 <= chapter["start_ms"] < chapter["end_ms"] <= info.duration_ms
    status, file, _ = await fetch(again, media["url"])
    assert status == 200 and len(file) == torn.stat().st_size
    (tmp_path / "served.mp4").write_bytes(file)
    with av.open(str(tmp_path / "served.mp4")) as played:
        assert sum(1 for _ in played.decode(video=0)) >= 30
    _, listed = await again.call("GET", "/api/replays")
    [mine] = [r for r in listed["replays"] if r["stream_id"] == show.stream_id]
    assert mine["duration_ms"] == info.duration_ms
    buy = {"product_id": show.product_ids[0], "quantity": 1, "idempotency_key": "crashed-0001"}
    status, order = await again.call(
        "POST", f"/api/streams/{show.stream_id}/orders", show.viewer, json=buy
    )
    assert status == 201 and order["source"] == "replay", order


async def until_replay(run: Any, path: str, token: str, ready: Any) -> dict:
    """The live show's replay answer once `ready(answer)` holds (before the host's first
    frame, the show has no recording yet)."""
    for _ in range(150):
        status, answer = await run.call("GET", path, token)
        if status == 404 and answer["error"]["code"] == "replay_no_recording":
            await asyncio.sleep(0.2)
            continue
        assert status == 200, answer
        if ready(answer):
            return answer
        await asyncio.sleep(0.2)
    raise AssertionError(f"the rewind never got there: {answer}")


@pytest.mark.slow
async def test_the_host_rewinds_a_live_show_viewers_wait_for_its_end(
    backend, start, tmp_path
) -> None:
    media = MediaConfig(recordings_dir=str(tmp_path / "recordings"))
    run = await start(config_for(backend, media=media))
    show = await factory.show(run)
    host_pc, offer = await peers.publisher_offer("h264")
    status, answer, _ = await whip(run, show.stream_id, show.stream_key, offer)
    assert status == 201, answer
    await peers.accept(host_pc, answer)
    host, _, _ = await joined(run, show.host, show.stream_id)
    assert (await host.call("pin_product", {"product_id": show.product_ids[0]}))["ok"]
    path = f"/api/streams/{show.stream_id}/replay"

    rewind = await until_replay(run, path, show.host, lambda r: r["media"]["duration_ms"] >= 2000)
    assert rewind["status"] == "live" and rewind["buyable"] is False
    url = rewind["media"]["url"]
    assert "audience=staff" in url and rewind["ended_at"] is None
    [chapter] = rewind["chapters"]  # so far: still pinned, up to what the file holds
    assert chapter["product_id"] == show.product_ids[0]
    assert chapter["end_ms"] == rewind["media"]["duration_ms"]
    status, first, headers = await fetch(run, url)
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    (tmp_path / "first.mp4").write_bytes(first)
    with av.open(str(tmp_path / "first.mp4")) as played:
        pictures = list(played.decode(video=0))
    assert pictures[0].key_frame and len(pictures) >= 25
    later = await until_replay(
        run, path, show.host, lambda r: r["media"]["duration_ms"] > rewind["media"]["duration_ms"]
    )
    assert later["media"]["recording_id"] == rewind["media"]["recording_id"]
    for _ in range(150):  # the same link serves the file as it grows
        status, grown, _ = await fetch(run, url)
        if len(grown) > len(first):
            break
        await asyncio.sleep(0.2)
    assert status == 200 and len(grown) > len(first) and grown[:1000] == first[:1000]
    status, chat = await run.call("GET", f"{path}/chat", show.host)
    assert status == 200, chat
    for staff_token in (show.moderator, await coach_token(run)):
        status, staff = await run.call("GET", path, staff_token)
        assert status == 200 and staff["status"] == "live", staff

    # Viewers wait for the end, and no public link reaches the growing file.
    viewers: tuple[str | None, ...] = (None, show.viewer, show.seller)
    for viewer in viewers:
        for asked in (path, f"{path}/chat"):
            status, body = await run.call("GET", asked, viewer)
            assert status == 409 and body["error"]["code"] == "replay_not_ended", (viewer, asked)
    expires = int(replay_expiry(url))
    link = replays.MediaLink(
        show.stream_id, rewind["media"]["recording_id"], expires, replays.Audience.PUBLIC
    )
    public = with_query(url, audience="public", signature=replays.sign(media_key(run.app), link))
    status, body = await run.call("GET", public)
    assert status == 409 and body["error"]["code"] == "replay_not_ended"
    status, body = await run.call("GET", with_query(url, expires=str(expires + 3600)))
    assert status == 403 and body["error"]["code"] == "replay_bad_signature"

    await host.disconnect()
    assert (await run.call("POST", f"/api/streams/{show.stream_id}/end", show.host))[0] == 200
    status, ended = await run.call("GET", path, show.viewer)
    assert status == 200 and ended["status"] == "ended"
    assert ended["media"]["recording_id"] == rewind["media"]["recording_id"]
    assert ended["media"]["duration_ms"] >= later["media"]["duration_ms"]
    await host_pc.close()
