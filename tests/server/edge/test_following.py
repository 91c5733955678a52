"""Following through the doors: follow and unfollow with counts, who can be followed, the host's
public page, the home page's live and upcoming shows, the host_live toast on a follower's open
socket (on both backends: with Redis it crosses the manager), and followers-only chat."""

from __future__ import annotations

import asyncio

import socketio

from server.edge.http.context import SERVICES
from tests.conftest import config_for
from tests.factory import account, go_live, show


async def _id(run, token: str) -> int:
    return (await run.call("GET", "/api/me", token))[1]["user_id"]


async def test_follow_unfollow_and_who_can_be_followed(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    world = await show(run)
    host_id = await _id(run, world.host)
    path = f"/api/hosts/{host_id}/follow"
    assert (await run.call("POST", path, world.viewer))[1]["followers"] == 1
    assert (await run.call("POST", path, world.viewer))[1]["followers"] == 1  # once
    assert (await run.call("POST", path, world.viewer2))[1]["followers"] == 2
    status, body = await run.call("DELETE", path, world.viewer2)
    assert (status, body) == (200, {"host_id": host_id, "followers": 1, "following": False})
    status, body = await run.call("GET", "/api/me/follows", world.viewer)
    assert body == {"hosts": [host_id], "reminders": [], "unsubscribed": False}

    status, body = await run.call("POST", path, world.host)
    assert status == 400 and body["error"]["code"] == "own_follow"
    viewer_id = await _id(run, world.viewer2)
    status, body = await run.call("POST", f"/api/hosts/{viewer_id}/follow", world.viewer)
    assert status == 400 and body["error"]["code"] == "not_a_host"
    status, body = await run.call("POST", "/api/hosts/999999/follow", world.viewer)
    assert status == 404 and body["error"]["code"] == "not_a_host"
    status, body = await run.call("POST", path)
    assert status == 401
    _, guest = await run.call("POST", "/api/auth/guest", json={"display_name": "Guest"})
    status, body = await run.call("POST", path, guest["token"])
    assert status == 403 and body["error"]["code"] == "account_required"

    status, page = await run.call("GET", f"/api/hosts/{host_id}", world.viewer)
    assert status == 200
    assert page["followers"] == 1 and page["following"] is True
    assert [s["id"] for s in page["upcoming"]] == [world.stream_id]
    status, page = await run.call("GET", f"/api/hosts/{viewer_id}")
    assert status == 400 and page["error"]["code"] == "not_a_host"


async def test_home_lists_live_and_upcoming_by_language(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    world = await show(run)  # a show in Polish
    other = await show(run)
    await go_live(run, world.stream_id)
    status, home = await run.call("GET", "/api/home")
    assert status == 200
    assert [s["id"] for s in home["live"]] == [world.stream_id]
    assert home["live"][0]["viewers"] == 0
    assert other.stream_id in [s["id"] for s in home["upcoming"]]
    status, home = await run.call("GET", "/api/home?lang=en")
    assert home["live"] == [] and home["upcoming"] == []
    status, body = await run.call("GET", "/api/home?lang=xx")
    assert status == 400 and body["error"]["code"] == "bad_language"


async def test_a_follower_with_a_page_open_gets_the_toast(backend, start) -> None:
    run = await start(config_for(backend))
    world = await show(run)
    host_id = await _id(run, world.host)
    await run.call("POST", f"/api/hosts/{host_id}/follow", world.viewer)
    follower = await run.sio(world.viewer)  # connected before following: moved in too
    late = await run.sio(world.viewer2)  # follows after connecting
    await run.call("POST", f"/api/hosts/{host_id}/follow", world.viewer2)
    bystander = await run.sio(await account(run))
    toasts: dict[str, asyncio.Queue] = {}
    for name, client in (("follower", follower), ("late", late), ("bystander", bystander)):
        toasts[name] = _toasts(client)
    await run.app[SERVICES].streams.publisher_connected(world.stream_id)
    for name in ("follower", "late"):
        toast = await asyncio.wait_for(toasts[name].get(), 10)
        assert toast["stream_id"] == world.stream_id and toast["host_id"] == host_id
        assert toast["watch_url"] == f"/watch/{world.stream_id}"
    await asyncio.sleep(0.3)
    assert toasts["bystander"].empty()


def _toasts(client: socketio.AsyncClient) -> asyncio.Queue:
    queue: asyncio.Queue = asyncio.Queue()

    async def heard(data: dict) -> None:
        await queue.put(data)

    client.on("host_live", heard)
    return queue


async def test_followers_only_chat(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    world = await show(run)
    host_id = await _id(run, world.host)
    await run.call("POST", f"/api/hosts/{host_id}/follow", world.viewer)
    await go_live(run, world.stream_id)
    host, fan, stranger = [await run.sio(t) for t in (world.host, world.viewer, world.viewer2)]
    for client in (host, fan, stranger):
        assert (await client.call("join", {"stream_id": world.stream_id}))["ok"]
    ack = await host.call("set_modes", {"followers_only": True})
    assert ack["ok"] and ack["modes"]["followers_only"] is True
    assert (await fan.call("send_message", {"text": "I follow"}))["ok"]
    refused = await stranger.call("send_message", {"text": "I do not"})
    assert refused["error"]["code"] == "followers_only"
    assert (await host.call("send_message", {"text": "staff may"}))["ok"]
    bad = await host.call("set_modes", {"followers_only": "yes"})
    assert bad["error"]["code"] == "bad_mode"
