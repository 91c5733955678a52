"""The live room with real Socket.IO clients, against SQLite and against PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from tests import factory


class Listener:
    """Collects the events a client receives, so tests can wait for one; events that came in
    a `batch` frame are unpacked in order, as a client does."""

    def __init__(self, client: socketio.AsyncClient, *names: str) -> None:
        self.events: dict[str, list[Any]] = {name: [] for name in names}
        self.frames: list[str] = []  # the event name of each frame, "batch" included
        self._arrived = asyncio.Event()
        for name in names:
            client.on(name, self._collector(name))
        client.on("batch", self._batch)

    async def _batch(self, items: Any) -> None:
        self.frames.append("batch")
        for name, data in items:
            if name in self.events:
                self.events[name].append(data)
        self._arrived.set()

    def _collector(self, name: str):
        async def collect(data: Any) -> None:
            self.frames.append(name)
            self.events[name].append(data)
            self._arrived.set()

        return collect

    async def next(self, name: str, timeout: float = 5.0) -> Any:
        async def wait() -> Any:
            while not self.events[name]:
                self._arrived.clear()
                await self._arrived.wait()
            return self.events[name].pop(0)

        return await asyncio.wait_for(wait(), timeout)


async def joined(run, token, stream_id, *events: str):
    client = await run.sio(token)
    listener = Listener(client, *events)
    ack = await client.call("join", {"stream_id": stream_id})
    assert ack["ok"], ack
    return client, listener, ack["state"]


async def test_join_gets_state_and_chat_reaches_everyone(running) -> None:
    show = await factory.show(running)
    a, a_events, state = await joined(running, show.viewer, show.stream_id, "chat_message")
    b, b_events, _ = await joined(running, show.viewer2, show.stream_id, "chat_message")
    assert state["stream"]["id"] == show.stream_id and state["pinned"] is None
    assert state["you"]["role"] == "viewer" and state["messages"] == []
    ack = await a.call("send_message", {"text": "  <b>hello</b>  "})
    assert ack["ok"] and ack["message"]["text"] == "<b>hello</b>"
    got = await b_events.next("chat_message")
    assert got["text"] == "<b>hello</b>" and got["display_name"].startswith("Viewer")
    assert (await a_events.next("chat_message"))["id"] == got["id"]
    c, _, later = await joined(running, show.viewer, show.stream_id)
    assert [m["text"] for m in later["messages"]] == ["<b>hello</b>"]
    for client in (a, b, c):
        await client.disconnect()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"text": ""}, "empty"),
        ({"text": "x" * 501}, "too_long"),
        ({"text": 5}, "bad_payload"),
        ({}, "bad_payload"),
        ("just a string", "bad_payload"),
    ],
)
async def test_bad_chat_messages_get_error_codes(running, payload, code) -> None:
    show = await factory.show(running)
    client, _, _ = await joined(running, show.viewer, show.stream_id)
    ack = await client.call("send_message", payload)
    assert ack == {"ok": False, "error": {"code": code, "message": ack["error"]["message"]}}
    assert (await client.call("send_message", {"text": "still connected"}))["ok"]
    await client.disconnect()


async def test_chat_needs_a_room_and_an_identity(running) -> None:
    show = await factory.show(running)
    anonymous = await running.sio()
    ack = await anonymous.call("send_message", {"text": "hi"})
    assert ack["error"]["code"] == "not_joined"
    assert (await anonymous.call("join", {"stream_id": show.stream_id}))["ok"]
    ack = await anonymous.call("send_message", {"text": "hi"})
    assert ack["error"]["code"] == "auth_required"
    ack = await anonymous.call("join", {"stream_id": 999999})
    assert ack["error"]["code"] == "stream_not_found"
    for bad in (2**40, -1, True, "1", None):
        ack = await anonymous.call("join", {"stream_id": bad})
        assert ack["error"]["code"] == "bad_payload", bad
    await anonymous.disconnect()


async def test_unknown_events_get_an_error_and_the_socket_lives_on(running) -> None:
    client = await running.sio()
    ack = await client.call("drop_tables", {"please": True})
    assert ack["error"]["code"] == "unknown_event"
    assert (await client.call("leave", {}))["ok"]


async def test_bad_token_is_refused_at_connect(running) -> None:
    client = socketio.AsyncClient(reconnection=False)
    refusals: list = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(running.url, auth={"token": "forged"}, transports=["websocket"])
    assert refusals == [{"message": "bad_token"}]


async def test_chat_is_rate_limited(running) -> None:
    show = await factory.show(running)
    client, _, _ = await joined(running, show.viewer, show.stream_id)
    acks = [await client.call("send_message", {"text": f"m{i}"}) for i in range(7)]
    codes = [a["error"]["code"] if not a["ok"] else "ok" for a in acks]
    assert codes[:5] == ["ok"] * 5 and "rate_limited" in codes[5:]
    await client.disconnect()


async def test_guests_chat_but_cannot_buy(running) -> None:
    show = await factory.show(running)
    await factory.go_live(running, show.stream_id)
    _, guest = await running.call("POST", "/api/auth/guest", json={"display_name": "Guest"})
    client, _, state = await joined(running, guest["token"], show.stream_id)
    assert state["you"]["subject"].startswith("g:")
    assert (await client.call("send_message", {"text": "hello as guest"}))["ok"]
    ack = await client.call(
        "buy", {"product_id": show.product_ids[0], "quantity": 1, "idempotency_key": "guest-001"}
    )
    assert ack["error"]["code"] == "account_required"
    await client.disconnect()


async def test_only_moderators_and_the_host_delete_messages(running) -> None:
    show = await factory.show(running)
    viewer, viewer_events, _ = await joined(running, show.viewer, show.stream_id, "message_deleted")
    message = (await viewer.call("send_message", {"text": "spam spam"}))["message"]
    other, _, _ = await joined(running, show.viewer2, show.stream_id)
    ack = await other.call("delete_message", {"message_id": message["id"]})
    assert ack["error"]["code"] == "forbidden"
    mod, _, _ = await joined(running, show.moderator, show.stream_id)
    assert (await mod.call("delete_message", {"message_id": message["id"]}))["ok"]
    assert await viewer_events.next("message_deleted") == {"message_id": message["id"]}
    ack = await mod.call("delete_message", {"message_id": 999999})
    assert ack["error"]["code"] == "message_not_found"
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert state["messages"] == []
    for client in (viewer, other, mod):
        await client.disconnect()


async def test_host_pins_and_everyone_sees_it(running) -> None:
    show = await factory.show(running)
    viewer, events, _ = await joined(
        running, show.viewer, show.stream_id, "product_pinned", "product_unpinned"
    )
    ack = await viewer.call("pin_product", {"product_id": show.product_ids[0]})
    assert ack["error"]["code"] == "forbidden"
    host, _, _ = await joined(running, show.host, show.stream_id)
    ack = await host.call("pin_product", {"product_id": show.product_ids[1]})
    assert ack["ok"] and ack["product"]["id"] == show.product_ids[1]
    pinned = await events.next("product_pinned")
    assert pinned["product"]["id"] == show.product_ids[1] and pinned["product"]["stock"] == 3
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert state["pinned"]["id"] == show.product_ids[1]
    ack = await host.call("pin_product", {"product_id": 999999})
    assert ack["error"]["code"] == "not_in_lineup"
    assert (await host.call("unpin_product", {}))["ok"]
    assert await events.next("product_unpinned") == {"product_id": show.product_ids[1]}
    await viewer.disconnect()
    await host.disconnect()


async def test_buy_confirms_to_buyer_and_updates_stock_for_all(running) -> None:
    show = await factory.show(running, stocks=(3,))
    await factory.go_live(running, show.stream_id)
    buyer, buyer_events, _ = await joined(
        running, show.viewer, show.stream_id, "order_confirmed", "stock_changed"
    )
    watcher, watcher_events, _ = await joined(
        running, show.viewer2, show.stream_id, "order_confirmed", "stock_changed"
    )
    request = {"product_id": show.product_ids[0], "quantity": 2, "idempotency_key": "tap-00001"}
    ack = await buyer.call("buy", request)
    assert ack["ok"] and ack["created"] and ack["order"]["lines"][0]["quantity"] == 2
    assert (await buyer_events.next("order_confirmed"))["order"]["id"] == ack["order"]["id"]
    assert await watcher_events.next("stock_changed") == {
        "product_id": show.product_ids[0],
        "stock": 1,
    }
    retry = await buyer.call("buy", request)
    assert retry["ok"] and not retry["created"] and retry["order"]["id"] == ack["order"]["id"]
    ack = await watcher.call("buy", request | {"idempotency_key": "tap-00002"})
    assert ack["error"]["code"] == "sold_out" and "only 1 left" in ack["error"]["message"]
    await asyncio.sleep(0.2)
    assert watcher_events.events["order_confirmed"] == []
    for client in (buyer, watcher):
        await client.disconnect()


async def test_viewer_count_is_broadcast(running) -> None:
    show = await factory.show(running)
    first, events, _ = await joined(running, show.viewer, show.stream_id, "viewer_count")
    second, _, _ = await joined(running, show.viewer2, show.stream_id)
    counts = []
    while not counts or counts[-1]["count"] != 2:
        counts.append(await events.next("viewer_count", timeout=6))
    await first.disconnect()
    await second.disconnect()


async def test_a_burst_of_chat_reaches_viewers_whole_in_fewer_frames(running) -> None:
    show = await factory.show(running)
    _, events, _ = await joined(running, show.viewer, show.stream_id, "chat_message")
    senders = []
    for _ in range(4):
        token = await factory.account(running)
        senders.append((await joined(running, token, show.stream_id))[0])
    sent = []
    for round_ in range(5):  # 20 messages, within each sender's burst allowance
        for n, client in enumerate(senders):
            ack = await client.call("send_message", {"text": f"m{round_}-{n}"})
            assert ack["ok"], ack
            sent.append(ack["message"]["id"])
    got = [(await events.next("chat_message"))["id"] for _ in sent]
    assert got == sent  # every message, in order
    assert len(events.frames) < len(sent)  # the burst was carried in batch frames
    assert "batch" in events.frames


async def test_likes_are_summed_and_broadcast_as_totals_per_tick(running) -> None:
    show = await factory.show(running)
    _, events, _ = await joined(running, show.viewer2, show.stream_id, "likes")
    fan, _, _ = await joined(running, show.viewer, show.stream_id)
    for payload in (None, {}, {"count": 5}, {"count": 1}):
        assert (await fan.call("like", payload))["ok"]
    added = 0
    while added < 8:
        added += (await events.next("likes", timeout=5))["added"]
    assert added == 8 and len(events.events["likes"]) == 0
    for bad in ({"count": 0}, {"count": 11}, {"count": "5"}, {"count": True}, [1]):
        ack = await fan.call("like", bad)
        assert not ack["ok"] and ack["error"]["code"] == "bad_payload", (bad, ack)
    codes = [(await fan.call("like", {"count": 1}))["ok"] for _ in range(40)]
    assert codes.count(False) > 0  # beyond the burst: refused with a code, nothing counted
    ack = await fan.call("like", {"count": 1})
    assert ack["ok"] or ack["error"]["code"] == "rate_limited"


async def test_questions_queue_for_the_host_who_answers_and_pins_them(running) -> None:
    show = await factory.show(running)
    asker, _, first_state = await joined(running, show.viewer, show.stream_id)
    host, events, _ = await joined(
        running, show.host, show.stream_id, "question_answered", "message_pinned",
        "message_unpinned",
    )  # fmt: skip
    ack = await asker.call("send_message", {"text": "Does it come in blue?", "question": True})
    assert ack["ok"] and ack["message"]["question"] and not ack["message"]["answered"]
    question_id = ack["message"]["id"]
    chatter = (await asker.call("send_message", {"text": "love it"}))["message"]
    assert chatter["question"] is False
    assert chatter["language"] == first_state["stream"]["language"]  # by default, the show's
    assert chatter["offset_ms"] is None  # the show is not live yet
    german = await asker.call("send_message", {"text": "schön", "language": "de"})
    assert german["error"]["code"] == "bad_language"  # the eight show languages only
    bad = await asker.call("send_message", {"text": "x", "question": "yes"})
    assert bad["error"]["code"] == "bad_payload"
    _, _, state = await joined(running, show.host, show.stream_id)
    assert [m["id"] for m in state["questions"]] == [question_id]
    assert state["pinned_message"] is None

    refused = await asker.call("answer_question", {"message_id": question_id})
    assert refused["error"]["code"] == "forbidden"  # a viewer cannot answer or pin
    wrong = await host.call("answer_question", {"message_id": chatter["id"]})
    assert wrong["error"]["code"] == "not_a_question"
    assert (await host.call("answer_question", {"message_id": question_id}))["ok"]
    assert (await events.next("question_answered"))["message_id"] == question_id
    pinned = (await events.next("message_pinned"))["message"]
    assert pinned["id"] == question_id and pinned["answered"]
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert state["questions"] == [] and state["pinned_message"]["id"] == question_id

    assert (await host.call("pin_message", {"message_id": chatter["id"]}))["ok"]
    assert (await events.next("message_pinned"))["message"]["id"] == chatter["id"]
    assert (await host.call("delete_message", {"message_id": chatter["id"]}))["ok"]
    assert (await events.next("message_unpinned"))["message_id"] == chatter["id"]
    missing = await host.call("pin_message", {"message_id": chatter["id"]})
    assert missing["error"]["code"] == "message_not_found"
    assert (await host.call("pin_message", {"message_id": question_id}))["ok"]
    assert (await host.call("unpin_message", {}))["ok"]
    await events.next("message_pinned")
    assert (await events.next("message_unpinned"))["message_id"] == question_id
