"""Moderation in the live room, with real Socket.IO clients, on SQLite and on PostgreSQL + Redis:
who may do what, every refusal on send, shadow bans, bans that disconnect, room modes, word
lists, the review queue, the audit log, and two nodes sharing one moderation state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from chat import moderation
from server.edge.http.context import ROOM
from tests import factory
from tests.chat.test_room import Listener, joined
from tests.conftest import config_for


def code(ack: dict) -> str:
    return "ok" if ack["ok"] else ack["error"]["code"]


async def subject_of(run: Any, token: str) -> str:
    status, me = await run.call("GET", "/api/me", token)
    assert status == 200, me
    return me["subject"]


async def guest_token(run: Any, name: str = "Guest") -> str:
    status, body = await run.call("POST", "/api/auth/guest", json={"display_name": name})
    assert status == 200, body
    return body["token"]


async def device_client(run: Any, token: str, device: str) -> socketio.AsyncClient:
    """A client that sends a device id on connect, as a browser keeping one in storage would."""
    client = socketio.AsyncClient(reconnection=False)
    auth = {"token": token, "device": device}
    await client.connect(run.url, auth=auth, transports=["websocket"])
    run.clients.append(client)
    return client


async def entry_with(listener: Listener, action: str) -> dict:
    """The next audit entry of this action that reaches a staff socket."""
    while True:
        entry = (await listener.next("audit_entry"))["entry"]
        if entry["action"] == action:
            return entry


def on_disconnect(client: socketio.AsyncClient) -> asyncio.Event:
    gone = asyncio.Event()
    client.on("disconnect", lambda *_: gone.set())
    return gone


async def stream_moderator(run: Any, show: factory.Show, host: Any = None) -> str:
    """A new account the show's host appoints as this stream's moderator: its token."""
    token = await factory.account(run, name="Stream Mod")
    if host is None:
        host, _, _ = await joined(run, show.host, show.stream_id)
    ack = await host.call("appoint_moderator", {"target": await subject_of(run, token)})
    assert ack["ok"], ack
    return token


# -- who may do what ------------------------------------------------------------------------------


async def test_viewers_cannot_moderate(running) -> None:
    show = await factory.show(running)
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    other = await subject_of(running, show.viewer2)
    said = (await viewer.call("send_message", {"text": "hello"}))["message"]
    attempts = [
        ("mute", {"target": other}),
        ("unmute", {"target": other}),
        ("ban", {"target": other}),
        ("unban", {"target": other}),
        ("shadow_ban", {"target": other}),
        ("unshadow_ban", {"target": other}),
        ("platform_ban", {"target": other}),
        ("platform_unban", {"target": other}),
        ("delete_message", {"message_id": said["id"]}),
        ("delete_user_messages", {"target": other}),
        ("set_modes", {"slow_mode_s": 5}),
        ("add_word", {"term": "zorp", "action": "block"}),
        ("remove_word", {"term": "zorp"}),
        ("word_list", {}),
        ("held_messages", {}),
        ("approve_held", {"held_id": 1}),
        ("reject_held", {"held_id": 1}),
        ("appoint_moderator", {"target": other}),
        ("dismiss_moderator", {"target": other}),
        ("audit_log", {}),
        ("audit_log", {"platform": True}),
        ("pin_message", {"message_id": said["id"]}),
        ("pin_product", {"product_id": show.product_ids[0]}),
        ("unpin_product", {}),
    ]
    for event, payload in attempts:
        assert code(await viewer.call(event, payload)) == "forbidden", event


async def test_a_stream_moderator_acts_in_their_stream_only(running) -> None:
    show = await factory.show(running)
    other_show = await factory.show(running)
    mod_token = await stream_moderator(running, show)
    target = await subject_of(running, show.viewer)
    mod, _, state = await joined(running, mod_token, show.stream_id)
    assert state["you"]["standing"] == "stream_moderator"
    assert code(await mod.call("mute", {"target": target, "duration_s": 60})) == "ok"
    assert code(await mod.call("set_modes", {"slow_mode_s": 2})) == "ok"
    assert code(await mod.call("pin_product", {"product_id": show.product_ids[0]})) == "ok"
    assert code(await mod.call("unpin_product", {})) == "ok"
    # Hosts run shows: a stream moderator cannot appoint others, nor sanction the host.
    host = await subject_of(running, show.host)
    assert code(await mod.call("appoint_moderator", {"target": target})) == "forbidden"
    assert code(await mod.call("mute", {"target": host})) == "forbidden"
    assert code(await mod.call("platform_ban", {"target": target})) == "forbidden"
    # Elsewhere they are an ordinary viewer.
    assert (await mod.call("join", {"stream_id": other_show.stream_id}))["state"]["you"][
        "standing"
    ] == "viewer"
    assert code(await mod.call("mute", {"target": target})) == "forbidden"
    pin = {"product_id": other_show.product_ids[0]}
    assert code(await mod.call("pin_product", pin)) == "forbidden"


async def test_the_host_appoints_and_dismisses_moderators(running) -> None:
    show = await factory.show(running)
    host, _, state = await joined(running, show.host, show.stream_id)
    assert state["you"]["standing"] == "host"
    mod_token = await factory.account(running, name="Helper")
    helper = await subject_of(running, mod_token)
    mod, mod_events, state = await joined(
        running, mod_token, show.stream_id, "standing_changed", "audit_entry"
    )
    assert state["you"]["standing"] == "viewer"
    assert code(await mod.call("held_messages", {})) == "forbidden"
    assert code(await host.call("appoint_moderator", {"target": helper})) == "ok"
    # The socket already in the room becomes staff at once: it is told, and hears staff events.
    assert await mod_events.next("standing_changed") == {
        "stream_id": show.stream_id,
        "standing": "stream_moderator",
    }
    assert code(await mod.call("held_messages", {})) == "ok"
    target = await subject_of(running, show.viewer)
    assert code(await host.call("mute", {"target": target, "duration_s": 60})) == "ok"
    await entry_with(mod_events, "mute")
    assert code(await host.call("dismiss_moderator", {"target": helper})) == "ok"
    assert (await mod_events.next("standing_changed"))["standing"] == "viewer"
    assert code(await mod.call("unmute", {"target": target})) == "forbidden"
    assert code(await host.call("dismiss_moderator", {"target": helper})) == "not_moderator"
    guest = await subject_of(running, await guest_token(running))
    assert code(await host.call("appoint_moderator", {"target": guest})) == "bad_target"
    for bad in ("u:999999", "x:1", "u:abc", 7, None):
        assert code(await host.call("appoint_moderator", {"target": bad})) == "bad_target", bad
    assert code(await host.call("appoint_moderator", {})) == "bad_payload"


async def test_platform_moderators_act_in_every_stream(running) -> None:
    show = await factory.show(running)
    other_show = await factory.show(running)
    target = await subject_of(running, show.viewer)
    pmod, _, state = await joined(running, show.moderator, other_show.stream_id)
    assert state["you"]["standing"] == "platform_moderator"
    assert code(await pmod.call("mute", {"target": target, "duration_s": 60})) == "ok"
    assert code(await pmod.call("add_word", {"term": "zorp", "action": "mask"})) == "ok"
    # Running a show stays with its host: platform moderators do not appoint.
    assert code(await pmod.call("appoint_moderator", {"target": target})) == "forbidden"
    # The host cannot lift what platform staff decided.
    host, _, _ = await joined(running, other_show.host, other_show.stream_id)
    assert code(await host.call("unmute", {"target": target})) == "forbidden"
    assert code(await pmod.call("unmute", {"target": target})) == "ok"
    assert code(await pmod.call("unmute", {"target": target})) == "not_sanctioned"


async def test_moderators_delete_messages_and_all_of_a_users(running) -> None:
    show = await factory.show(running)
    spammer, _, _ = await joined(running, show.viewer, show.stream_id)
    _, watched, _ = await joined(
        running, show.viewer2, show.stream_id, "chat_message", "user_messages_deleted"
    )
    ids = [
        (await spammer.call("send_message", {"text": f"spam {n}"}))["message"]["id"]
        for n in range(3)
    ]
    for _ in ids:
        await watched.next("chat_message")
    mod, _, _ = await joined(running, await stream_moderator(running, show), show.stream_id)
    ack = await mod.call("delete_user_messages", {"target": await subject_of(running, show.viewer)})
    assert ack["ok"] and ack["message_ids"] == ids and ack["entry"]["detail"]["count"] == 3
    assert (await watched.next("user_messages_deleted"))["message_ids"] == ids
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert state["messages"] == []
    # A stream moderator cannot delete the host's messages, nor the host their own.
    host, _, _ = await joined(running, show.host, show.stream_id)
    said = (await host.call("send_message", {"text": "welcome"}))["message"]
    assert code(await mod.call("delete_message", {"message_id": said["id"]})) == "forbidden"
    assert code(await host.call("delete_message", {"message_id": said["id"]})) == "forbidden"
    assert code(await mod.call("delete_message", {"message_id": 99999})) == "message_not_found"


# -- refusals on send ----------------------------------------------------------------------------


async def test_a_muted_viewer_is_refused_with_the_time_left(running) -> None:
    show = await factory.show(running)
    viewer, listener, _ = await joined(running, show.viewer, show.stream_id, "muted")
    host, _, _ = await joined(running, show.host, show.stream_id)
    target = await subject_of(running, show.viewer)
    ack = await host.call("mute", {"target": target, "duration_s": 120, "reason": "calm down"})
    assert ack["ok"] and ack["entry"]["action"] == "mute"
    told = await listener.next("muted")
    assert told["stream_id"] == show.stream_id and told["reason"] == "calm down"
    refused = await viewer.call("send_message", {"text": "hello?"})
    assert refused["error"]["code"] == "muted"
    assert 110 < refused["error"]["retry_after_s"] <= 120
    assert code(await host.call("unmute", {"target": target})) == "ok"
    assert code(await viewer.call("send_message", {"text": "thanks"})) == "ok"
    for bad in (0, -5, 8 * 24 * 3600, "60", True):
        ack = await host.call("mute", {"target": target, "duration_s": bad})
        assert code(ack) == "bad_duration", bad
    ack = await host.call("mute", {"target": target, "reason": "x" * 201})
    assert code(ack) == "bad_reason"


async def test_room_modes_switch_live(running) -> None:
    show = await factory.show(running)
    viewer, events, state = await joined(running, show.viewer, show.stream_id, "modes_changed")
    assert state["modes"] == {
        "slow_mode_s": 0,
        "registered_only": False,
        "min_account_age_s": 0,
        "followers_only": False,
    }
    guest, _, _ = await joined(running, await guest_token(running), show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)

    ack = await host.call("set_modes", {"slow_mode_s": 30})
    assert ack["ok"] and ack["modes"]["slow_mode_s"] == 30
    assert (await events.next("modes_changed"))["modes"]["slow_mode_s"] == 30
    assert code(await viewer.call("send_message", {"text": "one"})) == "ok"
    refused = await viewer.call("send_message", {"text": "two"})
    assert refused["error"]["code"] == "slow_mode" and 25 < refused["error"]["retry_after_s"] <= 30
    assert code(await host.call("send_message", {"text": "staff are exempt"})) == "ok"
    assert code(await host.call("send_message", {"text": "twice"})) == "ok"
    assert code(await host.call("set_modes", {"slow_mode_s": 0})) == "ok"
    assert code(await viewer.call("send_message", {"text": "two"})) == "ok"

    assert code(await host.call("set_modes", {"registered_only": True})) == "ok"
    assert code(await guest.call("send_message", {"text": "hi"})) == "registered_only"
    assert code(await viewer.call("send_message", {"text": "still fine"})) == "ok"
    assert code(await host.call("set_modes", {"registered_only": False})) == "ok"
    assert code(await guest.call("send_message", {"text": "hi"})) == "ok"

    assert code(await host.call("set_modes", {"min_account_age_s": 3600})) == "ok"
    refused = await viewer.call("send_message", {"text": "new here"})  # made seconds ago
    assert refused["error"]["code"] == "account_too_new"
    assert 3500 < refused["error"]["retry_after_s"] <= 3600
    assert code(await guest.call("send_message", {"text": "hi"})) == "registered_only"
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert state["modes"]["min_account_age_s"] == 3600

    for bad in ({"slow_mode_s": -1}, {"slow_mode_s": 3601}, {"registered_only": "yes"}):
        assert code(await host.call("set_modes", bad)) == "bad_mode", bad
    for bad in ({}, {"fast_mode": 1}, [1], "slow"):
        assert code(await host.call("set_modes", bad)) == "bad_payload", bad


async def test_word_lists_block_mask_and_hold(running, monkeypatch) -> None:
    show = await factory.show(running)  # a Polish show
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    asker_token = await factory.account(running)
    asker, _, _ = await joined(running, asker_token, show.stream_id)
    late, _, _ = await joined(running, await factory.account(running), show.stream_id)
    _, room, _ = await joined(running, show.viewer2, show.stream_id, "chat_message")
    host, staff, _ = await joined(
        running, show.host, show.stream_id, "message_held", "held_resolved", "chat_message"
    )
    for term, action in (("zorp", "block"), ("flurb", "mask"), ("quix", "hold")):
        ack = await host.call("add_word", {"term": term, "action": action, "language": "pl"})
        assert ack["ok"] and ack["entry"]["action"] == "edit_words"
    assert (
        code(await host.call("add_word", {"term": "grok", "action": "block", "language": "en"}))
        == "ok"
    )
    terms = (await host.call("word_list", {}))["terms"]
    assert {t["text"] for t in terms} == {"zorp", "flurb", "quix", "grok"}

    assert code(await viewer.call("send_message", {"text": "what a Z0RP"})) == "blocked_word"
    assert code(await viewer.call("send_message", {"text": "grok"})) == "ok"  # English only
    ack = await viewer.call("send_message", {"text": "so flurb!"})
    assert ack["ok"] and ack["message"]["text"] == "so *****!"
    assert (await room.next("chat_message"))["text"] == "grok"
    assert (await room.next("chat_message"))["text"] == "so *****!"

    state_subject = await subject_of(running, asker_token)
    held = await asker.call("send_message", {"text": "quix deal?", "question": True})
    assert held == {"ok": True, "held": True, "held_id": held["held_id"]}
    shown = (await staff.next("message_held"))["held"]
    assert shown["text"] == "quix deal?" and shown["terms"] == ["quix"] and shown["question"]
    assert [h["id"] for h in (await host.call("held_messages", {}))["held"]] == [shown["id"]]
    second = (await asker.call("send_message", {"text": "more quix"}))["held_id"]

    approved = await host.call("approve_held", {"held_id": shown["id"]})
    assert approved["ok"] and approved["message"]["text"] == "quix deal?"
    assert approved["message"]["question"]
    assert approved["message"]["author"] == state_subject
    assert (await room.next("chat_message"))["id"] == approved["message"]["id"]
    assert (await staff.next("held_resolved")) == {"held_id": shown["id"], "verdict": "approved"}
    assert code(await host.call("reject_held", {"held_id": second})) == "ok"
    assert (await staff.next("held_resolved"))["verdict"] == "rejected"
    assert code(await host.call("approve_held", {"held_id": second})) == "held_not_found"
    assert (await host.call("held_messages", {}))["held"] == []
    _, _, state = await joined(running, show.viewer2, show.stream_id)
    assert [m["text"] for m in state["messages"]] == ["grok", "so *****!", "quix deal?"]
    assert [m["text"] for m in state["questions"]] == ["quix deal?"]

    monkeypatch.setattr(moderation, "MAX_HELD", 1)
    assert (await asker.call("send_message", {"text": "quix one"}))["held"]
    assert code(await asker.call("send_message", {"text": "quix two"})) == "review_full"

    assert code(await host.call("remove_word", {"term": "zorp", "language": "pl"})) == "ok"
    assert code(await late.call("send_message", {"text": "zorp"})) == "ok"
    assert (
        code(await host.call("remove_word", {"term": "zorp", "language": "pl"})) == "term_not_found"
    )
    bad_edits = [
        ({"term": "z", "action": "block"}, "bad_term"),
        ({"term": "z0rp2", "action": "block"}, "bad_term"),
        ({"term": "zorp", "action": "explode"}, "bad_action"),
        ({"term": "zorp", "action": "block", "language": "de"}, "bad_language"),
        ({"action": "block"}, "bad_payload"),
    ]
    for payload, expected in bad_edits:
        assert code(await host.call("add_word", payload)) == expected, payload


async def test_platform_words_need_platform_staff_and_apply_everywhere(running) -> None:
    show = await factory.show(running)
    host, _, _ = await joined(running, show.host, show.stream_id)
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    payload = {"term": "blorf", "action": "block", "platform": True}
    assert code(await host.call("add_word", payload)) == "forbidden"
    pmod = await running.sio(show.moderator)  # platform edits need no room
    assert code(await pmod.call("add_word", payload)) == "ok"
    assert [t["text"] for t in (await pmod.call("word_list", {"platform": True}))["terms"]] == [
        "blorf"
    ]
    assert code(await viewer.call("send_message", {"text": "blorf"})) == "blocked_word"
    assert code(await pmod.call("remove_word", {"term": "blorf", "platform": True})) == "ok"
    assert code(await viewer.call("send_message", {"text": "blorf"})) == "ok"


# -- shadow bans and bans --------------------------------------------------------------------------


async def test_a_shadow_banned_viewer_sees_their_messages_and_nobody_else_does(running) -> None:
    show = await factory.show(running)
    shadowed, own, _ = await joined(running, show.viewer, show.stream_id, "chat_message")
    _, others, _ = await joined(running, show.viewer2, show.stream_id, "chat_message")
    mod, _, _ = await joined(running, await stream_moderator(running, show), show.stream_id)
    target = await subject_of(running, show.viewer)
    assert code(await mod.call("shadow_ban", {"target": target})) == "ok"

    ack = await shadowed.call("send_message", {"text": "buy my stuff", "question": True})
    assert ack["ok"] and ack["message"]["text"] == "buy my stuff"  # nothing gives it away
    assert (await own.next("chat_message"))["id"] == ack["message"]["id"]
    assert code(await mod.call("send_message", {"text": "next"})) == "ok"
    assert (await others.next("chat_message"))["text"] == "next"  # and not the shadowed one
    _, _, theirs = await joined(running, show.viewer, show.stream_id)
    _, _, everyone = await joined(running, show.viewer2, show.stream_id)
    assert [m["text"] for m in theirs["messages"]] == ["buy my stuff", "next"]
    assert [m["text"] for m in everyone["messages"]] == ["next"]
    assert everyone["questions"] == []

    assert code(await mod.call("unshadow_ban", {"target": target})) == "ok"
    assert code(await shadowed.call("send_message", {"text": "visible again"})) == "ok"
    assert (await others.next("chat_message"))["text"] == "visible again"


async def test_a_ban_disconnects_and_keeps_the_viewer_out_until_lifted(running) -> None:
    show = await factory.show(running)
    other_show = await factory.show(running)
    banned_client, banned_events, _ = await joined(running, show.viewer, show.stream_id, "banned")
    gone = on_disconnect(banned_client)
    second_tab, _, _ = await joined(running, show.viewer, other_show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    target = await subject_of(running, show.viewer)
    ack = await host.call("ban", {"target": target, "reason": "spam"})
    assert ack["ok"] and ack["entry"]["detail"]["reason"] == "spam"
    told = await banned_events.next("banned")
    assert told == {"stream_id": show.stream_id, "until": None, "reason": "spam"}
    await asyncio.wait_for(gone.wait(), 5)
    assert code(await second_tab.call("send_message", {"text": "still here"})) == "ok"
    back = await running.sio(show.viewer)
    assert code(await back.call("join", {"stream_id": show.stream_id})) == "banned"
    assert code(await host.call("unban", {"target": target})) == "ok"
    assert code(await back.call("join", {"stream_id": show.stream_id})) == "ok"
    assert code(await back.call("send_message", {"text": "sorry"})) == "ok"


async def test_a_ban_whose_signal_was_lost_still_refuses_sends(running, monkeypatch) -> None:
    """Disconnecting is the bus's job; the shared state is what refuses, whatever happens."""
    show = await factory.show(running)
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)

    async def lost(_signal: Any) -> None:
        return None

    monkeypatch.setattr(running.app[ROOM]._bus, "publish", lost)
    assert code(await host.call("ban", {"target": await subject_of(running, show.viewer)})) == "ok"
    refused = await viewer.call("send_message", {"text": "am I out?"})
    assert refused["error"]["code"] == "banned" and "retry_after_s" not in refused["error"]


