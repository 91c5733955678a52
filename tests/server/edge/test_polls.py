"""Polls through the live room with real Socket.IO clients, on SQLite and on PostgreSQL + Redis:
exact counts and percentages reaching the room, one vote per account and per guest device,
final results kept on the show, votes on two nodes of one Redis counted once each; every
refusal a code."""

from __future__ import annotations

import asyncio

import pytest

from tests import factory
from tests.chat.test_moderation_events import code, device_client, guest_token
from tests.chat.test_room import Listener, joined
from tests.conftest import config_for


async def last_poll(events: Listener, total: int) -> dict:
    """The room's poll once it counts `total` votes (several nodes: keep the largest total)."""
    while True:
        poll = (await events.next("poll_updated"))["poll"]
        if poll["total"] >= total:
            return poll


async def test_a_poll_counts_exactly_and_keeps_its_results(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    viewer, events, _ = await joined(running, show.viewer, show.stream_id, "poll_updated")
    asked = {"question": "Which next?", "options": ["Red", {"product_id": show.product_ids[1]}]}
    assert code(await viewer.call("start_poll", asked)) == "forbidden"
    started = await host.call("start_poll", asked)
    assert started["ok"], started
    poll = started["poll"]
    assert [o["text"] for o in poll["options"]] == ["Red", None] and poll["open"]
    assert poll["options"][1]["product_id"] == show.product_ids[1] and poll["ends_at"] is None
    assert code(await host.call("start_poll", asked)) == "poll_running"

    voters = [await factory.account(running) for _ in range(4)]
    clients = [(await joined(running, token, show.stream_id))[0] for token in voters]
    choices = [0, 1, 1, 1]
    acks = await asyncio.gather(
        *(
            c.call("vote", {"poll_id": poll["id"], "choice": n})
            for c, n in zip(clients, choices, strict=True)
        )
    )
    assert all(a["ok"] for a in acks), acks
    again = await clients[0].call("vote", {"poll_id": poll["id"], "choice": 1})
    assert code(again) == "already_voted"
    # A guest votes once per device, whatever guest name they come back under.
    guest = await device_client(running, await guest_token(running), "device-p1")
    assert (await guest.call("join", {"stream_id": show.stream_id}))["ok"]
    assert (await guest.call("vote", {"poll_id": poll["id"], "choice": 0}))["ok"]
    back = await device_client(running, await guest_token(running, "Again"), "device-p1")
    assert (await back.call("join", {"stream_id": show.stream_id}))["ok"]
    assert code(await back.call("vote", {"poll_id": poll["id"], "choice": 0})) == "already_voted"

    live = await last_poll(events, 5)
    assert [o["votes"] for o in live["options"]] == [2, 3]
    assert [o["percent"] for o in live["options"]] == [40, 60]
    closed = await host.call("close_poll", {"poll_id": poll["id"]})
    assert closed["ok"] and not closed["poll"]["open"], closed
    late = await viewer.call("vote", {"poll_id": poll["id"], "choice": 0})
    assert code(late) == "poll_closed"
    status, kept = await running.call("GET", f"/api/streams/{show.stream_id}/polls")
    assert status == 200 and len(kept["polls"]) == 1
    final = kept["polls"][0]
    assert [o["votes"] for o in final["options"]] == [2, 3] and final["closed_at"]
    assert (await viewer.call("poll_state", {}))["poll"]["total"] == 5


async def test_a_timed_poll_closes_by_itself(running) -> None:
    show = await factory.show(running)
    host, _, _ = await joined(running, show.host, show.stream_id)
    _, events, _ = await joined(running, show.viewer, show.stream_id, "poll_updated")
    started = await host.call("start_poll", {"question": "Q?", "options": ["a", "b"],
                                             "duration_s": 10})  # fmt: skip
    assert started["ok"] and started["poll"]["ends_at"], started
    from server.core.store.rows import Poll
    from server.edge.http.context import SERVICES

    db = running.app[SERVICES].polls._db
    async with db.writing() as session:
        row = await session.get(Poll, started["poll"]["id"])
        row.ends_at = row.opened_at
    while (poll := (await events.next("poll_updated"))["poll"])["open"]:
        pass
    assert poll["closed_at"] and poll["total"] == 0


async def test_bad_polls_and_votes_are_refused_with_their_code(sqlite_backend, start) -> None:
    run = await start(config_for(sqlite_backend))
    show = await factory.show(run)
    other = await factory.show(run)
    host, _, _ = await joined(run, show.host, show.stream_id)
    bad = [
        ({"question": "", "options": ["a", "b"]}, "bad_question"),
        ({"question": 3, "options": ["a", "b"]}, "bad_question"),
        ({"question": "q", "options": ["a"]}, "bad_poll_options"),
        ({"question": "q", "options": list("abcdefg")}, "bad_poll_options"),
        ({"question": "q", "options": ["a", "A"]}, "bad_poll_options"),
        ({"question": "q", "options": ["a", 5]}, "bad_poll_options"),
        ({"question": "q", "options": "ab"}, "bad_poll_options"),
        ({"question": "q", "options": ["a", "b"], "duration_s": 5}, "bad_poll_duration"),
        ({"question": "q", "options": ["a", "b"], "duration_s": "60"}, "bad_poll_duration"),
        ({"question": "q", "options": ["a", {"product_id": other.product_ids[0]}]},
         "not_in_lineup"),
        (None, "bad_payload"),
    ]  # fmt: skip
    for asked, wanted in bad:
        assert code(await host.call("start_poll", asked)) == wanted, asked
    poll = (await host.call("start_poll", {"question": "q", "options": ["a", "b"]}))["poll"]
    viewer, _, _ = await joined(run, show.viewer, show.stream_id)
    for vote, wanted in [
        ({"poll_id": poll["id"], "choice": 2}, "bad_choice"),
        ({"poll_id": poll["id"], "choice": -1}, "bad_choice"),
        ({"poll_id": poll["id"], "choice": True}, "bad_choice"),
        ({"poll_id": 999999, "choice": 0}, "poll_not_found"),
        ({"choice": 0}, "bad_payload"),
    ]:
        assert code(await viewer.call("vote", vote)) == wanted, vote
    status, body = await run.call("GET", "/api/polls/999999")
    assert status == 404 and body["error"]["code"] == "poll_not_found"


async def test_votes_on_two_nodes_of_one_redis_count_once_each(backend, start) -> None:
    if backend.redis_url is None:
        pytest.skip("several nodes share a show through Redis")
    config = config_for(backend)
    nodes = [await start(config), await start(config)]
    show = await factory.show(nodes[0])
    host, _, _ = await joined(nodes[0], show.host, show.stream_id)
    _, events, _ = await joined(nodes[1], show.viewer, show.stream_id, "poll_updated")
    poll = (await host.call("start_poll", {"question": "q", "options": ["a", "b", "c"]}))["poll"]
    tokens = [await factory.account(nodes[0]) for _ in range(6)]
    first = [(await joined(nodes[i % 2], t, show.stream_id))[0] for i, t in enumerate(tokens)]
    second = [
        (await joined(nodes[(i + 1) % 2], t, show.stream_id))[0] for i, t in enumerate(tokens)
    ]
    votes = [c.call("vote", {"poll_id": poll["id"], "choice": i % 3}) for i, c in enumerate(first)]
    votes += [
        c.call("vote", {"poll_id": poll["id"], "choice": i % 3}) for i, c in enumerate(second)
    ]
    acks = await asyncio.gather(*votes)
    assert sum(a["ok"] for a in acks) == 6
    assert sum(code(a) == "already_voted" for a in acks) == 6
    seen = await last_poll(events, 6)  # heard on the other node
    assert [o["votes"] for o in seen["options"]] == [2, 2, 2]