async def test_a_banned_guest_cannot_come_back_under_a_new_name(running) -> None:
    show = await factory.show(running)
    first = await guest_token(running, "Troll")
    troll = await device_client(running, first, "device-1")
    assert code(await troll.call("join", {"stream_id": show.stream_id})) == "ok"
    assert code(await troll.call("send_message", {"text": "lol"})) == "ok"
    mod, _, _ = await joined(running, show.moderator, show.stream_id)
    assert code(await mod.call("ban", {"target": await subject_of(running, first)})) == "ok"
    again = await device_client(running, await guest_token(running, "Not a troll"), "device-1")
    assert code(await again.call("join", {"stream_id": show.stream_id})) == "banned"
    # Another device on the same address (a household, a campus) is another guest.
    neighbour = await device_client(running, await guest_token(running, "Neighbour"), "device-2")
    assert code(await neighbour.call("join", {"stream_id": show.stream_id})) == "ok"
    # And accounts are never caught by a fingerprint.
    _, _, state = await joined(running, show.viewer, show.stream_id)
    assert state["you"]["standing"] == "viewer"


async def test_a_platform_ban_keeps_someone_out_of_every_stream(running) -> None:
    show = await factory.show(running)
    other_show = await factory.show(running)
    client, listener, _ = await joined(running, show.viewer, show.stream_id, "banned")
    gone = on_disconnect(client)
    target = await subject_of(running, show.viewer)
    host = await running.sio(show.host)
    assert code(await host.call("platform_ban", {"target": target})) == "forbidden"
    pmod = await running.sio(show.moderator)
    ack = await pmod.call("platform_ban", {"target": target, "duration_s": 3600, "reason": "fraud"})
    assert ack["ok"] and ack["entry"]["stream_id"] is None
    told = await listener.next("banned")
    assert told["stream_id"] is None and told["reason"] == "fraud" and told["until"]
    await asyncio.wait_for(gone.wait(), 5)
    back = await running.sio(show.viewer)
    for stream_id in (show.stream_id, other_show.stream_id):
        assert code(await back.call("join", {"stream_id": stream_id})) == "banned"
    entries = (await pmod.call("audit_log", {"platform": True}))["entries"]
    assert [e["action"] for e in entries] == ["platform_ban"]
    assert code(await pmod.call("platform_unban", {"target": target})) == "ok"
    assert code(await back.call("join", {"stream_id": other_show.stream_id})) == "ok"
    assert (
        code(await pmod.call("platform_ban", {"target": target, "duration_s": 0})) == "bad_duration"
    )


# -- the audit log ---------------------------------------------------------------------------------


async def test_staff_read_the_audit_log_and_viewers_do_not(running) -> None:
    show = await factory.show(running)
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    mod_token = await stream_moderator(running, show)
    mod, live, _ = await joined(running, mod_token, show.stream_id, "audit_entry")
    target = await subject_of(running, show.viewer)
    assert (
        code(await mod.call("mute", {"target": target, "duration_s": 60, "reason": "caps"})) == "ok"
    )
    entry = await entry_with(live, "mute")
    assert entry["target"] == target
    assert entry["actor"] == await subject_of(running, mod_token)
    assert entry["detail"]["reason"] == "caps" and entry["stream_id"] == show.stream_id
    assert code(await mod.call("set_modes", {"slow_mode_s": 10})) == "ok"

    host, _, _ = await joined(running, show.host, show.stream_id)
    entries = (await host.call("audit_log", {}))["entries"]
    assert [e["action"] for e in entries] == ["set_modes", "mute", "appoint_moderator"]
    assert entries[1] == entry
    assert len((await host.call("audit_log", {"limit": 1}))["entries"]) == 1
    for bad in (0, 201, "5", True):
        assert code(await host.call("audit_log", {"limit": bad})) == "bad_payload", bad
    assert code(await viewer.call("audit_log", {})) == "forbidden"
    assert code(await host.call("audit_log", {"platform": True})) == "forbidden"
    # Another stream's staff see nothing of this one.
    other_show = await factory.show(running)
    other_host, _, _ = await joined(running, other_show.host, other_show.stream_id)
    assert (await other_host.call("audit_log", {}))["entries"] == []


async def test_holds_are_audited_as_the_system(running) -> None:
    show = await factory.show(running)
    viewer, _, _ = await joined(running, show.viewer, show.stream_id)
    host, _, _ = await joined(running, show.host, show.stream_id)
    assert code(await host.call("add_word", {"term": "quix", "action": "hold"})) == "ok"
    held = await viewer.call("send_message", {"text": "quix"})
    assert code(await host.call("reject_held", {"held_id": held["held_id"]})) == "ok"
    entries = (await host.call("audit_log", {}))["entries"]
    assert [(e["actor"], e["detail"].get("verdict")) for e in entries[:2]] == [
        (await subject_of(running, show.host), "rejected"),
        ("system", "held"),
    ]


# -- several nodes ---------------------------------------------------------------------------


async def test_two_nodes_share_moderation_through_redis(backend, start) -> None:
    if backend.redis_url is None:
        return  # the embedded default is one process by design
    config = config_for(backend)
    node_a, node_b = await start(config), await start(config)
    show = await factory.show(node_a)
    host, _, _ = await joined(node_a, show.host, show.stream_id)
    on_b, _, _ = await joined(node_b, show.viewer, show.stream_id)
    target = await subject_of(node_a, show.viewer)

    assert code(await host.call("mute", {"target": target, "duration_s": 60})) == "ok"
    assert code(await on_b.call("send_message", {"text": "from B"})) == "muted"
    assert code(await host.call("unmute", {"target": target})) == "ok"
    assert code(await host.call("set_modes", {"slow_mode_s": 60})) == "ok"
    assert code(await on_b.call("send_message", {"text": "from B"})) == "ok"
    assert code(await on_b.call("send_message", {"text": "again"})) == "slow_mode"
    assert code(await host.call("add_word", {"term": "zorp", "action": "block"})) == "ok"
    assert code(await host.call("set_modes", {"slow_mode_s": 0})) == "ok"
    assert code(await on_b.call("send_message", {"text": "zorp"})) == "blocked_word"

    # A moderator appointed on A while connected to B becomes staff on B.
    helper_token = await factory.account(node_a, name="Helper")
    helper, helper_events, _ = await joined(
        node_b, helper_token, show.stream_id, "standing_changed", "audit_entry"
    )
    helper_subject = await subject_of(node_a, helper_token)
    assert code(await host.call("appoint_moderator", {"target": helper_subject})) == "ok"
    assert (await helper_events.next("standing_changed"))["standing"] == "stream_moderator"
    assert code(await helper.call("mute", {"target": target, "duration_s": 5})) == "ok"
    await entry_with(helper_events, "mute")

    # A ban decided on A disconnects the viewer's socket on B.
    listener = Listener(on_b, "banned")
    gone = on_disconnect(on_b)
    assert code(await host.call("ban", {"target": target})) == "ok"
    assert (await listener.next("banned"))["stream_id"] == show.stream_id
    await asyncio.wait_for(gone.wait(), 5)
    back = await node_b.sio(show.viewer)
    assert code(await back.call("join", {"stream_id": show.stream_id})) == "banned"


async def test_bad_moderation_payloads_get_codes_not_faults(running) -> None:
    show = await factory.show(running)
    host, _, _ = await joined(running, show.host, show.stream_id)
    target = await subject_of(running, show.viewer)
    cases = [
        ("mute", None, "bad_payload"),
        ("mute", "u:1", "bad_payload"),
        ("mute", {"target": ["u:1"]}, "bad_target"),
        ("ban", {"target": target, "reason": 5}, "bad_reason"),
        ("unban", {"target": target}, "not_sanctioned"),
        ("unshadow_ban", {"target": target}, "not_sanctioned"),
        ("approve_held", {"held_id": "1"}, "bad_payload"),
        ("reject_held", {"held_id": 12345}, "held_not_found"),
        ("delete_user_messages", {}, "bad_payload"),
        ("audit_log", [], "bad_payload"),
    ]
    for event, payload, expected in cases:
        assert code(await host.call(event, payload)) == expected, (event, payload)
    outsider = await running.sio(show.viewer)
    assert code(await outsider.call("mute", {"target": target})) == "not_joined"
    anonymous = await running.sio()
    assert code(await anonymous.call("platform_ban", {"target": target})) == "auth_required"


@pytest.mark.parametrize("event", ["held_messages", "word_list", "audit_log"])
async def test_staff_reads_take_an_empty_payload(running, event) -> None:
    show = await factory.show(running)
    host, _, _ = await joined(running, show.host, show.stream_id)
    for payload in (None, {}):
        assert code(await host.call(event, payload)) == "ok", payload
